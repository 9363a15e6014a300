package io.overseer.server.watch;

import static io.overseer.server.watch.WatchFixtures.storedEvents;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.server.watch.WatchFixtures.Watcher;
import io.overseer.v1.BatchCreateJobsRequest;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.HeartbeatRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobEventKind;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import io.overseer.v1.WorkerServiceGrpc;
import io.overseer.v1.WorkerServiceGrpc.WorkerServiceFutureStub;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many watchers on one node: 2,000 concurrent WatchJob streams over TCP (a few channels, async
 * stubs), each on its own job; every one receives every event of its job, in order, and the OK
 * end. The jobs are driven through the raw WorkerService stubs.
 */
@Timeout(180)
class WatchScaleTest {
  private static final int WATCHERS = Integer.getInteger("overseer.watchScale.watchers", 2_000);
  private static final int CHANNELS = 4;
  private static final int IN_FLIGHT = 64;
  private static final Duration WAIT = Duration.ofSeconds(60);
  /** created, claimed, progress 50, progress 90, completed */
  private static final int EVENTS = 5;

  @Test
  void twoThousandWatchersEachGetEveryEventOfTheirJobAndTheEnd() throws Exception {
    List<ManagedChannel> channels = new ArrayList<>();
    try (TestDatabase db = TestDatabase.create();
        TestServer node = TestServer.tcp(db)) {
      long t0 = System.nanoTime();
      List<Job> jobs = new ArrayList<>();
      for (int from = 0; from < WATCHERS; from += 1000) {
        BatchCreateJobsRequest.Builder batch = BatchCreateJobsRequest.newBuilder();
        for (int i = from; i < Math.min(WATCHERS, from + 1000); i++) {
          batch.addRequests(CreateJobRequest.newBuilder().setType("scale").putLabels("n", Integer.toString(i)));
        }
        jobs.addAll(node.jobs().batchCreateJobs(batch.build()).getJobsList());
      }
      for (int i = 0; i < CHANNELS; i++) {
        channels.add(NettyChannelBuilder.forTarget(node.target()).usePlaintext().build());
      }
      long created = System.nanoTime();

      List<Watcher> watchers = new ArrayList<>();
      for (int i = 0; i < WATCHERS; i++) {
        watchers.add(Watcher.start(channels.get(i % CHANNELS), jobs.get(i).getId(), 0));
      }
      Poll.until(WAIT, () -> node.server().activeWatchStreams() + " of " + WATCHERS + " streams open",
          () -> node.server().activeWatchStreams() == WATCHERS);
      Poll.until(WAIT, () -> watchers.stream().filter(w -> w.count() >= 1).count() + " of " + WATCHERS + " watchers replayed the creation event",
          () -> watchers.stream().allMatch(w -> w.count() == 1 && !w.ended()));
      long watching = System.nanoTime();

      List<Lease> leases = new ArrayList<>();
      while (leases.size() < WATCHERS) {
        leases.addAll(node.workers().claimJobs(ClaimJobsRequest.newBuilder()
            .setWorkerId("w-scale").addTypes("scale").setMaxJobs(Math.min(1000, WATCHERS - leases.size())).build())
            .getLeasesList());
      }
      WorkerServiceFutureStub workers = WorkerServiceGrpc.newFutureStub(channels.get(0));
      all(leases, l -> workers.heartbeat(beat(l).setProgress(50).setStage("running").build()));
      all(leases, l -> workers.heartbeat(beat(l).setProgress(90).setStage("collecting").build()));
      all(leases, l -> workers.completeJob(
          CompleteJobRequest.newBuilder().setJobId(l.getJob().getId()).setLeaseToken(l.getLeaseToken()).build()));
      long worked = System.nanoTime();

      for (Watcher w : watchers) {
        assertEquals(Status.Code.OK, w.awaitEnd(WAIT).getStatus().getCode());
      }
      long ended = System.nanoTime();
      for (int i = 0; i < WATCHERS; i++) {
        checkEvents(jobs.get(i).getId(), watchers.get(i).events());
      }
      for (int i = 0; i < WATCHERS; i += WATCHERS / 50) { // a sample, event for event
        assertEquals(storedEvents(node, jobs.get(i).getId()), watchers.get(i).events());
      }
      Poll.until(WAIT, () -> "ended streams are dropped",
          () -> node.server().activeWatchStreams() == 0);
      System.out.printf(Locale.ROOT,
          "WatchScaleTest: %d watchers, %d events each: create %d ms, open all streams %d ms, claim+2 heartbeats+complete %d ms,"
              + " last end seen %d ms after the last completion; total %d ms%n",
          WATCHERS, EVENTS, ms(created - t0), ms(watching - created), ms(worked - watching), ms(ended - worked), ms(ended - t0));
    } finally {
      channels.forEach(ManagedChannel::shutdownNow);
    }
  }

  private static void checkEvents(String jobId, List<JobEvent> events) {
    assertEquals(EVENTS, events.size(), "events of job " + jobId);
    for (int s = 1; s <= EVENTS; s++) {
      JobEvent e = events.get(s - 1);
      assertEquals(jobId, e.getJobId());
      assertEquals(s, e.getSequence(), "in order, no gaps, no duplicates");
    }
    assertEquals(JobState.JOB_STATE_QUEUED, events.get(0).getState());
    assertEquals(JobState.JOB_STATE_RUNNING, events.get(1).getState());
    assertEquals(JobEventKind.JOB_EVENT_KIND_PROGRESS, events.get(2).getKind());
    assertEquals(50, events.get(2).getProgress());
    assertEquals("collecting", events.get(3).getStage());
    assertEquals(JobState.JOB_STATE_COMPLETED, events.get(4).getState());
    assertEquals(100, events.get(4).getProgress());
  }

  private static HeartbeatRequest.Builder beat(Lease l) {
    return HeartbeatRequest.newBuilder().setJobId(l.getJob().getId()).setLeaseToken(l.getLeaseToken());
  }

  /** One call per lease, at most IN_FLIGHT at a time; fails on the first error. */
  private static <T> void all(List<Lease> leases, Function<Lease, ListenableFuture<T>> call) throws InterruptedException {
    Semaphore slots = new Semaphore(IN_FLIGHT);
    ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
    for (Lease l : leases) {
      slots.acquire();
      Futures.addCallback(call.apply(l), new FutureCallback<T>() {
        @Override
        public void onSuccess(T result) {
          slots.release();
        }

        @Override
        public void onFailure(Throwable t) {
          errors.add(t);
          slots.release();
        }
      }, MoreExecutors.directExecutor());
      if (!errors.isEmpty()) {
        break;
      }
    }
    if (!slots.tryAcquire(IN_FLIGHT, WAIT.toSeconds(), TimeUnit.SECONDS)) {
      throw new AssertionError("worker calls did not finish within " + WAIT);
    }
    if (!errors.isEmpty()) {
      throw new AssertionError("a worker call failed", errors.peek());
    }
  }

  private static long ms(long nanos) {
    return nanos / 1_000_000;
  }
}
