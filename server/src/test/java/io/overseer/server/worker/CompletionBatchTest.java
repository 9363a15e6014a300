package io.overseer.server.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.BatchCreateJobsRequest;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Concurrent completions share commits; each job still ends once, and a repeated call gets it back. */
class CompletionBatchTest {
  @Test
  void concurrentAndRepeatedCompletionsEndEachJobOnce() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        TestServer node = TestServer.tcp(db)) {
      node.jobs().batchCreateJobs(BatchCreateJobsRequest.newBuilder()
          .addAllRequests(Collections.nCopies(300, CreateJobRequest.newBuilder().setType("b").build())).build());
      List<Lease> leases = new ArrayList<>(node.workers().claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("w").setMaxJobs(300).build()).getLeasesList());
      assertEquals(300, leases.size());
      List<Lease> twice = new ArrayList<>(leases);
      twice.addAll(leases); // every completion sent twice, concurrently
      Collections.shuffle(twice);
      ExecutorService pool = Executors.newFixedThreadPool(32);
      try {
        List<Future<Job>> answers = new ArrayList<>();
        for (Lease l : twice) {
          answers.add(pool.submit(() -> node.workers().completeJob(CompleteJobRequest.newBuilder()
              .setJobId(l.getJob().getId()).setLeaseToken(l.getLeaseToken()).setPartial(l.getJob().getId().hashCode() % 2 == 0)
              .setErrorMessage(l.getJob().getId().hashCode() % 2 == 0 ? "half" : "").build())));
        }
        for (Future<Job> f : answers) {
          JobState s = f.get().getState();
          assertEquals(true, s == JobState.JOB_STATE_COMPLETED || s == JobState.JOB_STATE_PARTIAL, s.toString());
        }
      } finally {
        pool.shutdownNow();
      }
      try (Connection c = db.connect(); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT count(*), count(DISTINCT job_id) FROM job_events WHERE kind = 'STATE_CHANGED'"
              + " AND state IN ('COMPLETED', 'PARTIAL')")) {
        rs.next();
        assertEquals(300, rs.getInt(1), "one terminal event per job");
        assertEquals(300, rs.getInt(2));
      }
    }
  }
}
