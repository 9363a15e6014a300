package io.overseer.server.api;

import static io.overseer.server.api.ApiTesting.count;
import static io.overseer.server.api.ApiTesting.failure;
import static io.overseer.server.api.ApiTesting.invalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import io.grpc.Status;
import io.overseer.v1.BatchCreateJobsRequest;
import io.overseer.v1.CancelJobRequest;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.GetJobRequest;
import io.overseer.v1.HeartbeatRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobEventKind;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import io.overseer.v1.ListJobAssetsRequest;
import io.overseer.v1.ListJobEventsRequest;
import io.overseer.v1.ListJobEventsResponse;
import io.overseer.v1.WatchJobRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** JobService on an in-process node: creation, reads, cancel, events, idempotency, batches. */
class JobServiceTest extends InProcessNodeTest {
  private Job create(String type) {
    return jobs.createJob(CreateJobRequest.newBuilder().setType(type).build());
  }

  private List<JobEvent> events(String id) {
    return jobs.listJobEvents(ListJobEventsRequest.newBuilder().setId(id).setPageSize(1000).build()).getEventsList();
  }

  private Lease claim() {
    return node.workers().claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("w1").build()).getLeases(0);
  }

  private static Struct params(String key, String value) {
    return Struct.newBuilder().putFields(key, Value.newBuilder().setStringValue(value).build()).build();
  }

  @Test
  void createJobAppliesTheDefaults() {
    Instant before = Instant.now().minusSeconds(1);
    Job job = create("demo");
    assertEquals(job.getId(), UUID.fromString(job.getId()).toString(), "a server-generated UUID");
    assertEquals("demo", job.getType());
    assertEquals("default", job.getQueue());
    assertEquals(3, job.getMaxAttempts());
    assertEquals(0, job.getPriority());
    assertEquals(JobState.JOB_STATE_QUEUED, job.getState());
    assertEquals("anonymous", job.getOwner());
    assertEquals(0, job.getAttempt());
    assertEquals(0, job.getProgress());
    assertFalse(job.getCancelRequested());
    assertFalse(job.hasTimeout(), "no timeout unless asked");
    assertFalse(job.hasStartTime() || job.hasFinishTime());
    assertTrue(job.getLabelsMap().isEmpty());
    assertEquals(Struct.getDefaultInstance(), job.getParams());
    assertEquals("", job.getIdempotencyKey());
    Instant created = Instant.ofEpochSecond(job.getCreateTime().getSeconds(), job.getCreateTime().getNanos());
    assertTrue(created.isAfter(before) && created.isBefore(Instant.now().plusSeconds(1)), "create_time is now: " + created);
    assertFalse(
        Instant.ofEpochSecond(job.getRunAt().getSeconds(), job.getRunAt().getNanos()).isBefore(created),
        "run_at defaults to now");

    List<JobEvent> events = events(job.getId());
    assertEquals(1, events.size());
    JobEvent first = events.get(0);
    assertEquals(1, first.getSequence());
    assertEquals(job.getId(), first.getJobId());
    assertEquals(JobEventKind.JOB_EVENT_KIND_STATE_CHANGED, first.getKind());
    assertEquals(JobState.JOB_STATE_QUEUED, first.getState());
    assertEquals(JobState.JOB_STATE_UNSPECIFIED, first.getPreviousState());
    assertEquals("anonymous", first.getActor());
    assertEquals("", first.getWorkerId());
    assertEquals(1, count(db, "SELECT count(*) FROM jobs"));
  }

  @Test
  void createJobKeepsEveryFieldAndGetJobReturnsIt() {
    Timestamp runAt = Timestamp.newBuilder().setSeconds(Instant.now().plusSeconds(3600).getEpochSecond()).build();
    Job job =
        jobs.createJob(
            CreateJobRequest.newBuilder()
                .setType("render.video:v2")
                .setQueue("gpu-1")
                .setParams(params("file", "a.mp4").toBuilder().putFields("n", Value.newBuilder().setNumberValue(2.5).build()))
                .setPriority(-1000)
                .setRunAt(runAt)
                .setMaxAttempts(100)
                .setTimeout(Duration.newBuilder().setSeconds(90))
                .setIdempotencyKey("key-1")
                .putLabels("env", "prod")
                .putLabels("team", "media")
                .build());
    assertEquals("render.video:v2", job.getType());
    assertEquals("gpu-1", job.getQueue());
    assertEquals(-1000, job.getPriority());
    assertEquals(100, job.getMaxAttempts());
    assertEquals(runAt, job.getRunAt());
    assertEquals(90, job.getTimeout().getSeconds());
    assertEquals("key-1", job.getIdempotencyKey());
    assertEquals("a.mp4", job.getParams().getFieldsOrThrow("file").getStringValue());
    assertEquals(2.5, job.getParams().getFieldsOrThrow("n").getNumberValue());
    assertEquals(java.util.Map.of("env", "prod", "team", "media"), job.getLabelsMap());
    assertEquals(job, jobs.getJob(GetJobRequest.newBuilder().setId(job.getId()).build()));
  }

  @Test
  void anUnknownIdIsNotFoundOnEveryCall() {
    String id = UUID.randomUUID().toString();
    create("demo");
    List<ApiTesting.Call> calls =
        List.of(
            () -> jobs.getJob(GetJobRequest.newBuilder().setId(id).build()),
            () -> jobs.cancelJob(CancelJobRequest.newBuilder().setId(id).build()),
            () -> jobs.listJobEvents(ListJobEventsRequest.newBuilder().setId(id).build()),
            () -> jobs.listJobAssets(ListJobAssetsRequest.newBuilder().setId(id).build()),
            () -> jobs.watchJob(WatchJobRequest.newBuilder().setId(id).build()));
    for (ApiTesting.Call call : calls) {
      ApiTesting.Failure f = failure(Status.Code.NOT_FOUND, call);
      assertEquals("JOB_NOT_FOUND", f.errorInfo().getReason());
      assertEquals("overseer", f.errorInfo().getDomain());
      assertEquals(id, f.errorInfo().getMetadataOrThrow("job_id"));
      assertTrue(f.message().contains(id), f.message());
      assertFalse(f.hint().getMessage().isBlank());
    }
  }

  @Test
  void aMalformedIdIsInvalidArgumentOnField_id() {
    for (String id : List.of("", "nope", "123", UUID.randomUUID() + "x", "'; DROP TABLE jobs; --")) {
      invalid("id", () -> jobs.getJob(GetJobRequest.newBuilder().setId(id).build()));
      invalid("id", () -> jobs.cancelJob(CancelJobRequest.newBuilder().setId(id).build()));
      invalid("id", () -> jobs.listJobEvents(ListJobEventsRequest.newBuilder().setId(id).build()));
      invalid("id", () -> jobs.listJobAssets(ListJobAssetsRequest.newBuilder().setId(id).build()));
      invalid("id", () -> jobs.watchJob(WatchJobRequest.newBuilder().setId(id).build()));
    }
  }

  @Test
  void cancellingAQueuedJobCancelsItAtOnceWithTheReason() {
    Job job = create("demo");
    Job cancelled = jobs.cancelJob(CancelJobRequest.newBuilder().setId(job.getId()).setReason("no longer needed").build());
    assertEquals(JobState.JOB_STATE_CANCELLED, cancelled.getState());
    assertTrue(cancelled.hasFinishTime());
    assertEquals(cancelled, jobs.getJob(GetJobRequest.newBuilder().setId(job.getId()).build()));

    List<JobEvent> events = events(job.getId());
    assertEquals(2, events.size());
    JobEvent e = events.get(1);
    assertEquals(2, e.getSequence());
    assertEquals(JobEventKind.JOB_EVENT_KIND_STATE_CHANGED, e.getKind());
    assertEquals(JobState.JOB_STATE_QUEUED, e.getPreviousState());
    assertEquals(JobState.JOB_STATE_CANCELLED, e.getState());
    assertEquals("no longer needed", e.getMessage());
    assertEquals("anonymous", e.getActor());

    // a cancelled job is never claimed
    assertEquals(0, node.workers().claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("w1").build()).getLeasesCount());
  }

  @Test
  void cancellingWithoutAReasonStillRecordsOne() {
    Job job = create("demo");
    jobs.cancelJob(CancelJobRequest.newBuilder().setId(job.getId()).build());
    assertFalse(events(job.getId()).get(1).getMessage().isBlank());
  }

  @Test
  void cancellingATerminalJobIsFailedPreconditionNamingItsState() {
    Job cancelled = create("demo");
    jobs.cancelJob(CancelJobRequest.newBuilder().setId(cancelled.getId()).build());
    Job done = create("demo");
    Lease lease = claim();
    node.workers().completeJob(CompleteJobRequest.newBuilder().setJobId(done.getId()).setLeaseToken(lease.getLeaseToken()).build());

    for (Job job : List.of(cancelled, done)) {
      String state = job == done ? "COMPLETED" : "CANCELLED";
      int eventsBefore = events(job.getId()).size();
      ApiTesting.Failure f =
          failure(
              Status.Code.FAILED_PRECONDITION,
              () -> jobs.cancelJob(CancelJobRequest.newBuilder().setId(job.getId()).setReason("again").build()));
      assertEquals("INVALID_TRANSITION", f.errorInfo().getReason());
      assertEquals(job.getId(), f.errorInfo().getMetadataOrThrow("job_id"));
      assertEquals(state, f.errorInfo().getMetadataOrThrow("state"));
      assertTrue(f.message().contains(state), f.message());
      assertFalse(f.hint().getMessage().isBlank());
      assertEquals(eventsBefore, events(job.getId()).size(), "a refused cancel writes nothing");
    }
  }

  @Test
  void cancellingARunningJobRequestsItOnce() {
    Job job = create("demo");
    claim();
    Job requested = jobs.cancelJob(CancelJobRequest.newBuilder().setId(job.getId()).setReason("stop").build());
    assertEquals(JobState.JOB_STATE_RUNNING, requested.getState());
    assertTrue(requested.getCancelRequested());
    JobEvent e = events(job.getId()).get(2);
    assertEquals(JobEventKind.JOB_EVENT_KIND_CANCEL_REQUESTED, e.getKind());
    assertEquals("stop", e.getMessage());
    Job again = jobs.cancelJob(CancelJobRequest.newBuilder().setId(job.getId()).setReason("stop").build());
    assertTrue(again.getCancelRequested());
    assertEquals(3, events(job.getId()).size(), "a second cancel request adds no event");
  }

  @Test
  void listJobEventsPagesOldestFirstWithoutGaps() {
    Job job = create("demo");
    Lease lease = claim();
    for (int p = 1; p <= 10; p++) {
      node.workers().heartbeat(HeartbeatRequest.newBuilder().setJobId(job.getId()).setLeaseToken(lease.getLeaseToken()).setProgress(p * 9).build());
    }
    node.workers().completeJob(CompleteJobRequest.newBuilder().setJobId(job.getId()).setLeaseToken(lease.getLeaseToken()).build());
    List<JobEvent> all = events(job.getId());
    assertEquals(13, all.size(), "created, claimed, 10 progress reports, completed");
    assertEquals(all, jobs.listJobEvents(ListJobEventsRequest.newBuilder().setId(job.getId()).build()).getEventsList());

    List<JobEvent> walked = new ArrayList<>();
    List<Integer> pageSizes = new ArrayList<>();
    String token = "";
    do {
      ListJobEventsResponse page =
          jobs.listJobEvents(ListJobEventsRequest.newBuilder().setId(job.getId()).setPageSize(5).setPageToken(token).build());
      walked.addAll(page.getEventsList());
      pageSizes.add(page.getEventsCount());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    assertEquals(List.of(5, 5, 3), pageSizes);
    assertEquals(all, walked);
    for (int i = 0; i < walked.size(); i++) {
      assertEquals(i + 1, walked.get(i).getSequence());
    }
    assertEquals(JobEventKind.JOB_EVENT_KIND_PROGRESS, walked.get(2).getKind());
    assertEquals(9, walked.get(2).getProgress());
    assertEquals(JobState.JOB_STATE_COMPLETED, walked.get(12).getState());

    // an exact multiple of the page size: the last full page may carry a token, then an empty page
    ListJobEventsResponse first =
        jobs.listJobEvents(ListJobEventsRequest.newBuilder().setId(job.getId()).setPageSize(13).build());
    assertEquals(13, first.getEventsCount());
    assertEquals("", first.getNextPageToken(), "no next page when everything fit");
  }

  @Test
  void aNewJobHasNoAssets() {
    Job job = create("demo");
    assertEquals(0, jobs.listJobAssets(ListJobAssetsRequest.newBuilder().setId(job.getId()).build()).getAssetsCount());
  }

  @Test
  void theSameIdempotencyKeyAndFieldsReturnTheSameJob() {
    CreateJobRequest request =
        CreateJobRequest.newBuilder()
            .setType("demo")
            .setParams(params("a", "1").toBuilder().putFields("b", Value.newBuilder().setNumberValue(2).build()))
            .putLabels("x", "y")
            .setTimeout(Duration.newBuilder().setSeconds(60))
            .setIdempotencyKey("order-42")
            .build();
    Job first = jobs.createJob(request);
    Job second = jobs.createJob(request);
    // the params in another order are the same JSON object
    Job third =
        jobs.createJob(
            request.toBuilder()
                .setParams(Struct.newBuilder().putFields("b", Value.newBuilder().setNumberValue(2).build()).putFields("a", Value.newBuilder().setStringValue("1").build()))
                .build());
    assertEquals(first, second);
    assertEquals(first, third);
    // explicit defaults are the same fields
    assertEquals(first, jobs.createJob(request.toBuilder().setQueue("default").setMaxAttempts(3).build()));
    assertEquals(1, count(db, "SELECT count(*) FROM jobs"));
    assertEquals(1, count(db, "SELECT count(*) FROM job_events"));
    // sub-millisecond timeouts and sub-microsecond run_at (beyond what is stored) repeat too
    CreateJobRequest precise =
        CreateJobRequest.newBuilder()
            .setType("demo")
            .setTimeout(Duration.newBuilder().setSeconds(1).setNanos(500_500_000))
            .setRunAt(Timestamp.newBuilder().setSeconds(Instant.now().getEpochSecond() + 600).setNanos(123_456_789))
            .setIdempotencyKey("precise")
            .build();
    Job preciseJob = jobs.createJob(precise);
    assertEquals(preciseJob, jobs.createJob(precise));
    assertEquals(2, count(db, "SELECT count(*) FROM jobs"));
    jobs.cancelJob(CancelJobRequest.newBuilder().setId(preciseJob.getId()).build());
    // the key also applies per item in a batch
    Job inBatch = jobs.batchCreateJobs(BatchCreateJobsRequest.newBuilder().addRequests(request).addRequests(request).build()).getJobs(1);
    assertEquals(first, inBatch);
    assertEquals(2, count(db, "SELECT count(*) FROM jobs"));
  }

  @Test
  void theSameIdempotencyKeyWithOtherFieldsIsAlreadyExists() {
    CreateJobRequest request =
        CreateJobRequest.newBuilder().setType("demo").setParams(params("a", "1")).setIdempotencyKey("k").build();
    Job first = jobs.createJob(request);
    List<CreateJobRequest> different =
        List.of(
            request.toBuilder().setParams(params("a", "2")).build(),
            request.toBuilder().setType("other").build(),
            request.toBuilder().setQueue("q2").build(),
            request.toBuilder().setPriority(5).build(),
            request.toBuilder().setMaxAttempts(7).build(),
            request.toBuilder().putLabels("k", "v").build(),
            request.toBuilder().setTimeout(Duration.newBuilder().setSeconds(5)).build());
    for (CreateJobRequest r : different) {
      ApiTesting.Failure f = failure(Status.Code.ALREADY_EXISTS, () -> jobs.createJob(r));
      assertEquals("IDEMPOTENCY_KEY_CONFLICT", f.errorInfo().getReason());
      assertEquals(first.getId(), f.errorInfo().getMetadataOrThrow("job_id"));
      assertEquals("k", f.errorInfo().getMetadataOrThrow("idempotency_key"));
      assertFalse(f.hint().getMessage().isBlank());
    }
    assertEquals(1, count(db, "SELECT count(*) FROM jobs"));
    assertEquals(1, count(db, "SELECT count(*) FROM job_events"));
  }
}
