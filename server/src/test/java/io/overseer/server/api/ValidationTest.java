package io.overseer.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.AddAssetRequest;
import io.overseer.v1.BatchCreateJobsRequest;
import io.overseer.v1.CancelJobRequest;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.FailJobRequest;
import io.overseer.v1.GetJobRequest;
import io.overseer.v1.HeartbeatRequest;
import io.overseer.v1.JobServiceGrpc.JobServiceBlockingStub;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import io.overseer.v1.ListJobAssetsRequest;
import io.overseer.v1.ListJobEventsRequest;
import io.overseer.v1.ListJobsRequest;
import io.overseer.v1.WatchJobRequest;
import io.overseer.v1.WorkerServiceGrpc.WorkerServiceBlockingStub;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Invalid requests to every RPC: each is INVALID_ARGUMENT with a BadRequest naming the field (the
 * proto path) and a hint, and writes nothing. One node for the class: a queued job and a running
 * one with a live lease, so every other field of a request is valid.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ValidationTest {
  private TestDatabase db;
  private TestServer node;
  private JobServiceBlockingStub jobs;
  private WorkerServiceBlockingStub workers;
  private String running;
  private String token;
  private String queued;

  @BeforeAll
  void start() throws Exception {
    db = TestDatabase.create();
    node = TestServer.inProcess(db);
    jobs = node.jobs();
    workers = node.workers();
    running = jobs.createJob(CreateJobRequest.newBuilder().setType("demo").setPriority(1).build()).getId();
    Lease lease =
        workers
            .claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("w1").setLeaseDuration(Duration.newBuilder().setSeconds(3600)).build())
            .getLeases(0);
    assertEquals(running, lease.getJob().getId());
    token = lease.getLeaseToken();
    queued = jobs.createJob(CreateJobRequest.newBuilder().setType("demo").build()).getId();
  }

  @AfterAll
  void stop() {
    node.close();
    db.close();
  }

  /** A call made with this test's stubs and jobs. */
  @FunctionalInterface
  interface Invocation {
    Object run(ValidationTest t);
  }

  private static Arguments bad(String name, String field, Invocation call) {
    return Arguments.of(name, field, call);
  }

  private static CreateJobRequest.Builder job() {
    return CreateJobRequest.newBuilder().setType("demo");
  }

  private static Duration seconds(long s, int nanos) {
    return Duration.newBuilder().setSeconds(s).setNanos(nanos).build();
  }

  private static Struct big(int chars, char c) {
    return Struct.newBuilder().putFields("blob", Value.newBuilder().setStringValue(String.valueOf(c).repeat(chars)).build()).build();
  }

  private static String b64(String s) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static Map<String, String> labels(int n) {
    Map<String, String> m = new java.util.HashMap<>();
    for (int i = 0; i < n; i++) {
      m.put("k" + i, "v");
    }
    return m;
  }

  static Stream<Arguments> invalidRequests() {
    String t129 = "t".repeat(129);
    String mib = "x".repeat(1024 * 1024 + 1);
    List<Arguments> cases = new ArrayList<>();
    // CreateJob
    cases.add(bad("empty type", "type", t -> t.jobs.createJob(CreateJobRequest.getDefaultInstance())));
    cases.add(bad("type of 129 characters", "type", t -> t.jobs.createJob(job().setType(t129).build())));
    cases.add(bad("type with a space", "type", t -> t.jobs.createJob(job().setType("my job").build())));
    cases.add(bad("type with a slash", "type", t -> t.jobs.createJob(job().setType("a/b").build())));
    cases.add(bad("type with non-ASCII", "type", t -> t.jobs.createJob(job().setType("jöb").build())));
    cases.add(bad("queue with a star", "queue", t -> t.jobs.createJob(job().setQueue("q*").build())));
    cases.add(bad("queue of 129 characters", "queue", t -> t.jobs.createJob(job().setQueue(t129).build())));
    cases.add(bad("priority 1001", "priority", t -> t.jobs.createJob(job().setPriority(1001).build())));
    cases.add(bad("priority -1001", "priority", t -> t.jobs.createJob(job().setPriority(-1001).build())));
    cases.add(bad("max_attempts 101", "max_attempts", t -> t.jobs.createJob(job().setMaxAttempts(101).build())));
    cases.add(bad("max_attempts -1", "max_attempts", t -> t.jobs.createJob(job().setMaxAttempts(-1).build())));
    cases.add(bad("timeout 0.5 s", "timeout", t -> t.jobs.createJob(job().setTimeout(seconds(0, 500_000_000)).build())));
    cases.add(bad("timeout 0", "timeout", t -> t.jobs.createJob(job().setTimeout(seconds(0, 0)).build())));
    cases.add(bad("timeout 8 days", "timeout", t -> t.jobs.createJob(job().setTimeout(seconds(8 * 86400, 0)).build())));
    cases.add(bad("timeout negative", "timeout", t -> t.jobs.createJob(job().setTimeout(seconds(-5, 0)).build())));
    cases.add(bad("65 labels", "labels", t -> t.jobs.createJob(job().putAllLabels(labels(65)).build())));
    cases.add(bad("label key of 64 characters", "labels", t -> t.jobs.createJob(job().putLabels("k".repeat(64), "v").build())));
    cases.add(bad("empty label key", "labels", t -> t.jobs.createJob(job().putLabels("", "v").build())));
    cases.add(bad("label value of 257 characters", "labels", t -> t.jobs.createJob(job().putLabels("k", "v".repeat(257)).build())));
    cases.add(bad("label value with NUL", "labels", t -> t.jobs.createJob(job().putLabels("k", "a\u0000b").build())));
    cases.add(bad("params over 1 MiB", "params", t -> t.jobs.createJob(job().setParams(big(1024 * 1024 + 1, 'x')).build())));
    cases.add(bad("params over 1 MiB as JSON", "params", t -> t.jobs.createJob(job().setParams(big(600 * 1024, '"')).build())));
    cases.add(bad("params over 1 MiB as UTF-8 JSON", "params", t -> t.jobs.createJob(job().setParams(Struct.newBuilder()
        .putFields("cjk", Value.newBuilder().setStringValue("中".repeat(300_000)).build())
        .putFields("ctl", Value.newBuilder().setStringValue("\u0001".repeat(30_000)).build())).build())));
    cases.add(bad("params with NUL", "params", t -> t.jobs.createJob(job().setParams(big(3, '\u0000')).build())));
    cases.add(bad("params with NaN", "params", t -> t.jobs.createJob(
        job().setParams(Struct.newBuilder().putFields("n", Value.newBuilder().setNumberValue(Double.NaN).build())).build())));
    cases.add(bad("run_at with negative nanos", "run_at", t -> t.jobs.createJob(job().setRunAt(Timestamp.newBuilder().setSeconds(10).setNanos(-1)).build())));
    cases.add(bad("run_at after year 9999", "run_at", t -> t.jobs.createJob(job().setRunAt(Timestamp.newBuilder().setSeconds(253402300800L)).build())));
    cases.add(bad("idempotency_key of 257 characters", "idempotency_key", t -> t.jobs.createJob(job().setIdempotencyKey("k".repeat(257)).build())));
    cases.add(bad("idempotency_key with NUL", "idempotency_key", t -> t.jobs.createJob(job().setIdempotencyKey("k\u0000").build())));
    // BatchCreateJobs
    cases.add(bad("empty batch", "requests", t -> t.jobs.batchCreateJobs(BatchCreateJobsRequest.getDefaultInstance())));
    cases.add(bad("1001 requests", "requests", t -> {
      BatchCreateJobsRequest.Builder b = BatchCreateJobsRequest.newBuilder();
      for (int i = 0; i < 1001; i++) {
        b.addRequests(job());
      }
      return t.jobs.batchCreateJobs(b.build());
    }));
    cases.add(bad("batch item without type", "requests[3].type", t -> t.jobs.batchCreateJobs(BatchCreateJobsRequest.newBuilder()
        .addRequests(job()).addRequests(job()).addRequests(job()).addRequests(job().clearType()).addRequests(job()).build())));
    cases.add(bad("batch item priority", "requests[1].priority", t -> t.jobs.batchCreateJobs(BatchCreateJobsRequest.newBuilder()
        .addRequests(job()).addRequests(job().setPriority(5000)).build())));
    cases.add(bad("batch item params", "requests[0].params", t -> t.jobs.batchCreateJobs(BatchCreateJobsRequest.newBuilder()
        .addRequests(job().setParams(big(1024 * 1024 + 1, 'x'))).build())));
    cases.add(bad("batch item labels", "requests[0].labels", t -> t.jobs.batchCreateJobs(BatchCreateJobsRequest.newBuilder()
        .addRequests(job().putAllLabels(labels(65))).build())));
    // GetJob, CancelJob, ListJobAssets
    cases.add(bad("GetJob without id", "id", t -> t.jobs.getJob(GetJobRequest.getDefaultInstance())));
    cases.add(bad("GetJob malformed id", "id", t -> t.jobs.getJob(GetJobRequest.newBuilder().setId("job-1").build())));
    cases.add(bad("CancelJob malformed id", "id", t -> t.jobs.cancelJob(CancelJobRequest.newBuilder().setId("x").build())));
    cases.add(bad("CancelJob reason too long", "reason", t -> t.jobs.cancelJob(CancelJobRequest.newBuilder().setId(t.queued).setReason("r".repeat(5000)).build())));
    cases.add(bad("CancelJob reason with NUL", "reason", t -> t.jobs.cancelJob(CancelJobRequest.newBuilder().setId(t.queued).setReason("a\u0000").build())));
    cases.add(bad("ListJobAssets malformed id", "id", t -> t.jobs.listJobAssets(ListJobAssetsRequest.newBuilder().setId("1").build())));
    // ListJobs
    cases.add(bad("ListJobs page_size -1", "page_size", t -> t.jobs.listJobs(ListJobsRequest.newBuilder().setPageSize(-1).build())));
    cases.add(bad("ListJobs garbage page_token", "page_token", t -> t.jobs.listJobs(ListJobsRequest.newBuilder().setPageToken("%%%not a token").build())));
    cases.add(bad("ListJobs forged page_token", "page_token", t -> t.jobs.listJobs(ListJobsRequest.newBuilder().setPageToken(b64("j1:abc:def")).build())));
    for (long micros : new long[] {Long.MAX_VALUE, Long.MIN_VALUE, 253402300800L * 1_000_000L}) {
      cases.add(bad("ListJobs page_token at " + micros + " µs", "page_token", t -> t.jobs.listJobs(
          ListJobsRequest.newBuilder().setPageToken(b64("j1:" + micros + ":" + UUID.randomUUID())).build())));
    }
    cases.add(bad("ListJobs page_token of ListJobEvents", "page_token", t -> t.jobs.listJobs(ListJobsRequest.newBuilder().setPageToken(b64("e1:5")).build())));
    cases.add(bad("ListJobs state UNSPECIFIED", "states[0]", t -> t.jobs.listJobs(ListJobsRequest.newBuilder().addStates(JobState.JOB_STATE_UNSPECIFIED).build())));
    cases.add(bad("ListJobs unknown state", "states[1]", t -> t.jobs.listJobs(
        ListJobsRequest.newBuilder().addStates(JobState.JOB_STATE_QUEUED).addStatesValue(42).build())));
    cases.add(bad("ListJobs bad type", "type", t -> t.jobs.listJobs(ListJobsRequest.newBuilder().setType("a b").build())));
    cases.add(bad("ListJobs bad queue", "queue", t -> t.jobs.listJobs(ListJobsRequest.newBuilder().setQueue(t129).build())));
    cases.add(bad("ListJobs 65 labels", "labels", t -> t.jobs.listJobs(ListJobsRequest.newBuilder().putAllLabels(labels(65)).build())));
    // WatchJob, ListJobEvents
    cases.add(bad("WatchJob negative after_sequence", "after_sequence", t -> t.jobs.watchJob(
        WatchJobRequest.newBuilder().setId(t.queued).setAfterSequence(-1).build())));
    cases.add(bad("WatchJob malformed id", "id", t -> t.jobs.watchJob(WatchJobRequest.newBuilder().setId("nope").build())));
    cases.add(bad("ListJobEvents page_size -1", "page_size", t -> t.jobs.listJobEvents(
        ListJobEventsRequest.newBuilder().setId(t.queued).setPageSize(-1).build())));
    cases.add(bad("ListJobEvents malformed page_token", "page_token", t -> t.jobs.listJobEvents(
        ListJobEventsRequest.newBuilder().setId(t.queued).setPageToken("garbage!").build())));
    cases.add(bad("ListJobEvents negative page_token", "page_token", t -> t.jobs.listJobEvents(
        ListJobEventsRequest.newBuilder().setId(t.queued).setPageToken(b64("e1:-3")).build())));
    cases.add(bad("ListJobEvents malformed id", "id", t -> t.jobs.listJobEvents(ListJobEventsRequest.newBuilder().setId("x").build())));
    // ClaimJobs
    ClaimJobsRequest claim = ClaimJobsRequest.newBuilder().setWorkerId("w2").build();
    cases.add(bad("ClaimJobs without worker_id", "worker_id", t -> t.workers.claimJobs(claim.toBuilder().clearWorkerId().build())));
    cases.add(bad("ClaimJobs max_jobs 1001", "max_jobs", t -> t.workers.claimJobs(claim.toBuilder().setMaxJobs(1001).build())));
    cases.add(bad("ClaimJobs max_jobs -1", "max_jobs", t -> t.workers.claimJobs(claim.toBuilder().setMaxJobs(-1).build())));
    cases.add(bad("ClaimJobs wait 61 s", "wait", t -> t.workers.claimJobs(claim.toBuilder().setWait(seconds(61, 0)).build())));
    cases.add(bad("ClaimJobs wait negative", "wait", t -> t.workers.claimJobs(claim.toBuilder().setWait(seconds(-1, 0)).build())));
    cases.add(bad("ClaimJobs lease 0.5 s", "lease_duration", t -> t.workers.claimJobs(claim.toBuilder().setLeaseDuration(seconds(0, 500_000_000)).build())));
    cases.add(bad("ClaimJobs lease 2 h", "lease_duration", t -> t.workers.claimJobs(claim.toBuilder().setLeaseDuration(seconds(7200, 0)).build())));
    cases.add(bad("ClaimJobs bad queue", "queues[1]", t -> t.workers.claimJobs(claim.toBuilder().addQueues("default").addQueues("bad queue").build())));
    cases.add(bad("ClaimJobs empty type", "types[0]", t -> t.workers.claimJobs(claim.toBuilder().addTypes("").build())));
    // Heartbeat
    cases.add(bad("Heartbeat progress 101", "progress", t -> t.workers.heartbeat(t.beat().setProgress(101).build())));
    cases.add(bad("Heartbeat progress -1", "progress", t -> t.workers.heartbeat(t.beat().setProgress(-1).build())));
    cases.add(bad("Heartbeat without lease_token", "lease_token", t -> t.workers.heartbeat(t.beat().clearLeaseToken().setProgress(5).build())));
    cases.add(bad("Heartbeat malformed job_id", "job_id", t -> t.workers.heartbeat(t.beat().setJobId("j").setProgress(5).build())));
    cases.add(bad("Heartbeat lease 2 h", "lease_duration", t -> t.workers.heartbeat(t.beat().setLeaseDuration(seconds(7200, 0)).build())));
    cases.add(bad("Heartbeat stage too long", "stage", t -> t.workers.heartbeat(t.beat().setStage(t129).build())));
    cases.add(bad("Heartbeat message with NUL", "message", t -> t.workers.heartbeat(t.beat().setMessage("m\u0000").build())));
    // CompleteJob, FailJob
    cases.add(bad("CompleteJob result over 1 MiB", "result", t -> t.workers.completeJob(CompleteJobRequest.newBuilder()
        .setJobId(t.running).setLeaseToken(t.token).setResult(big(1024 * 1024 + 1, 'x')).build())));
    cases.add(bad("CompleteJob without lease_token", "lease_token", t -> t.workers.completeJob(CompleteJobRequest.newBuilder().setJobId(t.running).build())));
    cases.add(bad("CompleteJob without job_id", "job_id", t -> t.workers.completeJob(CompleteJobRequest.newBuilder().setLeaseToken(t.token).build())));
    cases.add(bad("FailJob negative retry_after", "retry_after", t -> t.workers.failJob(FailJobRequest.newBuilder()
        .setJobId(t.running).setLeaseToken(t.token).setRetryable(true).setRetryAfter(seconds(-1, 0)).build())));
    cases.add(bad("FailJob malformed job_id", "job_id", t -> t.workers.failJob(FailJobRequest.newBuilder().setJobId("x").setLeaseToken(t.token).build())));
    cases.add(bad("FailJob error_message with NUL", "error_message", t -> t.workers.failJob(FailJobRequest.newBuilder()
        .setJobId(t.running).setLeaseToken(t.token).setErrorMessage("boom\u0000").build())));
    // AddAsset
    cases.add(bad("AddAsset without uri", "uri", t -> t.workers.addAsset(t.asset().clearUri().build())));
    cases.add(bad("AddAsset without asset_type", "asset_type", t -> t.workers.addAsset(t.asset().clearAssetType().build())));
    cases.add(bad("AddAsset negative size", "size_bytes", t -> t.workers.addAsset(t.asset().setSizeBytes(-1).build())));
    cases.add(bad("AddAsset without lease_token", "lease_token", t -> t.workers.addAsset(t.asset().clearLeaseToken().build())));
    cases.add(bad("AddAsset uri with NUL", "uri", t -> t.workers.addAsset(t.asset().setUri("s3://b/\u0000").build())));
    return cases.stream();
  }

  private HeartbeatRequest.Builder beat() {
    return HeartbeatRequest.newBuilder().setJobId(running).setLeaseToken(token);
  }

  private AddAssetRequest.Builder asset() {
    return AddAssetRequest.newBuilder()
        .setJobId(running).setLeaseToken(token).setAssetType("video").setUri("s3://bucket/out.mp4").setSizeBytes(10);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidRequests")
  void isInvalidArgumentNamingTheFieldAndWritesNothing(String name, String field, Invocation call) {
    Map<String, Object> before = ApiTesting.snapshot(db);
    ApiTesting.invalid(field, () -> call.run(this));
    assertEquals(before, ApiTesting.snapshot(db), "the database is unchanged");
  }
}
