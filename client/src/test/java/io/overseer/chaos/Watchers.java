package io.overseer.chaos;

import io.overseer.client.JobStates;
import io.overseer.client.OverseerClient;
import io.overseer.v1.JobEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Follows jobs with {@link OverseerClient#watch(String, long, java.util.function.Consumer)} (which
 * reconnects on UNAVAILABLE), one thread per job, checking that each sees every event exactly
 * once and in order (sequences 1, 2, 3… with no gap) up to a terminal event.
 */
final class Watchers {
  private final List<Thread> threads = new ArrayList<>();
  private final List<String> problems = new CopyOnWriteArrayList<>();
  private final AtomicInteger finished = new AtomicInteger();
  private final Map<String, AtomicLong> lastSequence = new ConcurrentHashMap<>();

  void watch(OverseerClient client, String jobId) {
    AtomicLong seen = new AtomicLong();
    lastSequence.put(jobId, seen);
    Thread t = new Thread(() -> {
      long[] last = {0};
      try {
        JobEvent end = client.watch(jobId, 0, e -> {
          if (e.getSequence() != last[0] + 1) {
            problems.add(jobId + ": event " + e.getSequence() + " after " + last[0]);
          }
          last[0] = e.getSequence();
          seen.set(e.getSequence());
        });
        if (end == null || !JobStates.isTerminal(end.getState())) {
          problems.add(jobId + ": the watch ended without a terminal event");
        } else {
          finished.incrementAndGet();
        }
      } catch (RuntimeException e) {
        problems.add(jobId + ": the watch failed after event " + last[0] + ": " + e.getMessage());
      }
    }, "chaos-watch-" + jobId);
    t.setDaemon(true);
    threads.add(t);
    t.start();
  }

  /** Waits for every watch to end; false if some are still running at the timeout. */
  boolean await(Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    for (Thread t : threads) {
      long left = end - System.nanoTime();
      if (left > 0) {
        t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
      }
      if (t.isAlive()) {
        return false;
      }
    }
    return true;
  }

  /** Whether the watch of every one of {@code jobIds} is attached: it received an event (the replayed creation at least). */
  boolean attached(Collection<String> jobIds) {
    return jobIds.stream().allMatch(id -> lastSequence.containsKey(id) && lastSequence.get(id).get() >= 1);
  }

  int count() {
    return threads.size();
  }

  /** Watches that saw their terminal event with no gap or duplicate. */
  int completed() {
    return finished.get() - (int) problems.stream().filter(p -> p.contains(": event ")).map(p -> p.split(":")[0]).distinct().count();
  }

  List<String> problems() {
    return List.copyOf(problems);
  }
}
