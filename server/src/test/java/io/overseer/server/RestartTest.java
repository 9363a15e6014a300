package io.overseer.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Duration;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.CancelJobRequest;
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
import io.overseer.v1.ListJobEventsRequest;
import io.overseer.v1.ListJobsRequest;
import io.overseer.v1.WorkerServiceGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Jobs survive a restart. Without OVERSEER_TEST_DATABASE_URL this runs the real default: no
 * database settings, an embedded PostgreSQL kept under --data-dir, started twice. With it, two
 * successive nodes on one test database.
 */
class RestartTest {
  /** One server lifetime and a channel to it. */
  private interface Node extends AutoCloseable {
    ManagedChannel channel();

    @Override
    void close();

    default JobServiceGrpc.JobServiceBlockingStub jobs() {
      return JobServiceGrpc.newBlockingStub(channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    default WorkerServiceGrpc.WorkerServiceBlockingStub workers() {
      return WorkerServiceGrpc.newBlockingStub(channel()).withDeadlineAfter(30, TimeUnit.SECONDS);
    }
  }

  @FunctionalInterface
  private interface Starter {
    Node start() throws Exception;
  }

  @Test
  void aJobAndItsEventsSurviveARestart(@TempDir Path dataDir) throws Exception {
    if (TestDatabase.external()) {
      try (TestDatabase db = TestDatabase.create()) {
        check(() -> testServerNode(db));
      }
      return;
    }
    Path dir = dataDir.resolve("overseer-data");
    check(() -> embeddedDefaultNode(dir));
    assertTrue(Files.isDirectory(dir.resolve("pg")), "the embedded database lives under --data-dir");
  }

  private static Node embeddedDefaultNode(Path dataDir) throws Exception {
    ServerConfig config = ServerConfig.parse("--port=0", "--data-dir=" + dataDir);
    assertNull(config.databaseUrl, "no database settings: the embedded default");
    OverseerServer server = OverseerServer.start(config);
    assertTrue(server.databaseDescription().contains("embedded"), server.databaseDescription());
    ManagedChannel channel = NettyChannelBuilder.forTarget("127.0.0.1:" + server.port()).usePlaintext().build();
    return new Node() {
      @Override
      public ManagedChannel channel() {
        return channel;
      }

      @Override
      public void close() {
        channel.shutdownNow();
        server.close();
      }
    };
  }

  private static Node testServerNode(TestDatabase db) throws Exception {
    TestServer server = TestServer.tcp(db);
    return new Node() {
      @Override
      public ManagedChannel channel() {
        return server.channel();
      }

      @Override
      public void close() {
        server.close();
      }
    };
  }

  private static void check(Starter starter) throws Exception {
    Job running;
    Job cancelled;
    Lease lease;
    List<JobEvent> runningEvents;
    List<JobEvent> cancelledEvents;
    try (Node first = starter.start()) {
      running =
          first.jobs().createJob(CreateJobRequest.newBuilder().setType("restart").putLabels("k", "v").setIdempotencyKey("r1").build());
      lease =
          first.workers()
              .claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("w1").setLeaseDuration(Duration.newBuilder().setSeconds(3600)).build())
              .getLeases(0);
      assertEquals(running.getId(), lease.getJob().getId());
      for (int p : new int[] {10, 40, 70}) {
        first.workers().heartbeat(
            HeartbeatRequest.newBuilder().setJobId(running.getId()).setLeaseToken(lease.getLeaseToken()).setProgress(p).setStage("s" + p).build());
      }
      cancelled = first.jobs().createJob(CreateJobRequest.newBuilder().setType("restart").build());
      first.jobs().cancelJob(CancelJobRequest.newBuilder().setId(cancelled.getId()).setReason("not needed").build());
      running = get(first, running.getId());
      cancelled = get(first, cancelled.getId());
      runningEvents = events(first, running.getId());
      cancelledEvents = events(first, cancelled.getId());
      assertEquals(5, runningEvents.size(), "created, claimed, three progress reports");
      assertEquals(2, cancelledEvents.size());
    }

    try (Node second = starter.start()) {
      assertEquals(running, get(second, running.getId()));
      assertEquals(cancelled, get(second, cancelled.getId()));
      assertEquals(runningEvents, events(second, running.getId()));
      assertEquals(cancelledEvents, events(second, cancelled.getId()));
      assertEquals(2, second.jobs().listJobs(ListJobsRequest.getDefaultInstance()).getJobsCount());
      // the idempotency key is remembered
      assertEquals(
          running.getId(),
          second.jobs().createJob(CreateJobRequest.newBuilder().setType("restart").putLabels("k", "v").setIdempotencyKey("r1").build()).getId());
      // the lease lives in the database: the worker finishes its job on the new server
      Job done =
          second.workers().completeJob(CompleteJobRequest.newBuilder().setJobId(running.getId()).setLeaseToken(lease.getLeaseToken()).build());
      assertEquals(JobState.JOB_STATE_COMPLETED, done.getState());
      List<JobEvent> after = events(second, running.getId());
      assertEquals(6, after.size());
      assertEquals(runningEvents, after.subList(0, 5));
      assertEquals(6, after.get(5).getSequence(), "the sequence continues after the restart");
      // and it takes new work
      Job fresh = second.jobs().createJob(CreateJobRequest.newBuilder().setType("restart").build());
      assertEquals(JobState.JOB_STATE_QUEUED, fresh.getState());
    }
  }

  private static Job get(Node node, String id) {
    return node.jobs().getJob(GetJobRequest.newBuilder().setId(id).build());
  }

  private static List<JobEvent> events(Node node, String id) {
    return node.jobs().listJobEvents(ListJobEventsRequest.newBuilder().setId(id).build()).getEventsList();
  }
}
