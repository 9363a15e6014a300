package io.overseer.server.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.HeartbeatRequest;
import io.overseer.v1.JobEventKind;
import io.overseer.v1.Lease;
import io.overseer.v1.ListJobEventsRequest;
import java.sql.Connection;
import java.sql.Statement;
import org.junit.jupiter.api.Test;

/** The stall watchdog and progress compaction. */
class HousekeepingTest {
  @Test
  void aJobWithoutProgressIsReportedStalledOncePerQuietSpell() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        TestServer node = TestServer.inProcess(db, "--stall-after=slow=1s", "--housekeeping-interval=1h", "--metrics-port=0")) {
      node.jobs().createJob(CreateJobRequest.newBuilder().setType("slow").build());
      node.jobs().createJob(CreateJobRequest.newBuilder().setType("other").build());
      Lease slow = node.workers().claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("w").addTypes("slow").build()).getLeases(0);
      Lease other = node.workers().claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("w").addTypes("other").build()).getLeases(0);
      progress(node, slow, 10);
      quiet(db, 2);
      node.server().housekeepNow();
      assertEquals(1, stalledEvents(node, slow), "reported once");
      assertEquals(0, stalledEvents(node, other), "types without a threshold are not watched");
      node.server().housekeepNow();
      assertEquals(1, stalledEvents(node, slow), "not again during the same quiet spell");
      progress(node, slow, 20);
      node.server().housekeepNow();
      assertEquals(1, stalledEvents(node, slow), "progress re-arms the watchdog without an event");
      quiet(db, 2);
      node.server().housekeepNow();
      assertEquals(2, stalledEvents(node, slow));
      assertEquals(2.0, MetricsTest.value(MetricsTest.scrape(node.server().metricsPort()), "overseer_jobs_stalled_total",
          java.util.Map.of("type", "slow")).orElseThrow());
    }
  }

  @Test
  void progressOfOldFinishedJobsIsCompactedKeepingStateChanges() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        TestServer node = TestServer.inProcess(db, "--compact-progress-after=1h", "--housekeeping-interval=1h")) {
      node.jobs().createJob(CreateJobRequest.newBuilder().setType("c").build());
      node.jobs().createJob(CreateJobRequest.newBuilder().setType("c").build());
      var leases = node.workers().claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("w").setMaxJobs(2).build()).getLeasesList();
      for (Lease l : leases) {
        for (int p = 10; p <= 50; p += 10) {
          progress(node, l, p);
        }
        node.workers().completeJob(CompleteJobRequest.newBuilder().setJobId(l.getJob().getId()).setLeaseToken(l.getLeaseToken()).build());
      }
      try (Connection c = db.connect(); Statement st = c.createStatement()) {
        st.executeUpdate("UPDATE jobs SET finish_time = now() - interval '2 hours' WHERE id = '" + leases.get(0).getJob().getId() + "'");
      }
      node.server().housekeepNow();
      var old = node.jobs().listJobEvents(ListJobEventsRequest.newBuilder().setId(leases.get(0).getJob().getId()).build()).getEventsList();
      var recent = node.jobs().listJobEvents(ListJobEventsRequest.newBuilder().setId(leases.get(1).getJob().getId()).build()).getEventsList();
      assertTrue(old.stream().noneMatch(e -> e.getKind() == JobEventKind.JOB_EVENT_KIND_PROGRESS), "old progress dropped");
      assertEquals(3, old.size(), "created, claimed, completed kept");
      assertEquals(8, recent.size(), "a recently finished job keeps its progress");
    }
  }

  private static void progress(TestServer node, Lease l, int p) {
    node.workers().heartbeat(HeartbeatRequest.newBuilder().setJobId(l.getJob().getId()).setLeaseToken(l.getLeaseToken()).setProgress(p).build());
  }

  /** Lets {@code seconds} pass for every running job's times (instead of waiting that long). */
  private static void quiet(TestDatabase db, int seconds) throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      st.executeUpdate("UPDATE jobs SET update_time = update_time - interval '" + seconds + " seconds',"
          + " stalled_at = stalled_at - interval '" + seconds + " seconds' WHERE state = 'RUNNING'");
    }
  }

  private static long stalledEvents(TestServer node, Lease l) {
    return node.jobs().listJobEvents(ListJobEventsRequest.newBuilder().setId(l.getJob().getId()).build()).getEventsList().stream()
        .filter(e -> e.getKind() == JobEventKind.JOB_EVENT_KIND_STALLED)
        .count();
  }
}
