package io.overseer.server.store;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.overseer.server.domain.Asset;
import io.overseer.server.domain.Endpoint;
import io.overseer.server.domain.Job;
import io.overseer.server.domain.JobEvent;
import io.overseer.server.domain.State;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;

/** Reads rows into domain records and binds the column types JDBC has no direct setter for. */
final class Rows {
  private Rows() {}

  static Job job(ResultSet rs) throws SQLException {
    long timeoutMs = rs.getLong("timeout_ms");
    Duration timeout = rs.wasNull() ? null : Duration.ofMillis(timeoutMs);
    return new Job(
        rs.getObject("id", UUID.class),
        rs.getString("type"),
        rs.getString("queue"),
        State.valueOf(rs.getString("state")),
        state(rs.getString("previous_state")),
        rs.getLong("seq"),
        rs.getInt("progress"),
        rs.getString("stage"),
        rs.getString("message"),
        rs.getString("params"),
        rs.getString("result"),
        rs.getString("error_message"),
        rs.getInt("priority"),
        rs.getInt("attempt"),
        rs.getInt("max_attempts"),
        timeout,
        instant(rs, "run_at"),
        rs.getString("owner"),
        labels(rs.getString("labels")),
        rs.getString("idempotency_key"),
        rs.getBoolean("cancel_requested"),
        rs.getString("worker_id"),
        rs.getString("lease_token"),
        instant(rs, "lease_expires_at"),
        rs.getInt("last_sequence"),
        instant(rs, "create_time"),
        instant(rs, "update_time"),
        instant(rs, "start_time"),
        instant(rs, "finish_time"),
        endpoints(rs.getString("endpoints")),
        rs.getBoolean("stop_requested"),
        (Boolean) rs.getObject("failed_retryable"));
  }

  /** At most one row: a compare-and-set that matched more than one row is a bug. */
  static Optional<Job> atMostOneJob(PreparedStatement ps) throws SQLException {
    List<Job> rows = allJobs(ps);
    if (rows.size() > 1) {
      throw new IllegalStateException("expected at most one job row, got " + rows.size());
    }
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  static List<Job> allJobs(PreparedStatement ps) throws SQLException {
    List<Job> rows = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        rows.add(job(rs));
      }
    }
    return rows;
  }

  static JobEvent event(ResultSet rs) throws SQLException {
    return new JobEvent(
        rs.getObject("job_id", UUID.class),
        rs.getInt("sequence"),
        JobEvent.EventKind.valueOf(rs.getString("kind")),
        State.valueOf(rs.getString("state")),
        state(rs.getString("previous_state")),
        rs.getInt("progress"),
        rs.getString("stage"),
        rs.getString("message"),
        rs.getString("actor"),
        rs.getString("worker_id"),
        rs.getObject("asset_id", UUID.class),
        instant(rs, "time"));
  }

  private static State state(String name) {
    return name == null ? null : State.valueOf(name);
  }

  static Asset asset(ResultSet rs) throws SQLException {
    return new Asset(
        rs.getObject("id", UUID.class),
        rs.getObject("job_id", UUID.class),
        rs.getString("owner"),
        rs.getString("asset_type"),
        rs.getString("uri"),
        rs.getString("storage_path"),
        rs.getLong("size_bytes"),
        rs.getString("content_type"),
        rs.getString("checksum"),
        instant(rs, "create_time"));
  }

  static Instant instant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  static void setInstant(PreparedStatement ps, int index, Instant value) throws SQLException {
    if (value == null) {
      ps.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      ps.setTimestamp(index, Timestamp.from(value));
    }
  }

  static void setLong(PreparedStatement ps, int index, Long value) throws SQLException {
    if (value == null) {
      ps.setNull(index, Types.BIGINT);
    } else {
      ps.setLong(index, value);
    }
  }

  static void setInt(PreparedStatement ps, int index, Integer value) throws SQLException {
    if (value == null) {
      ps.setNull(index, Types.INTEGER);
    } else {
      ps.setInt(index, value);
    }
  }

  private static final String EMPTY_OBJECT = "{}";
  private static final JsonFormat.Printer LABELS_PRINTER =
      JsonFormat.printer().omittingInsignificantWhitespace();
  private static final JsonFormat.Parser LABELS_PARSER = JsonFormat.parser();

  private static final String EMPTY_ARRAY = "[]";

  /** Endpoints as a JSON array of {"name", "uri"} objects. */
  static String endpointsJson(List<Endpoint> endpoints) {
    if (endpoints.isEmpty()) {
      return EMPTY_ARRAY;
    }
    ListValue.Builder list = ListValue.newBuilder();
    for (Endpoint e : endpoints) {
      Struct.Builder s = Struct.newBuilder();
      s.putFields("name", Value.newBuilder().setStringValue(e.name()).build());
      s.putFields("uri", Value.newBuilder().setStringValue(e.uri()).build());
      list.addValues(Value.newBuilder().setStructValue(s));
    }
    try {
      return LABELS_PRINTER.print(list);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  static List<Endpoint> endpoints(String json) {
    if (json == null || json.equals(EMPTY_ARRAY)) {
      return List.of();
    }
    ListValue.Builder list = ListValue.newBuilder();
    try {
      LABELS_PARSER.merge(json, list);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("endpoints column is not a JSON array: " + json, e);
    }
    List<Endpoint> out = new ArrayList<>();
    for (Value v : list.getValuesList()) {
      Map<String, Value> f = v.getStructValue().getFieldsMap();
      out.add(new Endpoint(f.get("name").getStringValue(), f.get("uri").getStringValue()));
    }
    return List.copyOf(out);
  }

  /** A string map as a JSON object (through protobuf's JSON printer, which escapes correctly). */
  static String labelsJson(Map<String, String> labels) {
    if (labels.isEmpty()) {
      return EMPTY_OBJECT; // most jobs: no printer, no Struct
    }
    Struct.Builder s = Struct.newBuilder();
    labels.forEach((k, v) -> s.putFields(k, Value.newBuilder().setStringValue(v).build()));
    try {
      return LABELS_PRINTER.print(s);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The labels of a row; jsonb prints an empty object as exactly {@code {}}. */
  static Map<String, String> labels(String json) {
    if (json.equals(EMPTY_OBJECT)) {
      return new TreeMap<>(); // most jobs: protobuf's JSON parser costs microseconds per row
    }
    Struct.Builder s = Struct.newBuilder();
    try {
      LABELS_PARSER.merge(json, s);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("labels column is not a JSON object: " + json, e);
    }
    Map<String, String> labels = new TreeMap<>();
    s.getFieldsMap().forEach((k, v) -> labels.put(k, v.getStringValue()));
    return labels;
  }
}
