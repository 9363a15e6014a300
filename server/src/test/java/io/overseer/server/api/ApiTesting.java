package io.overseer.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.LocalizedMessage;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.overseer.server.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Shared helpers of the API tests: calls expected to fail, their rich details, table contents. */
final class ApiTesting {
  private ApiTesting() {}

  /** A call that should fail. */
  @FunctionalInterface
  interface Call {
    Object run() throws Exception;
  }

  /** A failed call with its google.rpc.Status. */
  record Failure(StatusRuntimeException exception, com.google.rpc.Status status) {
    Status.Code code() {
      return exception.getStatus().getCode();
    }

    String message() {
      return status.getMessage();
    }

    ErrorInfo errorInfo() {
      return detail(ErrorInfo.class).orElseThrow(() -> new AssertionError("no ErrorInfo in " + status));
    }

    BadRequest badRequest() {
      return detail(BadRequest.class).orElseThrow(() -> new AssertionError("no BadRequest in " + status));
    }

    LocalizedMessage hint() {
      return detail(LocalizedMessage.class).orElseThrow(() -> new AssertionError("no LocalizedMessage in " + status));
    }

    List<String> fields() {
      return badRequest().getFieldViolationsList().stream().map(BadRequest.FieldViolation::getField).toList();
    }

    <T extends Message> Optional<T> detail(Class<T> type) {
      for (Any any : status.getDetailsList()) {
        if (any.is(type)) {
          try {
            return Optional.of(any.unpack(type));
          } catch (InvalidProtocolBufferException e) {
            throw new AssertionError("cannot unpack " + type.getSimpleName(), e);
          }
        }
      }
      return Optional.empty();
    }
  }

  /** Runs {@code call} (draining a server stream if it returns an iterator), expecting {@code code}. */
  static Failure failure(Status.Code code, Call call) {
    StatusRuntimeException caught = null;
    try {
      Object result = call.run();
      if (result instanceof java.util.Iterator<?> it) {
        while (it.hasNext()) {
          it.next();
        }
      }
    } catch (StatusRuntimeException e) {
      caught = e;
    } catch (Exception e) {
      throw new AssertionError("expected a gRPC status, got " + e, e);
    }
    if (caught == null) {
      fail("expected " + code + ", but the call succeeded");
    }
    StatusRuntimeException e = caught;
    assertEquals(code, e.getStatus().getCode(), () -> "status: " + e.getStatus());
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    assertNotNull(status, "rich error details (google.rpc.Status) in the trailers");
    assertEquals(code.value(), status.getCode());
    Failure f = new Failure(e, status);
    ErrorInfo info = f.errorInfo();
    assertEquals("overseer", info.getDomain());
    assertFalse(info.getReason().isEmpty(), "an ErrorInfo reason");
    assertFalse(f.message().contains("Exception") || f.message().contains("\tat "), "no stack trace: " + f.message());
    return f;
  }

  /** INVALID_ARGUMENT whose BadRequest names exactly {@code field} (among its violations). */
  static Failure invalid(String field, Call call) {
    Failure f = failure(Status.Code.INVALID_ARGUMENT, call);
    assertEquals("INVALID_ARGUMENT", f.errorInfo().getReason());
    assertFalse(f.badRequest().getFieldViolationsList().isEmpty(), "field violations");
    if (!f.fields().contains(field)) {
      fail("expected a violation of field '" + field + "', got " + f.fields() + " (" + f.message() + ")");
    }
    f.badRequest().getFieldViolationsList().forEach(v -> assertFalse(v.getDescription().isBlank(), "a description"));
    assertFalse(f.hint().getMessage().isBlank(), "a hint");
    return f;
  }

  static long count(TestDatabase db, String sql) {
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new AssertionError(sql + ": " + e.getMessage(), e);
    }
  }

  /** Row counts of the three tables and a digest of the jobs table's contents. */
  static Map<String, Object> snapshot(TestDatabase db) {
    Map<String, Object> s = new LinkedHashMap<>();
    for (String table : List.of("jobs", "job_events", "assets")) {
      s.put(table, count(db, "SELECT count(*) FROM " + table));
    }
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT md5(coalesce(string_agg(j::text, '|' ORDER BY id), '')) FROM jobs j")) {
      rs.next();
      s.put("jobs digest", rs.getString(1));
    } catch (SQLException e) {
      throw new AssertionError(e);
    }
    return s;
  }
}
