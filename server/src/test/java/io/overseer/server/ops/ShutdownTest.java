package io.overseer.server.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.ServerProcess;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.GetJobRequest;
import io.overseer.v1.HeartbeatRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobServiceGrpc;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import io.overseer.v1.WatchJobRequest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * SIGTERM to a server process with work in flight: unary calls in flight complete, watchers get
 * UNAVAILABLE and resume on a second node without missing an event, and no job is lost.
 */
class ShutdownTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  @Test
  void sigtermDrainsCallsEndsWatchesAndLosesNothing() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        ServerProcess nodeA = ServerProcess.start(db, "--drain-timeout=20s");
        TestServer nodeB = TestServer.tcp(db)) {
      ManagedChannel a = nodeA.channel();
      try {
        // a job running through node B, watched on node A
        Job job = JobServiceGrpc.newBlockingStub(a).createJob(CreateJobRequest.newBuilder().setType("long").build());
        Lease lease = nodeB.workers().claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("w").build()).getLeases(0);
        heartbeat(nodeB, lease, 10);
        List<JobEvent> seen = new CopyOnWriteArrayList<>();
        CompletableFuture<Status> watchEnd = watch(a, job.getId(), 0, seen);
        Poll.until(WAIT, () -> "the watcher on A got the first three events (has " + seen.size() + ")", () -> seen.size() == 3);

        // five CreateJob calls held in flight on A by a lock on the jobs table
        List<CompletableFuture<Job>> inFlight = new ArrayList<>();
        try (Connection lock = db.connect()) {
          lock.setAutoCommit(false);
          try (Statement st = lock.createStatement()) {
            st.execute("LOCK TABLE jobs IN SHARE ROW EXCLUSIVE MODE");
          }
          JobServiceGrpc.JobServiceFutureStub futures = JobServiceGrpc.newFutureStub(a);
          for (int i = 0; i < 5; i++) {
            var f = futures.createJob(CreateJobRequest.newBuilder().setType("in-flight").build());
            CompletableFuture<Job> c = new CompletableFuture<>();
            f.addListener(() -> {
              try {
                c.complete(f.get());
              } catch (Exception e) {
                c.completeExceptionally(e);
              }
            }, Runnable::run);
            inFlight.add(c);
          }
          // concurrent creates share group-commit batches: the first batch blocked in the
          // database means the calls sent with it are in the server (queued or blocked too)
          Poll.until(WAIT, "the CreateJob calls are blocked in the database", () -> waitingInserts(db) >= 1);
          nodeA.terminate();
          Status ended = watchEnd.get(10, TimeUnit.SECONDS);
          assertEquals(Status.Code.UNAVAILABLE, ended.getCode(), "watch streams end UNAVAILABLE: " + ended);
          lock.rollback();
        }
        for (CompletableFuture<Job> c : inFlight) {
          assertEquals(JobState.JOB_STATE_QUEUED, c.get(20, TimeUnit.SECONDS).getState(), "an in-flight call completed");
        }
        assertTrue(nodeA.waitFor(30, TimeUnit.SECONDS), "node A exited after draining");

        // the watcher resumes on B from its last sequence while the job goes on through B
        long last = seen.get(seen.size() - 1).getSequence();
        heartbeat(nodeB, lease, 50);
        CompletableFuture<Status> resumed = watch(nodeB.channel(), job.getId(), last, seen);
        nodeB.workers().completeJob(CompleteJobRequest.newBuilder().setJobId(job.getId()).setLeaseToken(lease.getLeaseToken()).build());
        assertTrue(resumed.get(10, TimeUnit.SECONDS).isOk());
        for (int i = 0; i < seen.size(); i++) {
          assertEquals(i + 1, seen.get(i).getSequence(), "no event missed or repeated");
        }
        assertEquals(JobState.JOB_STATE_COMPLETED, seen.get(seen.size() - 1).getState());
        for (CompletableFuture<Job> c : inFlight) {
          assertEquals("in-flight", nodeB.jobs().getJob(GetJobRequest.newBuilder().setId(c.get().getId()).build()).getType());
        }
      } finally {
        a.shutdownNow();
      }
    }
  }

  private static void heartbeat(TestServer node, Lease lease, int progress) {
    node.workers().heartbeat(HeartbeatRequest.newBuilder().setJobId(lease.getJob().getId()).setLeaseToken(lease.getLeaseToken()).setProgress(progress).build());
  }

  private static CompletableFuture<Status> watch(ManagedChannel channel, String id, long after, List<JobEvent> into) {
    CompletableFuture<Status> end = new CompletableFuture<>();
    JobServiceGrpc.newStub(channel).watchJob(WatchJobRequest.newBuilder().setId(id).setAfterSequence(after).build(), new StreamObserver<>() {
      @Override
      public void onNext(JobEvent e) {
        into.add(e);
      }

      @Override
      public void onError(Throwable t) {
        end.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        end.complete(Status.OK);
      }
    });
    return end;
  }

  private static int waitingInserts(TestDatabase db) {
    try (Connection c = db.connect();
        Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%INSERT INTO jobs%'")) {
      rs.next();
      return rs.getInt(1);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
