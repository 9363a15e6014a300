package io.overseer.server.tail;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.server.testing.Poll;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The tail on an in-memory source shaped like job logs (no last item: a stream ends when a page
 * comes back empty and the job is done) and a sink with a ready switch: stored items then live
 * ones, nothing sent while the sink is not ready (not even the rest of a page), lost notices
 * covered by the safety poll, the end by the done check, close and cancel.
 */
@Timeout(30)
class TailTest {
  private static final Duration SOON = Duration.ofSeconds(5);

  private final Lines lines = new Lines();
  private Tail<Long> tail;

  @AfterEach
  void close() {
    if (tail != null) {
      tail.close();
    }
  }

  @Test
  void sendsStoredThenLiveItemsAndEndsWhenTheJobIsDone() {
    tail = new Tail<>("test", lines, 2, 2, 60_000, () -> new IllegalStateException("closing"));
    UUID job = UUID.randomUUID();
    lines.append(job, 5);
    Sink sink = new Sink(true);
    tail.open(job, 1, sink);
    Poll.until(SOON, "the stored items after 1", () -> sink.sent.equals(List.of(2L, 3L, 4L, 5L)));
    lines.append(job, 2);
    tail.notice(job, 7);
    Poll.until(SOON, "the live items", () -> sink.sent.size() == 6);
    assertEquals(List.of(2L, 3L, 4L, 5L, 6L, 7L), sink.sent);
    assertEquals(1, tail.activeStreams());
    lines.done.add(job);
    tail.notice(job, Long.MAX_VALUE); // as a logs tail hears that the job is terminal
    Poll.until(SOON, "the stream ended OK", () -> sink.completed);
    assertEquals(0, tail.activeStreams());
    assertNull(sink.error);
  }

  @Test
  void sendsNothingWhileTheSinkIsNotReadyThenCatchesUpFromTheSource() {
    tail = new Tail<>("test", lines, 10, 2, 60_000, () -> new IllegalStateException("closing"));
    UUID job = UUID.randomUUID();
    Sink sink = new Sink(false);
    tail.open(job, 0, sink);
    for (int i = 0; i < 100; i++) {
      lines.append(job, 1);
      tail.notice(job, lines.newest(job));
    }
    Poll.holdsFor(Duration.ofMillis(200), "nothing is sent to a sink that is not ready", sink.sent::isEmpty);
    sink.ready = true;
    sink.onReady.run();
    Poll.until(SOON, "all 100 items, in order", () -> sink.sent.size() == 100);
    for (int i = 0; i < 100; i++) {
      assertEquals(i + 1, sink.sent.get(i));
    }
  }

  @Test
  void stopsInTheMiddleOfAPageWhenTheSinkTurnsNotReady() {
    tail = new Tail<>("test", lines, 10, 2, 60_000, () -> new IllegalStateException("closing"));
    UUID job = UUID.randomUUID();
    lines.append(job, 10);
    Sink sink = new Sink(true);
    sink.readyFor = 3; // as a transport whose buffer fills after three items
    tail.open(job, 0, sink);
    Poll.until(SOON, "the items sent while ready", () -> sink.sent.size() == 3);
    Poll.holdsFor(Duration.ofMillis(200), "the rest of the page waits in the table, not in the sink", () -> sink.sent.size() == 3);
    sink.readyFor = Integer.MAX_VALUE;
    sink.ready = true;
    sink.onReady.run();
    Poll.until(SOON, "the rest, read again from the source", () -> sink.sent.size() == 10);
    assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), sink.sent);
  }

  @Test
  void theSafetyPollCoversLostNoticesAndEndsStreamsOfDoneJobs() {
    tail = new Tail<>("test", lines, 10, 2, 50, () -> new IllegalStateException("closing"));
    UUID job = UUID.randomUUID();
    Sink sink = new Sink(true);
    tail.open(job, 0, sink);
    lines.append(job, 3); // no notice
    Poll.until(SOON, "the items whose notice was lost", () -> sink.sent.size() == 3);
    lines.done.add(job); // no notice either
    Poll.until(SOON, "the stream of a done job ended", () -> sink.completed);
  }

  @Test
  void closeEndsEveryStreamWithTheShuttingDownErrorAndCancelForgetsAStream() {
    tail = new Tail<>("test", lines, 10, 2, 60_000, () -> new IllegalStateException("closing"));
    Sink cancelled = new Sink(true);
    tail.open(UUID.randomUUID(), 0, cancelled);
    Sink open = new Sink(true);
    tail.open(UUID.randomUUID(), 0, open);
    assertEquals(2, tail.activeStreams());
    cancelled.cancelled = true;
    cancelled.onCancel.run();
    assertEquals(1, tail.activeStreams());
    tail.close();
    assertEquals("closing", open.error.getMessage());
    assertNull(cancelled.error);
    assertEquals(0, tail.activeStreams());
    assertThrows(IllegalStateException.class, () -> tail.open(UUID.randomUUID(), 0, new Sink(true)));
  }

  /** Items 1, 2, 3… per job; no item is a last one: a job ends by being done. */
  private static final class Lines implements TailSource<Long> {
    final Map<UUID, Long> stored = new ConcurrentHashMap<>();
    final Set<UUID> done = ConcurrentHashMap.newKeySet();

    void append(UUID job, int n) {
      stored.merge(job, (long) n, Long::sum);
    }

    long newest(UUID job) {
      return stored.getOrDefault(job, 0L);
    }

    @Override
    public List<Long> page(UUID jobId, long afterSequence, int limit) {
      List<Long> page = new ArrayList<>();
      for (long s = afterSequence + 1; s <= newest(jobId) && page.size() < limit; s++) {
        page.add(s);
      }
      return page;
    }

    @Override
    public long sequence(Long item) {
      return item;
    }

    @Override
    public boolean isLast(Long item) {
      return false;
    }

    @Override
    public boolean isDone(UUID jobId, long afterSequence) {
      return done.contains(jobId) && newest(jobId) <= afterSequence;
    }

    @Override
    public Map<UUID, Long> newest(Collection<UUID> jobIds) {
      Map<UUID, Long> out = new HashMap<>();
      jobIds.forEach(id -> out.put(id, done.contains(id) ? Long.MAX_VALUE : newest(id)));
      return out;
    }
  }

  private static final class Sink implements TailSink<Long> {
    final List<Long> sent = new CopyOnWriteArrayList<>();
    volatile boolean ready;
    /** After this many items the sink turns not ready. */
    volatile int readyFor = Integer.MAX_VALUE;
    volatile boolean cancelled;
    volatile boolean completed;
    volatile RuntimeException error;
    Runnable onReady;
    Runnable onCancel;

    Sink(boolean ready) {
      this.ready = ready;
    }

    @Override
    public boolean isReady() {
      return ready;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public void setOnReady(Runnable hook) {
      onReady = hook;
    }

    @Override
    public void setOnCancel(Runnable hook) {
      onCancel = hook;
    }

    @Override
    public void send(Long item) {
      assertTrue(ready, "sent while not ready");
      sent.add(item);
      if (sent.size() >= readyFor) {
        ready = false;
      }
    }

    @Override
    public void complete() {
      completed = true;
    }

    @Override
    public void fail(RuntimeException e) {
      error = e;
    }
  }
}
