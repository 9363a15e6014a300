package io.overseer.server;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.GetJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import io.overseer.v1.ListJobEventsRequest;
import org.junit.jupiter.api.Test;

class SmokeTest {
  @Test
  void createClaimComplete() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        TestServer node = TestServer.inProcess(db)) {
      Job job = node.jobs().createJob(CreateJobRequest.newBuilder().setType("demo").build());
      assertEquals(JobState.JOB_STATE_QUEUED, job.getState());
      Lease lease = node.workers().claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("w1").build()).getLeases(0);
      assertEquals(job.getId(), lease.getJob().getId());
      Job done =
          node.workers().completeJob(CompleteJobRequest.newBuilder().setJobId(job.getId()).setLeaseToken(lease.getLeaseToken()).build());
      assertEquals(JobState.JOB_STATE_COMPLETED, done.getState());
      assertEquals(100, done.getProgress());
      assertEquals(JobState.JOB_STATE_COMPLETED, node.jobs().getJob(GetJobRequest.newBuilder().setId(job.getId()).build()).getState());
      assertEquals(3, node.jobs().listJobEvents(ListJobEventsRequest.newBuilder().setId(job.getId()).build()).getEventsCount());
    }
  }
}
