package io.overseer.chaos.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.overseer.client.OverseerClient;
import io.overseer.client.OverseerException;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 7, scenario 6: an ambiguous CreateJob. The first attempt of every idempotency key reaches
 * the server, which commits the job, but the reply is lost for real (a {@link LossyProxy} between
 * client and server swallows it): the client sees its deadline pass, or its connection reset after
 * the commit, or reset at a random moment while the insert may still be running. The client then
 * retries the identical request with the same key, through a new connection, until it gets an
 * answer. Each key must end with exactly one job, the one every successful answer named.
 */
@Timeout(600)
class AmbiguousCreateTest {
  private static final String SCENARIO = "ambiguous_create";
  private static final Duration FIRST_ATTEMPT_DEADLINE = Duration.ofMillis(300);
  private static final Duration COMMIT_WAIT = Duration.ofSeconds(10);

  /** How the first attempt's reply is lost. */
  enum Loss {
    /** The reply is swallowed and the short deadline passes; the job was committed before the retry. */
    DEADLINE_AFTER_COMMIT,
    /** The reply is swallowed; the connection is reset once the job is committed. */
    RESET_AFTER_COMMIT,
    /** The reply is swallowed and the connection reset at a random moment; the retry may race the insert. */
    RESET_AT_RANDOM
  }

  private final AtomicLong committedBeforeRetry = new AtomicLong();
  private final AtomicLong retriesNeeded = new AtomicLong();
  private final AtomicLong answeredAnyway = new AtomicLong();
  private final AtomicLong conflictsChecked = new AtomicLong();
  private final LongAccumulator worstRecoveryNanos = new LongAccumulator(Math::max, 0);
  private final long[] losses = new long[Loss.values().length];

  @Test
  void everyKeyEndsWithExactlyOneJob() throws Exception {
    long seed = ChaosRun.seed(SCENARIO);
    int lanes = ChaosRun.size(4, 8);
    int perLane = ChaosRun.size(50, 125);
    long started = System.nanoTime();
    try (AutoCloseable quiet = ChaosRun.quietLogs();
        TestDatabase db = TestDatabase.create();
        TestServer node = TestServer.tcp(db, "--log-level=error")) {
      ExecutorService pool = Executors.newFixedThreadPool(lanes);
      ScheduledExecutorService cutter = Executors.newSingleThreadScheduledExecutor();
      List<Future<List<String>>> results = new ArrayList<>();
      try {
        for (int lane = 0; lane < lanes; lane++) {
          Lane l = new Lane(node, db, cutter, new Random(seed + lane), "amb-" + Long.toHexString(seed) + "-" + lane + "-");
          results.add(pool.submit(() -> l.run(perLane)));
        }
        List<String> problems = new ArrayList<>();
        for (Future<List<String>> f : results) {
          problems.addAll(f.get(580, TimeUnit.SECONDS));
        }
        Totals totals = totals(db);
        int keys = lanes * perLane;
        long lost = keys - totals.keysWithOneJob - totals.keysWithMoreJobs + problems.size();
        ChaosRun.ResultRow row =
            new ChaosRun.ResultRow(SCENARIO, seed)
                .core(keys, totals.jobs, lost, totals.keysWithMoreJobs, Duration.ofNanos(worstRecoveryNanos.get()))
                .put("deadline_after_commit", losses[0])
                .put("reset_after_commit", losses[1])
                .put("reset_at_random", losses[2])
                .put("committed_before_retry", committedBeforeRetry.get())
                .put("extra_retries", retriesNeeded.get())
                .put("first_attempt_answered_anyway", answeredAnyway.get())
                .put("conflicts_checked", conflictsChecked.get())
                .put("seconds", (System.nanoTime() - started) / 1_000_000_000L);
        row.publish();
        assertTrue(problems.isEmpty(), "problems:\n" + String.join("\n", problems));
        assertEquals(keys, totals.jobs, "one job per key, and no other job");
        assertEquals(keys, totals.keysWithOneJob, "every key has exactly one job");
        assertEquals(0, totals.keysWithMoreJobs, "no key has two jobs");
        assertEquals(totals.jobs, totals.events, "each job has only its creation event");
        long mustHaveCommitted = losses[0] + losses[1];
        assertTrue(committedBeforeRetry.get() >= mustHaveCommitted,
            "the first attempt committed before the retry in the deadline and reset-after-commit cases");
      } finally {
        pool.shutdownNow();
        cutter.shutdownNow();
      }
    }
  }

  /** One client with its own proxy and channel, going through its keys one after another. */
  private final class Lane {
    final TestDatabase db;
    final ScheduledExecutorService cutter;
    final Random random;
    final String keyPrefix;
    final LossyProxy proxy;
    final ManagedChannel channel;
    final OverseerClient impatient; // the first attempt's short deadline
    final OverseerClient patient;

    Lane(TestServer node, TestDatabase db, ScheduledExecutorService cutter, Random random, String keyPrefix) throws Exception {
      this.db = db;
      this.cutter = cutter;
      this.random = random;
      this.keyPrefix = keyPrefix;
      this.proxy = new LossyProxy(Integer.parseInt(node.target().substring(node.target().lastIndexOf(':') + 1)));
      this.channel = NettyChannelBuilder.forTarget(proxy.target()).usePlaintext().build();
      this.impatient = OverseerClient.builder().channel(channel).deadline(FIRST_ATTEMPT_DEADLINE).build();
      this.patient = OverseerClient.builder().channel(channel).deadline(Duration.ofSeconds(20)).build();
    }

    List<String> run(int keys) throws Exception {
      List<String> problems = new ArrayList<>();
      try (Connection sql = db.connect()) {
        for (int i = 0; i < keys; i++) {
          String key = keyPrefix + i + (random.nextInt(4) == 0 ? "-ключ-✓" : "");
          CreateJobRequest request = RandomJobs.create(random, key);
          Loss loss = Loss.values()[random.nextInt(10) < 4 ? 0 : random.nextInt(10) < 6 ? 1 : 2];
          String problem = oneKey(sql, request, loss);
          if (problem != null) {
            problems.add(key + ": " + problem);
          }
        }
      } finally {
        channel.shutdownNow();
        proxy.close();
      }
      return problems;
    }

    /** The ambiguous create of one key and its retries; a problem, or null. */
    String oneKey(Connection sql, CreateJobRequest request, Loss loss) throws Exception {
      String key = request.getIdempotencyKey();
      ensureConnected();
      synchronized (losses) {
        losses[loss.ordinal()]++;
      }
      proxy.loseReplies();
      long failedAt;
      if (loss == Loss.DEADLINE_AFTER_COMMIT) {
        OverseerException e = firstAttemptFails(() -> impatient.create(request), false);
        failedAt = System.nanoTime();
        if (e.code() != Status.Code.DEADLINE_EXCEEDED) {
          return "the first attempt failed with " + e.code() + " instead of passing its deadline";
        }
        if (!Poll.eventually(COMMIT_WAIT, Duration.ofMillis(5), () -> jobIds(sql, key).size() > 0)) {
          return "the server never committed the first attempt";
        }
        proxy.cut();
      } else {
        CompletableFuture<Job> first = CompletableFuture.supplyAsync(() -> patient.create(request));
        if (loss == Loss.RESET_AFTER_COMMIT) {
          if (!Poll.eventually(COMMIT_WAIT, Duration.ofMillis(2), () -> jobIds(sql, key).size() > 0)) {
            return "the server never committed the first attempt";
          }
          proxy.cut();
        } else {
          cutter.schedule(proxy::cut, random.nextInt(20_000), TimeUnit.MICROSECONDS);
        }
        OverseerException e = firstAttemptFails(first::join, loss == Loss.RESET_AT_RANDOM);
        failedAt = System.nanoTime();
        if (e == null) {
          answeredAnyway.incrementAndGet(); // cut before the call went out: grpc retried it on a clean connection
        } else if (e.code() != Status.Code.UNAVAILABLE && e.code() != Status.Code.CANCELLED) {
          return "the first attempt failed with " + e.code() + " (" + e.getMessage() + ") instead of losing its connection";
        }
      }
      if (!jobIds(sql, key).isEmpty()) {
        committedBeforeRetry.incrementAndGet();
      }
      Job job = retry(request);
      worstRecoveryNanos.accumulate(System.nanoTime() - failedAt);
      return check(sql, request, job);
    }

    /** Retries the identical request until the server answers; only transient failures are retried. */
    Job retry(CreateJobRequest request) {
      Job[] job = {null};
      OverseerException[] last = {null};
      // a client's back-off between tries: Poll's pause, up to 20 ms
      boolean answered = Poll.eventually(Duration.ofSeconds(30), Duration.ofMillis(20), () -> {
        if (last[0] != null) {
          retriesNeeded.incrementAndGet();
        }
        try {
          job[0] = patient.create(request);
          return true;
        } catch (OverseerException e) {
          boolean transientFailure = e.code() == Status.Code.UNAVAILABLE || e.code() == Status.Code.ABORTED;
          if (!transientFailure) {
            throw e;
          }
          last[0] = e;
          return false;
        }
      });
      if (!answered) {
        throw last[0];
      }
      return job[0];
    }

    String check(Connection sql, CreateJobRequest request, Job job) {
      List<String> ids = jobIds(sql, request.getIdempotencyKey());
      if (ids.size() != 1) {
        return ids.size() + " jobs in the database";
      }
      if (!ids.get(0).equals(job.getId())) {
        return "the retry returned job " + job.getId() + " but the database holds " + ids.get(0);
      }
      String mismatch = RandomJobs.mismatch(request, job);
      if (mismatch != null) {
        return "the returned job differs from the request: " + mismatch;
      }
      if (job.getState() != JobState.JOB_STATE_QUEUED || job.getAttempt() != 0) {
        return "the returned job is " + job.getState() + " attempt " + job.getAttempt();
      }
      if (random.nextInt(20) == 0) {
        // the same key with other params is a conflict, and creates nothing
        conflictsChecked.incrementAndGet();
        CreateJobRequest other = request.toBuilder().setPriority(request.getPriority() == 7 ? 8 : 7).build();
        try {
          patient.create(other);
          return "a different request with the same key was accepted";
        } catch (OverseerException e) {
          if (e.code() != Status.Code.ALREADY_EXISTS || !"IDEMPOTENCY_KEY_CONFLICT".equals(e.reason())) {
            return "a different request with the same key got " + e.code() + " " + e.reason();
          }
        }
      }
      return null;
    }

    /** The lane's connection is up, so that {@link LossyProxy#loseReplies()} applies to the next call. */
    void ensureConnected() {
      if (proxy.openConnections() == 0) {
        try {
          patient.get("00000000-0000-0000-0000-000000000000");
        } catch (OverseerException e) {
          assertEquals(Status.Code.NOT_FOUND, e.code(), "warm-up call");
        }
      }
    }

    /** The first attempt's failure; null if it was answered and {@code mayBeAnswered}. */
    OverseerException firstAttemptFails(java.util.function.Supplier<Job> attempt, boolean mayBeAnswered) {
      try {
        Job j = attempt.get();
        if (mayBeAnswered) {
          return null;
        }
        fail("the first attempt got its reply (job " + j.getId() + "): the proxy did not lose it");
        return null;
      } catch (java.util.concurrent.CompletionException e) {
        return OverseerException.from(e.getCause());
      } catch (OverseerException e) {
        return e;
      }
    }
  }

  static List<String> jobIds(Connection sql, String key) {
    try (PreparedStatement ps = sql.prepareStatement("SELECT id FROM jobs WHERE idempotency_key = ?")) {
      ps.setString(1, key);
      List<String> ids = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getString(1));
        }
      }
      return ids;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  record Totals(long jobs, long events, long keysWithOneJob, long keysWithMoreJobs) {}

  static Totals totals(TestDatabase db) throws SQLException {
    try (Connection c = db.connect();
        ResultSet rs =
            c.createStatement()
                .executeQuery(
                    "SELECT (SELECT count(*) FROM jobs), (SELECT count(*) FROM job_events),"
                        + " (SELECT count(*) FROM (SELECT 1 FROM jobs GROUP BY idempotency_key HAVING count(*) = 1) a),"
                        + " (SELECT count(*) FROM (SELECT 1 FROM jobs GROUP BY idempotency_key HAVING count(*) > 1) b)")) {
      rs.next();
      return new Totals(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4));
    }
  }
}
