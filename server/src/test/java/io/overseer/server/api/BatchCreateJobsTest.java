package io.overseer.server.api;

import static io.overseer.server.api.ApiTesting.count;
import static io.overseer.server.api.ApiTesting.failure;
import static io.overseer.server.api.ApiTesting.invalid;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.grpc.Status;
import io.overseer.v1.BatchCreateJobsRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.GetJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobState;
import io.overseer.v1.ListJobEventsRequest;
import java.util.List;
import org.junit.jupiter.api.Test;

/** BatchCreateJobs on an in-process node: order, all or nothing, idempotency keys per item. */
class BatchCreateJobsTest extends InProcessNodeTest {
  private List<JobEvent> events(String id) {
    return jobs.listJobEvents(ListJobEventsRequest.newBuilder().setId(id).build()).getEventsList();
  }

  @Test
  void batchCreateJobsReturnsTheJobsInOrder() {
    BatchCreateJobsRequest.Builder batch = BatchCreateJobsRequest.newBuilder();
    for (int i = 0; i < 20; i++) {
      batch.addRequests(CreateJobRequest.newBuilder().setType("t" + i).setPriority(i).putLabels("i", "" + i));
    }
    List<Job> created = jobs.batchCreateJobs(batch.build()).getJobsList();
    assertEquals(20, created.size());
    for (int i = 0; i < 20; i++) {
      Job j = created.get(i);
      assertEquals("t" + i, j.getType());
      assertEquals(i, j.getPriority());
      assertEquals(JobState.JOB_STATE_QUEUED, j.getState());
      assertEquals("default", j.getQueue());
      assertEquals(3, j.getMaxAttempts());
      assertEquals(j, jobs.getJob(GetJobRequest.newBuilder().setId(j.getId()).build()));
      List<JobEvent> events = events(j.getId());
      assertEquals(1, events.size());
      assertEquals(JobState.JOB_STATE_UNSPECIFIED, events.get(0).getPreviousState());
      assertEquals(JobState.JOB_STATE_QUEUED, events.get(0).getState());
    }
    assertEquals(20, created.stream().map(Job::getId).distinct().count());
  }

  @Test
  void oneInvalidItemFailsTheWholeBatchWithItsPath() {
    BatchCreateJobsRequest.Builder batch = BatchCreateJobsRequest.newBuilder();
    for (int i = 0; i < 6; i++) {
      batch.addRequests(CreateJobRequest.newBuilder().setType(i == 3 ? "" : "demo"));
    }
    ApiTesting.Failure f = invalid("requests[3].type", () -> jobs.batchCreateJobs(batch.build()));
    assertEquals(List.of("requests[3].type"), f.fields());
    assertEquals(0, count(db, "SELECT count(*) FROM jobs"));
    assertEquals(0, count(db, "SELECT count(*) FROM job_events"));
  }

  @Test
  void anIdempotencyConflictInsideABatchWritesNothing() {
    Job existing = jobs.createJob(CreateJobRequest.newBuilder().setType("demo").setIdempotencyKey("k1").build());
    BatchCreateJobsRequest conflicting =
        BatchCreateJobsRequest.newBuilder()
            .addRequests(CreateJobRequest.newBuilder().setType("demo"))
            .addRequests(CreateJobRequest.newBuilder().setType("demo").setIdempotencyKey("new-key"))
            .addRequests(CreateJobRequest.newBuilder().setType("other").setIdempotencyKey("k1"))
            .addRequests(CreateJobRequest.newBuilder().setType("demo"))
            .build();
    ApiTesting.Failure f = failure(Status.Code.ALREADY_EXISTS, () -> jobs.batchCreateJobs(conflicting));
    assertEquals("IDEMPOTENCY_KEY_CONFLICT", f.errorInfo().getReason());
    assertEquals(existing.getId(), f.errorInfo().getMetadataOrThrow("job_id"));
    assertEquals(1, count(db, "SELECT count(*) FROM jobs"));
    assertEquals(1, count(db, "SELECT count(*) FROM job_events"));

    // two items of one batch with one key and different fields conflict with each other
    BatchCreateJobsRequest selfConflicting =
        BatchCreateJobsRequest.newBuilder()
            .addRequests(CreateJobRequest.newBuilder().setType("demo").setIdempotencyKey("k2"))
            .addRequests(CreateJobRequest.newBuilder().setType("demo").setPriority(1).setIdempotencyKey("k2"))
            .build();
    failure(Status.Code.ALREADY_EXISTS, () -> jobs.batchCreateJobs(selfConflicting));
    assertEquals(1, count(db, "SELECT count(*) FROM jobs"));

    // the batch without the conflict goes through, and "new-key" was not taken by the failed one
    Job fresh = jobs.batchCreateJobs(BatchCreateJobsRequest.newBuilder().addRequests(conflicting.getRequests(1)).build()).getJobs(0);
    assertNotEquals(existing.getId(), fresh.getId());
    assertEquals(2, count(db, "SELECT count(*) FROM jobs"));
  }
}
