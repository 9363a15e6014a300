package io.overseer.server.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.BatchCreateJobsRequest;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** With --async-claim-commit, claims still lease each job once and completions still land. */
class AsyncClaimCommitTest {
  @Test
  void claimsLeaseEachJobOnceAndCompletionsLand() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        TestServer node = TestServer.inProcess(db, "--async-claim-commit")) {
      node.jobs().batchCreateJobs(BatchCreateJobsRequest.newBuilder()
          .addAllRequests(Collections.nCopies(20, CreateJobRequest.newBuilder().setType("a").build())).build());
      Set<String> seen = new HashSet<>();
      for (int i = 0; i < 4; i++) {
        List<Lease> leases = node.workers().claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("w" + i).setMaxJobs(5).build()).getLeasesList();
        assertEquals(5, leases.size());
        for (Lease l : leases) {
          assertEquals(true, seen.add(l.getJob().getId()), "each job leased once");
          assertEquals(JobState.JOB_STATE_COMPLETED, node.workers().completeJob(CompleteJobRequest.newBuilder()
              .setJobId(l.getJob().getId()).setLeaseToken(l.getLeaseToken()).build()).getState());
        }
      }
      try (Connection c = db.connect(); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE state = 'COMPLETED'), count(*) FROM jobs")) {
        rs.next();
        assertEquals(20, rs.getInt(1));
        assertEquals(20, rs.getInt(2));
      }
    }
  }
}
