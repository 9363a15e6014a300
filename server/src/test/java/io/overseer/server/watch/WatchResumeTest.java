package io.overseer.server.watch;

import static io.overseer.server.watch.WatchFixtures.badRequest;
import static io.overseer.server.watch.WatchFixtures.beat;
import static io.overseer.server.watch.WatchFixtures.claim;
import static io.overseer.server.watch.WatchFixtures.complete;
import static io.overseer.server.watch.WatchFixtures.create;
import static io.overseer.server.watch.WatchFixtures.errorInfo;
import static io.overseer.server.watch.WatchFixtures.heartbeat;
import static io.overseer.server.watch.WatchFixtures.storedEvents;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.server.watch.WatchFixtures.Watcher;
import io.overseer.v1.AddAssetRequest;
import io.overseer.v1.CancelJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobEventKind;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * WatchJob replay and resume: a client that reconnects with its last sequence misses nothing and
 * sees nothing twice; the edges of {@code after_sequence}; the errors of a bad request.
 */
@Timeout(60)
class WatchResumeTest {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static TestDatabase db;
  private static TestServer node;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    node = TestServer.tcp(db);
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.close();
    }
    if (db != null) {
      db.close();
    }
  }

  @AfterEach
  void noStreamLeftOpen() {
    Poll.until(WAIT, () -> node.server().activeWatchStreams() + " watch streams still open on the server",
        () -> node.server().activeWatchStreams() == 0);
  }

  @Test
  void resumingWatcherGetsExactlyWhatItMissedThenLiveEventsThenTheEnd() throws Exception {
    int streamsBefore = node.server().activeWatchStreams();
    Job job = create(node, "resume");
    Watcher first = Watcher.start(node.channel(), job.getId(), 0);
    first.awaitCount(1, WAIT); // 1: created
    Lease lease = claim(node, "resume", "w-resume"); // 2: RUNNING
    heartbeat(node, lease, 10, "preparing"); // 3
    first.awaitCount(3, WAIT);

    first.cancel(); // the watcher goes away mid-job
    assertEquals(Status.Code.CANCELLED, first.awaitEnd(WAIT).getStatus().getCode());
    Poll.until(WAIT, () -> "the server drops the cancelled stream (open: " + node.server().activeWatchStreams() + ")",
        () -> node.server().activeWatchStreams() == streamsBefore);
    long resumeAt = first.lastSequence();
    assertEquals(3, resumeAt);

    // while it is away
    heartbeat(node, lease, 20, "running"); // 4
    heartbeat(node, lease, 20, "running"); // nothing changed: no event
    node.workers().addAsset(AddAssetRequest.newBuilder().setJobId(job.getId()).setLeaseToken(lease.getLeaseToken())
        .setAssetType("log").setUri("s3://bucket/log.txt").build()); // 5
    node.workers().heartbeat(beat(lease).setMessage("half way").build()); // 6
    heartbeat(node, lease, 60, "running"); // 7

    Watcher second = Watcher.start(node.channel(), job.getId(), resumeAt);
    second.awaitCount(4, WAIT);
    assertEquals(List.of(4L, 5L, 6L, 7L), sequences(second.events()), "the missed events, in order");
    assertEquals(
        List.of(JobEventKind.JOB_EVENT_KIND_PROGRESS, JobEventKind.JOB_EVENT_KIND_ASSET_ADDED,
            JobEventKind.JOB_EVENT_KIND_PROGRESS, JobEventKind.JOB_EVENT_KIND_PROGRESS),
        second.events().stream().map(JobEvent::getKind).collect(Collectors.toList()));
    assertEquals(streamsBefore + 1, node.server().activeWatchStreams());

    // live
    heartbeat(node, lease, 90, "collecting"); // 8
    second.awaitCount(5, WAIT);
    assertEquals(90, second.events().get(4).getProgress());
    assertEquals("collecting", second.events().get(4).getStage());
    assertTrue(!second.ended(), "the stream stays open while the job runs");
    complete(node, lease); // 9
    assertEquals(Status.Code.OK, second.awaitEnd(WAIT).getStatus().getCode());

    List<JobEvent> seen = new ArrayList<>(first.events());
    seen.addAll(second.events());
    assertEquals(storedEvents(node, job.getId()), seen, "both watches together are the whole log, once, in order");
    JobEvent last = seen.get(seen.size() - 1);
    assertEquals(9, last.getSequence());
    assertEquals(JobState.JOB_STATE_COMPLETED, last.getState());
    assertEquals(JobState.JOB_STATE_RUNNING, last.getPreviousState());
    Poll.until(WAIT, () -> "the ended stream is dropped",
        () -> node.server().activeWatchStreams() == streamsBefore);
  }

  @Test
  void afterSequenceZeroReplaysEveryEventOfAFinishedJob() throws Exception {
    Job job = finishedJob("replay");
    Watcher w = Watcher.start(node.channel(), job.getId(), 0);
    assertEquals(Status.Code.OK, w.awaitEnd(WAIT).getStatus().getCode());
    List<JobEvent> stored = storedEvents(node, job.getId());
    assertEquals(5, stored.size());
    assertEquals(stored, w.events());
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L), sequences(w.events()));
    assertEquals(JobState.JOB_STATE_QUEUED, w.events().get(0).getState());
    assertEquals(JobState.JOB_STATE_UNSPECIFIED, w.events().get(0).getPreviousState());
  }

  @Test
  void afterSequenceInTheMiddleOfAFinishedJobReplaysTheRest() throws Exception {
    Job job = finishedJob("replay-rest");
    Watcher w = Watcher.start(node.channel(), job.getId(), 3);
    assertEquals(Status.Code.OK, w.awaitEnd(WAIT).getStatus().getCode());
    assertEquals(List.of(4L, 5L), sequences(w.events()));
  }

  @Test
  void atOrPastTheLastEventOfAFinishedJobEndsAtOnceWithNothing() throws Exception {
    Job job = finishedJob("at-end");
    for (long after : new long[] {5, 6, 1_000_000}) {
      Watcher w = Watcher.start(node.channel(), job.getId(), after);
      StatusRuntimeException end = w.awaitEnd(Duration.ofSeconds(2));
      assertEquals(Status.Code.OK, end.getStatus().getCode(), "after_sequence " + after);
      assertEquals(List.of(), w.events(), "after_sequence " + after);
    }
  }

  @Test
  void atTheLastEventOfALiveJobWaitsForTheNextOne() throws Exception {
    int streamsBefore = node.server().activeWatchStreams();
    Job job = create(node, "live-at-end"); // 1
    Watcher w = Watcher.start(node.channel(), job.getId(), 1);
    Poll.until(WAIT, () -> "the stream is open",
        () -> node.server().activeWatchStreams() == streamsBefore + 1);
    assertTrue(!w.ended() && w.count() == 0, "nothing to send yet, but the stream stays open");
    node.jobs().cancelJob(CancelJobRequest.newBuilder().setId(job.getId()).setReason("not needed").build()); // 2
    assertEquals(Status.Code.OK, w.awaitEnd(WAIT).getStatus().getCode());
    assertEquals(1, w.events().size());
    JobEvent cancelled = w.events().get(0);
    assertEquals(2, cancelled.getSequence());
    assertEquals(JobState.JOB_STATE_CANCELLED, cancelled.getState());
    assertEquals("not needed", cancelled.getMessage());
  }

  @Test
  void pastTheLastEventOfALiveJobIsOutOfRange() throws Exception {
    Job job = create(node, "live-past-end"); // 1
    Watcher w = Watcher.start(node.channel(), job.getId(), 2);
    StatusRuntimeException end = w.awaitEnd(WAIT);
    assertEquals(Status.Code.OUT_OF_RANGE, end.getStatus().getCode());
    assertEquals(List.of(), w.events());
    assertEquals(job.getId(), errorInfo(end.getStatus(), end.getTrailers()).getMetadataOrThrow("job_id"));
    assertEquals("overseer", errorInfo(end.getStatus(), end.getTrailers()).getDomain());
  }

  @Test
  void unknownJobIsNotFound() throws Exception {
    Watcher w = Watcher.start(node.channel(), UUID.randomUUID().toString(), 0);
    StatusRuntimeException end = w.awaitEnd(WAIT);
    assertEquals(Status.Code.NOT_FOUND, end.getStatus().getCode());
    assertEquals("JOB_NOT_FOUND", errorInfo(end.getStatus(), end.getTrailers()).getReason());
  }

  @Test
  void malformedIdOrNegativeSequenceIsInvalidArgument() throws Exception {
    Watcher w = Watcher.start(node.channel(), "not-a-uuid", 0);
    StatusRuntimeException end = w.awaitEnd(WAIT);
    assertEquals(Status.Code.INVALID_ARGUMENT, end.getStatus().getCode());
    assertEquals("id", badRequest(end.getStatus(), end.getTrailers()).getFieldViolations(0).getField());

    Job job = create(node, "negative");
    Watcher negative = Watcher.start(node.channel(), job.getId(), -1);
    StatusRuntimeException negativeEnd = negative.awaitEnd(WAIT);
    assertEquals(Status.Code.INVALID_ARGUMENT, negativeEnd.getStatus().getCode());
    assertEquals("after_sequence", badRequest(negativeEnd.getStatus(), negativeEnd.getTrailers()).getFieldViolations(0).getField());
  }

  @Test
  void reconnectStormOnOneJobLosesNoStream() throws Exception {
    // each round a new watch of the job opens while the previous one is cancelled, as a client
    // reconnecting would: the new stream must still get the next live event promptly
    int streamsBefore = node.server().activeWatchStreams();
    Job job = create(node, "storm");
    Lease lease = claim(node, "storm", "w-storm");
    Watcher previous = Watcher.start(node.channel(), job.getId(), 0);
    previous.awaitCount(2, WAIT);
    long last = 2;
    for (int round = 1; round <= 300; round++) {
      Watcher next = Watcher.start(node.channel(), job.getId(), last);
      previous.cancel();
      heartbeat(node, lease, round % 101, "round-" + round);
      last++;
      next.awaitSequence(last, Duration.ofSeconds(3));
      assertEquals(1, next.count(), "round " + round + ": only the new event");
      previous = next;
    }
    complete(node, lease);
    assertEquals(Status.Code.OK, previous.awaitEnd(WAIT).getStatus().getCode());
    Poll.until(WAIT, () -> "every stream of the storm is dropped",
        () -> node.server().activeWatchStreams() == streamsBefore);
  }

  /** A job run to COMPLETED: events 1 created, 2 claimed, 3 and 4 progress, 5 completed. */
  private static Job finishedJob(String type) {
    Job job = create(node, type);
    Lease lease = claim(node, type, "w-" + type);
    heartbeat(node, lease, 30, "running");
    heartbeat(node, lease, 70, "running");
    complete(node, lease);
    return job;
  }

  private static List<Long> sequences(List<JobEvent> events) {
    return events.stream().map(JobEvent::getSequence).collect(Collectors.toList());
  }
}
