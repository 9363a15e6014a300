package io.overseer.server.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.Durations;
import io.grpc.ManagedChannel;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.ServerProcess;
import io.overseer.server.testing.TestDatabase;
import io.overseer.v1.BatchCreateJobsRequest;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.JobServiceGrpc;
import io.overseer.v1.Lease;
import io.overseer.v1.WorkerServiceGrpc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Three server processes on one database share the work; when a node is killed while leases it
 * handed out expire, the others recover them within 10 s.
 */
class ThreeNodesTest {
  @Test
  void nodesShareTheWorkAndMaintenanceSurvivesAKilledNode() throws Exception {
    try (TestDatabase db = TestDatabase.create()) {
      List<ServerProcess> nodes = new ArrayList<>();
      List<ManagedChannel> channels = new ArrayList<>();
      try {
        for (int i = 0; i < 3; i++) {
          nodes.add(ServerProcess.start(db, "--maintenance-interval=250ms"));
          channels.add(nodes.get(i).channel());
        }
        // work shared: 300 jobs created through node 0, claimed and completed through all three
        BatchCreateJobsRequest.Builder batch = BatchCreateJobsRequest.newBuilder();
        for (int i = 0; i < 300; i++) {
          batch.addRequests(CreateJobRequest.newBuilder().setType("shared"));
        }
        JobServiceGrpc.newBlockingStub(channels.get(0)).batchCreateJobs(batch.build());
        Map<Integer, Integer> completedBy = new HashMap<>();
        for (int round = 0; completedBy.values().stream().mapToInt(Integer::intValue).sum() < 300; round++) {
          int n = round % 3;
          var worker = WorkerServiceGrpc.newBlockingStub(channels.get(n));
          for (Lease l : worker.claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("w" + n).addTypes("shared").setMaxJobs(10).build()).getLeasesList()) {
            worker.completeJob(CompleteJobRequest.newBuilder().setJobId(l.getJob().getId()).setLeaseToken(l.getLeaseToken()).build());
            completedBy.merge(n, 1, Integer::sum);
          }
          assertTrue(round < 200, "all jobs done in bounded rounds");
        }
        assertEquals(3, completedBy.size(), "every node served work: " + completedBy);
        assertEquals(300, count(db, "SELECT count(*) FROM jobs WHERE state = 'COMPLETED'"));

        // orphans: 30 claims with 1 s leases through node 0, which is then killed
        JobServiceGrpc.newBlockingStub(channels.get(1)).batchCreateJobs(BatchCreateJobsRequest.newBuilder()
            .addAllRequests(java.util.Collections.nCopies(30, CreateJobRequest.newBuilder().setType("orphan").build())).build());
        List<Lease> leases = WorkerServiceGrpc.newBlockingStub(channels.get(0)).claimJobs(ClaimJobsRequest.newBuilder()
            .setWorkerId("doomed").addTypes("orphan").setMaxJobs(30).setLeaseDuration(Durations.fromSeconds(1)).build()).getLeasesList();
        assertEquals(30, leases.size());
        nodes.get(0).kill();
        assertTrue(nodes.get(0).waitFor(10, TimeUnit.SECONDS));
        long killedAt = System.nanoTime();
        Poll.until(Duration.ofSeconds(10), "the surviving nodes recovered the 30 orphans within 10 s",
            () -> count(db, "SELECT count(*) FROM jobs WHERE type = 'orphan' AND state = 'QUEUED' AND attempt = 1") >= 30);
        System.out.printf("orphans recovered %d ms after the node was killed (leases of 1 s)%n",
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt));
        assertEquals(30, count(db, "SELECT count(*) FROM job_events e JOIN jobs j ON j.id = e.job_id"
            + " WHERE j.type = 'orphan' AND e.message = 'lease expired' AND e.actor = 'system'"));
      } finally {
        channels.forEach(ManagedChannel::shutdownNow);
        nodes.forEach(ServerProcess::close);
      }
    }
  }

  private static long count(TestDatabase db, String sql) throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
