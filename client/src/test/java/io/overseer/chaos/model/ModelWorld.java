package io.overseer.chaos.model;

import io.overseer.client.OverseerClient;
import io.overseer.server.testing.TestDatabase;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;

/**
 * Everything the model-based test's threads share: the jobs' models, every lease ever handed out
 * (at most one per job and attempt), every successful worker call (to check, in the end, that no
 * token succeeded after a later attempt was claimed), the violations found and the counters.
 */
final class ModelWorld {
  /** The server's --cancel-grace in this test. */
  static final Duration CANCEL_GRACE = Duration.ofSeconds(3);
  static final Duration STOP_GRACE = Duration.ofSeconds(3);
  /** How far ahead a lease must be certain before a step predicts a worker call's success. */
  static final Duration MARGIN = Duration.ofMillis(1500);

  /** A worker call that succeeded, by the attempt of its token. */
  record Success(String jobId, int attempt, String call, Instant sent) {}

  final List<JobModel> jobs = new CopyOnWriteArrayList<>();
  final TestDatabase db;
  private final Map<String, Instant> claimedAt = new ConcurrentHashMap<>(); // "job#attempt" -> when its claim returned
  private final List<Success> successes = Collections.synchronizedList(new ArrayList<>());
  private final List<String> violations = Collections.synchronizedList(new ArrayList<>());
  final Map<String, AtomicLong> counters = new ConcurrentHashMap<>();
  final LongAccumulator worstRecoveryNanos = new LongAccumulator(Math::max, -1);

  ModelWorld(TestDatabase db) {
    this.db = db;
  }

  void violation(String message) {
    violations.add(message);
    System.out.println("[model] VIOLATION " + message);
  }

  List<String> violations() {
    synchronized (violations) {
      return new ArrayList<>(violations);
    }
  }

  void count(String what) {
    counters.computeIfAbsent(what, k -> new AtomicLong()).incrementAndGet();
  }

  long counter(String what) {
    AtomicLong c = counters.get(what);
    return c == null ? 0 : c.get();
  }

  /** A job picked at random and locked, or null if the few tried were busy. */
  JobModel lockRandom(Random r, java.util.function.Predicate<JobModel> wanted) throws InterruptedException {
    int n = jobs.size();
    if (n == 0) {
      return null;
    }
    int start = r.nextInt(n);
    for (int i = 0; i < n; i++) {
      JobModel j = jobs.get((start + i) % n);
      if (j.lock.tryLock(5, TimeUnit.MILLISECONDS)) {
        if (wanted.test(j)) {
          return j;
        }
        j.lock.unlock();
      }
    }
    return null;
  }

  JobModel find(String id) {
    for (JobModel j : jobs) {
      if (j.id.equals(id)) {
        return j;
      }
    }
    return null;
  }

  /** Records a claim that returned at {@code returned}; a second lease for one attempt is a violation. */
  void claimed(String jobId, int attempt, Instant returned) {
    Instant before = claimedAt.putIfAbsent(jobId + "#" + attempt, returned);
    if (before != null) {
      violation("job " + jobId + ": attempt " + attempt + " was claimed twice (two live leases for one attempt)");
    }
  }

  /** Records a successful worker call and checks it was not sent after a later attempt was claimed. */
  void succeeded(String jobId, int attempt, String call, Instant sent) {
    Success s = new Success(jobId, attempt, call, sent);
    successes.add(s);
    check(s);
  }

  private boolean check(Success s) {
    for (int later = s.attempt() + 1; later <= s.attempt() + 100; later++) {
      Instant claimed = claimedAt.get(s.jobId() + "#" + later);
      if (claimed == null) {
        break;
      }
      if (claimed.isBefore(s.sent())) {
        violation("job " + s.jobId() + ": " + s.call() + " with the token of attempt " + s.attempt()
            + " succeeded although it was sent after attempt " + later + " was claimed");
        return false;
      }
    }
    return true;
  }

  /** The check of {@link #succeeded} again, now that every claim is recorded; the number of failures. */
  long recheckSuccesses() {
    synchronized (successes) {
      return successes.stream().filter(s -> !check(s)).count();
    }
  }

  /** Reads the job and its whole event log through {@code client}, and checks them against the model. */
  List<JobEvent> observe(OverseerClient client, JobModel j) {
    // a consistent pair: the job read before and after its events is the same (every event changes the job)
    Job job = client.get(j.id);
    List<JobEvent> events;
    for (int tries = 0; ; tries++) {
      events = client.events(j.id);
      Job again = client.get(j.id);
      if (again.equals(job)) {
        break;
      }
      job = again;
      if (tries == 50) {
        violation("job " + j.id + " kept changing: no consistent read of it and its events");
        return List.of();
      }
    }
    if (events.size() < job.getAttempt()) {
      violation("job " + j.id + ": fewer events than attempts");
    }
    return j.observe(job, events);
  }

  /** The job's row as the database has it now: state, lease token and whether its lease has expired. */
  record Row(String state, String leaseToken, boolean leaseExpired, Instant leaseExpiresAt) {}

  Row row(Connection sql, String id) {
    try (PreparedStatement ps =
        sql.prepareStatement("SELECT state, lease_token, lease_expires_at <= clock_timestamp(), lease_expires_at FROM jobs WHERE id = ?::uuid")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        java.sql.Timestamp t = rs.getTimestamp(4);
        return new Row(rs.getString(1), rs.getString(2), rs.getBoolean(3), t == null ? null : t.toInstant());
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
