package io.overseer.server.signal;

import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The threads of this node waiting for work, each for its queues (none = every queue), and the
 * generations that make a wake-up impossible to miss.
 *
 * <p>Every wake-up takes the next generation. A queue's generation is that of its last wake-up;
 * {@code everyone} that of the last wake-up of all waiters. A waiter that read generation G before
 * looking for work returns at once if one of its queues (or everyone) was woken after G, so a
 * wake-up between its look and its wait is never lost. Only the newest {@link #MAX_QUEUES}
 * queues are remembered: a forgotten queue counts as woken at the newest forgotten generation,
 * which may wake a waiter for nothing (it looks again) but never lets one sleep through.
 *
 * <p>Each waiter sleeps on its own condition, signalled only by wake-ups of its queues: a job in
 * one queue does not wake the claimers of the others.
 */
final class Waiters {
  private static final int MAX_QUEUES = 4_096;

  private final ReentrantLock lock = new ReentrantLock();
  // all below under lock
  private long generation;
  private long everyone;
  private long forgotten;
  private boolean closed;
  /** Insertion order is generation order: a queue woken again is moved to the end. */
  private final LinkedHashMap<String, Long> queueGenerations =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
          if (size() > MAX_QUEUES) {
            forgotten = eldest.getValue();
            return true;
          }
          return false;
        }
      };
  private final Map<String, Set<Waiter>> byQueue = new HashMap<>();
  private final Set<Waiter> anyQueue = new HashSet<>();
  private final Set<Waiter> all = new HashSet<>();

  /** Compared by identity: two waits for the same queues are two waiters. */
  private static final class Waiter {
    final List<String> queues;
    final Condition woken;

    Waiter(List<String> queues, Condition woken) {
      this.queues = queues;
      this.woken = woken;
    }
  }

  long generation() {
    lock.lock();
    try {
      return generation;
    } finally {
      lock.unlock();
    }
  }

  /**
   * Waits until a wake-up of one of {@code queues} (empty: of any queue) or of everyone after
   * generation {@code seen}, the timeout, or close. True if woken.
   */
  boolean await(Collection<String> queues, long seen, Duration timeout) throws InterruptedException {
    List<String> qs = List.copyOf(queues);
    long nanos = timeout.toNanos();
    lock.lock();
    try {
      if (wokenSince(qs, seen) || closed || nanos <= 0) {
        return wokenSince(qs, seen);
      }
      Waiter w = new Waiter(qs, lock.newCondition());
      register(w);
      try {
        while (!wokenSince(qs, seen) && !closed && nanos > 0) {
          nanos = w.woken.awaitNanos(nanos);
        }
      } finally {
        unregister(w);
      }
      return wokenSince(qs, seen);
    } finally {
      lock.unlock();
    }
  }

  /** Wakes the waiters of these queues and those of every queue. */
  void wake(Collection<String> queues) {
    lock.lock();
    try {
      long g = ++generation;
      for (String q : queues) {
        queueGenerations.remove(q);
        queueGenerations.put(q, g);
        Set<Waiter> ws = byQueue.get(q);
        if (ws != null) {
          ws.forEach(w -> w.woken.signal());
        }
      }
      anyQueue.forEach(w -> w.woken.signal());
    } finally {
      lock.unlock();
    }
  }

  /** Wakes every waiter, whatever its queues. */
  void wakeEveryone() {
    lock.lock();
    try {
      everyone = ++generation;
      all.forEach(w -> w.woken.signal());
    } finally {
      lock.unlock();
    }
  }

  /** Wakes every waiter; later waits return at once. */
  void close() {
    lock.lock();
    try {
      closed = true;
    } finally {
      lock.unlock();
    }
    wakeEveryone();
  }

  private boolean wokenSince(List<String> queues, long seen) {
    if (everyone > seen) {
      return true;
    }
    if (queues.isEmpty()) {
      return generation > seen;
    }
    for (String q : queues) {
      if (queueGenerations.getOrDefault(q, forgotten) > seen) {
        return true;
      }
    }
    return false;
  }

  private void register(Waiter w) {
    all.add(w);
    if (w.queues.isEmpty()) {
      anyQueue.add(w);
    }
    for (String q : w.queues) {
      byQueue.computeIfAbsent(q, k -> new HashSet<>()).add(w);
    }
  }

  private void unregister(Waiter w) {
    all.remove(w);
    anyQueue.remove(w);
    for (String q : w.queues) {
      Set<Waiter> ws = byQueue.get(q);
      if (ws != null && ws.remove(w) && ws.isEmpty()) {
        byQueue.remove(q);
      }
    }
  }
}
