package io.overseer.server.watch;

import static io.overseer.server.watch.WatchFixtures.claim;
import static io.overseer.server.watch.WatchFixtures.complete;
import static io.overseer.server.watch.WatchFixtures.create;
import static io.overseer.server.watch.WatchFixtures.errorInfo;
import static io.overseer.server.watch.WatchFixtures.heartbeat;
import static io.overseer.server.watch.WatchFixtures.storedEvents;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.server.watch.WatchFixtures.Watcher;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Several nodes on one database: a watcher on node A sees, promptly, every event of a job that is
 * created and worked entirely through node B (LISTEN/NOTIFY, not the safety poll); a watch cut by
 * a node's shutdown resumes on another node without gaps or duplicates.
 */
@Timeout(120)
class WatchCrossNodeTest {
  /** Each event must reach the other node's watcher within this (the safety poll is 5 s). */
  private static final Duration PROMPT = Duration.ofSeconds(2);
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final int HEARTBEATS = 8;

  @Test
  void watcherOnNodeASeesEveryEventOfAJobRunThroughNodeBPromptly() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        TestServer a = TestServer.tcp(db);
        TestServer b = TestServer.tcp(db)) {
      Job job = create(b, "cross"); // 1, on B
      Watcher remote = Watcher.start(a.channel(), job.getId(), 0);
      Watcher local = Watcher.start(b.channel(), job.getId(), 0);
      remote.awaitCount(1, WAIT);
      local.awaitCount(1, WAIT);
      assertEquals(1, a.server().activeWatchStreams());

      List<Long> remoteDelays = new ArrayList<>();
      List<Long> localDelays = new ArrayList<>();
      long t0 = System.nanoTime();
      Lease lease = claim(b, "cross", "w-cross"); // 2
      record(t0, 2, remote, local, remoteDelays, localDelays); // the claim's event too, not only the next heartbeat
      for (int i = 1; i <= HEARTBEATS; i++) {
        t0 = System.nanoTime();
        heartbeat(b, lease, i * 10, "step-" + i); // 2 + i
        record(t0, 2 + i, remote, local, remoteDelays, localDelays);
      }
      t0 = System.nanoTime();
      complete(b, lease); // HEARTBEATS + 3
      record(t0, HEARTBEATS + 3, remote, local, remoteDelays, localDelays);

      assertEquals(Status.Code.OK, remote.awaitEnd(WAIT).getStatus().getCode());
      assertEquals(Status.Code.OK, local.awaitEnd(WAIT).getStatus().getCode());
      List<JobEvent> stored = storedEvents(a, job.getId());
      assertEquals(HEARTBEATS + 3, stored.size());
      assertEquals(stored, remote.events(), "node A's watcher got every event, once, in order");
      assertEquals(stored, local.events());
      System.out.printf(Locale.ROOT, "WatchCrossNodeTest: delivery delay from the action on B, watcher on A (remote): %s; on B (local): %s%n",
          summary(remoteDelays), summary(localDelays));
      Poll.until(WAIT, () -> "ended streams are dropped",
          () -> a.server().activeWatchStreams() == 0 && b.server().activeWatchStreams() == 0);
    }
  }

  @Test
  void watchCutByANodeShutdownResumesOnAnotherNode() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        TestServer a = TestServer.tcp(db);
        TestServer b = TestServer.tcp(db)) {
      Job job = create(a, "failover"); // 1
      Lease lease = claim(a, "failover", "w-failover"); // 2
      Watcher first;
      ManagedChannel toC = null;
      try (TestServer c = TestServer.tcp(db)) {
        // a channel of the test's own: closing the node must cut the stream, not the client
        toC = NettyChannelBuilder.forTarget(c.target()).usePlaintext().build();
        first = Watcher.start(toC, job.getId(), 0);
        heartbeat(b, lease, 10, "running"); // 3, on another node
        first.awaitCount(3, WAIT);
        // c closes here: its watch streams end UNAVAILABLE
      } finally {
        if (toC != null) {
          toC.shutdownNow();
        }
      }
      StatusRuntimeException cut = first.awaitEnd(WAIT);
      assertEquals(Status.Code.UNAVAILABLE, cut.getStatus().getCode());
      assertEquals("SHUTTING_DOWN", errorInfo(cut.getStatus(), cut.getTrailers()).getReason());
      heartbeat(a, lease, 50, "running"); // 4, while the watcher has no node
      Watcher second = Watcher.start(b.channel(), job.getId(), first.lastSequence());
      second.awaitCount(1, WAIT);
      heartbeat(a, lease, 80, "collecting"); // 5, live, from another node
      second.awaitCount(2, WAIT);
      complete(b, lease); // 6
      assertEquals(Status.Code.OK, second.awaitEnd(WAIT).getStatus().getCode());
      List<JobEvent> seen = new ArrayList<>(first.events());
      seen.addAll(second.events());
      assertEquals(storedEvents(b, job.getId()), seen, "nothing missed, nothing twice");
      assertEquals(6, seen.size());
    }
  }

  private static void record(long t0, long sequence, Watcher remote, Watcher local, List<Long> remoteDelays, List<Long> localDelays)
      throws InterruptedException {
    long localAt = local.awaitSequence(sequence, PROMPT, "the watcher on node B (where the event happened)");
    long remoteAt = remote.awaitSequence(sequence, PROMPT, "the watcher on node A");
    assertEquals(sequence, remote.lastSequence(), "no event beyond the one just made");
    remoteDelays.add((remoteAt - t0) / 1_000_000);
    localDelays.add((localAt - t0) / 1_000_000);
    assertTrue(remoteAt - t0 < PROMPT.toNanos());
  }

  private static String summary(List<Long> delaysMs) {
    long max = delaysMs.stream().mapToLong(Long::longValue).max().orElse(0);
    double mean = delaysMs.stream().mapToLong(Long::longValue).average().orElse(0);
    return String.format(Locale.ROOT, "mean %.1f ms, max %d ms over %d events %s", mean, max, delaysMs.size(), delaysMs);
  }
}
