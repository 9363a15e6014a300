package io.overseer.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.JobServiceGrpc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Limits that protect the server: each refusal names its limit and writes nothing. */
class LimitsTest {
  static TestDatabase db;
  static TestServer node;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    node = TestServer.tcp(db, "--max-message-bytes=262144", "--max-payload-bytes=65536", "--max-metadata-bytes=8192", "--max-queued-per-owner=3");
  }

  @AfterAll
  static void stop() {
    node.close();
    db.close();
  }

  @Test
  void oversizedMessageIsRefusedNamingTheLimit() throws Exception {
    long before = jobs();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> node.jobs().createJob(withParams(300_000)));
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("262144"), e.getStatus().getDescription());
    assertEquals(before, jobs());
  }

  @Test
  void oversizedParamsAreRefusedNamingTheLimit() throws Exception {
    long before = jobs();
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> node.jobs().createJob(withParams(100_000)));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("params") && e.getStatus().getDescription().contains("65536"), e.getStatus().getDescription());
    assertEquals(before, jobs());
  }

  @Test
  void tooManyLabelsAreRefusedNamingTheLimit() throws Exception {
    long before = jobs();
    CreateJobRequest.Builder r = CreateJobRequest.newBuilder().setType("labels");
    for (int i = 0; i < 65; i++) {
      r.putLabels("k" + i, "v");
    }
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> node.jobs().createJob(r.build()));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertTrue(e.getStatus().getDescription().contains("at most 64 labels"), e.getStatus().getDescription());
    assertEquals(before, jobs());
  }

  @Test
  void oversizedMetadataIsRefused() throws Exception {
    long before = jobs();
    Metadata md = new Metadata();
    md.put(Metadata.Key.of("x-padding", Metadata.ASCII_STRING_MARSHALLER), "x".repeat(20_000));
    var stub = JobServiceGrpc.newBlockingStub(ClientInterceptors.intercept(node.channel(), MetadataUtils.newAttachHeadersInterceptor(md)));
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub.createJob(CreateJobRequest.newBuilder().setType("md").build()));
    assertTrue(e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED || e.getStatus().getCode() == Status.Code.INTERNAL
        || e.getStatus().getCode() == Status.Code.UNAVAILABLE, e.toString());
    assertEquals(before, jobs());
  }

  @Test
  void queuedJobsQuotaPerOwner() throws Exception {
    try (TestDatabase own = TestDatabase.create();
        TestServer quota = TestServer.inProcess(own, "--max-queued-per-owner=3")) {
      for (int i = 0; i < 3; i++) {
        quota.jobs().createJob(CreateJobRequest.newBuilder().setType("q").build());
      }
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> quota.jobs().createJob(CreateJobRequest.newBuilder().setType("q").build()));
      assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
      assertEquals("QUEUED_JOBS_QUOTA", AuthTest.errorInfo(e).getReason());
      assertTrue(e.getStatus().getDescription().contains("quota of 3"), e.getStatus().getDescription());
    }
  }

  private static CreateJobRequest withParams(int bytes) {
    return CreateJobRequest.newBuilder()
        .setType("big")
        .setParams(Struct.newBuilder().putFields("blob", Value.newBuilder().setStringValue("x".repeat(bytes)).build()))
        .build();
  }

  private static long jobs() throws Exception {
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT count(*) FROM jobs")) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
