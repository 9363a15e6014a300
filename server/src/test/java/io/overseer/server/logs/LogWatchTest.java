package io.overseer.server.logs;

import static io.overseer.server.logs.LogFixtures.appendOn;
import static io.overseer.server.logs.LogFixtures.complete;
import static io.overseer.server.logs.LogFixtures.leased;
import static io.overseer.server.logs.LogFixtures.lines;
import static io.overseer.server.logs.LogFixtures.numbered;
import static io.overseer.server.logs.LogFixtures.stored;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.overseer.server.logs.LogFixtures.LogWatch;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.FailJobRequest;
import io.overseer.v1.Lease;
import io.overseer.v1.LogLine;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * WatchJobLogs on real nodes: stored lines then live ones, in order and once each; resuming after
 * a sequence; the end once the job is terminal and every line was sent; refusals before the
 * stream starts; and a watcher on one node following a job worked through another (LISTEN/NOTIFY,
 * promptly: the safety poll is 5 s), which resumes on another node when its own shuts down.
 */
@Timeout(120)
class LogWatchTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  /** A line appended on one node reaches a watcher on another within this. */
  private static final Duration PROMPT = Duration.ofSeconds(2);

  @Test
  void sendsStoredThenLiveLinesAndEndsOkOnceTheJobIsTerminal() throws Exception {
    try (TestDatabase db = TestDatabase.create(); TestServer node = TestServer.tcp(db)) {
      Lease lease = leased(node, "live");
      String id = lease.getJob().getId();
      appendOn(node, lease, numbered("stored", 250));
      LogWatch watch = LogWatch.start(node.channel(), id, 0);
      watch.awaitCount(250, WAIT);
      for (int i = 1; i <= 5; i++) {
        appendOn(node, lease, numbered("live" + i, 10));
        watch.awaitCount(250 + 10 * i, WAIT);
      }
      Poll.holdsFor(Duration.ofMillis(100), "the stream stays open while the job runs", () -> !watch.ended());
      complete(node, lease);
      assertEquals(Status.Code.OK, watch.awaitEnd(WAIT).getCode());
      assertEquals(stored(node.jobs(), id, 0, 1000), watch.lines, "every line, once, in order");
      Poll.until(WAIT, "the ended stream is dropped", () -> node.server().activeLogStreams() == 0);
    }
  }

  @Test
  void resumesAfterASequenceAndEndsAtOnceAtTheEndOfATerminalJob() throws Exception {
    try (TestDatabase db = TestDatabase.create(); TestServer node = TestServer.tcp(db)) {
      Lease lease = leased(node, "resume");
      String id = lease.getJob().getId();
      appendOn(node, lease, numbered("l", 40));
      LogWatch resumed = LogWatch.start(node.channel(), id, 30);
      resumed.awaitCount(10, WAIT);
      assertEquals(31, resumed.lines.get(0).getSequence());
      LogWatch atTheEnd = LogWatch.start(node.channel(), id, 40);
      Poll.holdsFor(Duration.ofMillis(100), "a watch at the end of a live job waits", () -> atTheEnd.lines.isEmpty() && !atTheEnd.ended());
      Status past = LogWatch.start(node.channel(), id, 41).awaitEnd(WAIT);
      assertEquals(Status.Code.OUT_OF_RANGE, past.getCode(), "past the last line of a live job");
      appendOn(node, lease, lines("41"));
      atTheEnd.awaitCount(1, WAIT);
      assertEquals(41, atTheEnd.lines.get(0).getSequence());

      complete(node, lease);
      assertEquals(Status.Code.OK, resumed.awaitEnd(WAIT).getCode());
      assertEquals(Status.Code.OK, atTheEnd.awaitEnd(WAIT).getCode());
      assertEquals(List.of(31L, 41L), List.of(resumed.lines.get(0).getSequence(), resumed.lines.get(10).getSequence()));
      for (long after : new long[] {41, 500}) {
        LogWatch done = LogWatch.start(node.channel(), id, after);
        assertEquals(Status.Code.OK, done.awaitEnd(WAIT).getCode(), "at or past the end of a terminal job: OK at once");
        assertTrue(done.lines.isEmpty());
      }
      LogWatch rest = LogWatch.start(node.channel(), id, 35);
      assertEquals(Status.Code.OK, rest.awaitEnd(WAIT).getCode());
      assertEquals(6, rest.lines.size(), "the stored rest of a terminal job, then the end");
    }
  }

  @Test
  void aJobThatEndsWithoutLinesEndsItsWatchAndUnknownJobsAreRefusedBeforeAnyStream() throws Exception {
    try (TestDatabase db = TestDatabase.create(); TestServer node = TestServer.tcp(db)) {
      Lease lease = leased(node, "silent");
      LogWatch watch = LogWatch.start(node.channel(), lease.getJob().getId(), 0);
      Poll.until(WAIT, "the stream is open", () -> node.server().activeLogStreams() == 1);
      node.workers().failJob(FailJobRequest.newBuilder().setJobId(lease.getJob().getId()).setLeaseToken(lease.getLeaseToken()).build());
      assertEquals(Status.Code.OK, watch.awaitEnd(WAIT).getCode(), "the job's terminal event ends its logs stream");
      assertTrue(watch.lines.isEmpty());

      String queued = node.jobs().createJob(CreateJobRequest.newBuilder().setType("never-claimed").build()).getId();
      assertEquals(Status.Code.OUT_OF_RANGE, LogWatch.start(node.channel(), queued, 1).awaitEnd(WAIT).getCode());
      assertEquals(Status.Code.NOT_FOUND, LogWatch.start(node.channel(), UUID.randomUUID().toString(), 0).awaitEnd(WAIT).getCode());
      assertEquals(Status.Code.INVALID_ARGUMENT, LogWatch.start(node.channel(), "nope", 0).awaitEnd(WAIT).getCode());
      assertEquals(Status.Code.INVALID_ARGUMENT, LogWatch.start(node.channel(), queued, -1).awaitEnd(WAIT).getCode());
      assertEquals(0, node.server().activeLogStreams(), "no refused watch opened a stream");
    }
  }

  @Test
  void aWatcherOnNodeAFollowsAJobLoggingThroughNodeBAndResumesOnCWhenAShutsDown() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        TestServer b = TestServer.tcp(db);
        TestServer c = TestServer.tcp(db)) {
      Lease lease = leased(b, "cross");
      String id = lease.getJob().getId();
      List<LogLine> seen = new ArrayList<>();
      LogWatch first;
      ManagedChannel toA = null;
      try (TestServer a = TestServer.tcp(db)) {
        // a channel of the test's own: closing the node must cut the stream, not the client
        toA = NettyChannelBuilder.forTarget(a.target()).usePlaintext().build();
        first = LogWatch.start(toA, id, 0);
        Poll.until(WAIT, "the stream is open on A", () -> a.server().activeLogStreams() == 1);
        for (int i = 1; i <= 5; i++) {
          long t0 = System.nanoTime();
          appendOn(b, lease, numbered("b" + i, 20));
          first.awaitCount(20 * i, PROMPT);
          assertTrue(first.arrivals.get(20 * i - 1) - t0 < PROMPT.toNanos(), "lines appended on B reach A promptly");
        }
      } finally {
        if (toA != null) {
          toA.shutdownNow();
        }
      }
      Status cut = first.awaitEnd(WAIT);
      assertEquals(Status.Code.UNAVAILABLE, cut.getCode(), "A's shutdown ends its streams UNAVAILABLE");
      seen.addAll(first.lines);
      appendOn(b, lease, numbered("while-away", 7));
      LogWatch second = LogWatch.start(c.channel(), id, seen.get(seen.size() - 1).getSequence());
      second.awaitCount(7, WAIT);
      appendOn(b, lease, numbered("live-on-c", 3));
      second.awaitCount(10, PROMPT);
      complete(b, lease);
      assertEquals(Status.Code.OK, second.awaitEnd(WAIT).getCode(), "B's completion ends the stream on C");
      seen.addAll(second.lines);
      assertEquals(stored(c.jobs(), id, 0, 1000), seen, "nothing missed, nothing twice");
      assertEquals(110, seen.size());
    }
  }
}
