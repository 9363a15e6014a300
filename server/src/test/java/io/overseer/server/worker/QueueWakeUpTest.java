package io.overseer.server.worker;

import static io.overseer.server.worker.WorkerTesting.claim;
import static io.overseer.server.worker.WorkerTesting.create;
import static io.overseer.server.worker.WorkerTesting.newJob;
import static io.overseer.server.worker.WorkerTesting.queryLong;
import static io.overseer.server.worker.WorkerTesting.uniqueQueue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.Job;
import io.overseer.v1.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Wake-ups name their queue: a long poll of queue A sleeps through jobs of queue B and wakes at
 * once for a job of A, on one node and across two (node B takes its notifications over the
 * connection of {@code --listen-database-url}).
 */
@Timeout(120)
class QueueWakeUpTest {
  /** How long a long poll may take to reach the server and start waiting there. */
  private static final Duration REACH = Duration.ofSeconds(5);
  /** Shorter than the server's 1 s safety poll: such a claim looks again only when woken, or at its end. */
  private static final Duration SHORT_WAIT = Duration.ofMillis(900);
  private static final String LISTEN_APPLICATION = "overseer-listen-test";

  private static TestDatabase db;
  private static TestServer nodeA;
  private static TestServer nodeB;
  private static ExecutorService pool;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    nodeA = TestServer.inProcess(db);
    String listenUrl = db.url() + (db.url().contains("?") ? "&" : "?") + "ApplicationName=" + LISTEN_APPLICATION;
    nodeB = TestServer.tcp(db, "--listen-database-url=" + listenUrl);
    pool = Executors.newCachedThreadPool();
  }

  @AfterAll
  static void stop() {
    pool.shutdownNow();
    nodeA.close();
    nodeB.close();
    db.close();
  }

  @Test
  void aLongPollSleepsThroughJobsOfAnotherQueueAndWakesForItsOwnOnTheSameNode() throws Exception {
    assertSleepsThroughOtherQueues(nodeA, nodeA);
    assertWakesForItsQueue(nodeA, nodeA);
  }

  @Test
  void aLongPollSleepsThroughJobsOfAnotherQueueAndWakesForItsOwnAcrossNodes() throws Exception {
    assertSleepsThroughOtherQueues(nodeB, nodeA); // through LISTEN/NOTIFY, on the listen connection
    assertWakesForItsQueue(nodeB, nodeA);
    assertSleepsThroughOtherQueues(nodeA, nodeB);
    assertWakesForItsQueue(nodeA, nodeB);
  }

  @Test
  void theListenConnectionIsTheOneOfListenDatabaseUrl() {
    Poll.until(REACH, "node B listens on a connection to --listen-database-url", () -> queryLong(db,
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = ? AND query LIKE 'LISTEN%'", LISTEN_APPLICATION) == 1);
  }

  /**
   * On {@code claimOn} a claim of queue B waits, then a claim of queue A with {@link #SHORT_WAIT}.
   * A job of A appears behind the server's back (no wake-up), then a job of B is created on
   * {@code createOn}: it ends the wait of B's claim, and A's claim finds its job only at the end
   * of its wait. Had B's wake-up woken it, it would have found the job at once. A try proves
   * something only if B's claim returned well before A's wait ended; on a slow machine it may not,
   * so up to five tries are made until one does.
   */
  private static void assertSleepsThroughOtherQueues(TestServer claimOn, TestServer createOn) throws Exception {
    for (int attempt = 0; attempt < 5; attempt++) {
      String a = uniqueQueue("a");
      String b = uniqueQueue("b");
      Future<List<Lease>> pollB = pool.submit(() -> claim(claimOn, "wb", 1, Duration.ofSeconds(10), null, b));
      awaitClaimsWaiting(1, "the claim of B waits on the server");
      long startA = System.nanoTime();
      Future<List<Lease>> pollA = pool.submit(() -> claim(claimOn, "wa", 1, SHORT_WAIT, null, a));
      awaitClaimsWaiting(2, "the claims of A and B wait on the server");
      queryLong(db, "WITH j AS (INSERT INTO jobs (id, type, queue, state, max_attempts, run_at, owner)"
          + " VALUES (gen_random_uuid(), 'test', ?, 'QUEUED', 3, now(), 'anonymous') RETURNING id) SELECT count(*) FROM j", a);
      Job jobB = create(createOn, newJob(b));
      assertEquals(jobB.getId(), single(pollB.get(5, TimeUnit.SECONDS)).getJob().getId(), "B's claim took B's job");
      long bMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startA);
      Lease leaseA = single(pollA.get(5, TimeUnit.SECONDS));
      long aMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startA);
      assertEquals(a, leaseA.getJob().getQueue(), "A's claim took the job of A it found when it looked again");
      assertTrue(aMs >= SHORT_WAIT.toMillis(), "A's claim woke after " + aMs + " ms, when B's job was created ("
          + bMs + " ms), before the end of its " + SHORT_WAIT.toMillis() + " ms wait");
      if (bMs + 200 < SHORT_WAIT.toMillis()) {
        System.out.printf("claim of A on %s, job of B created on %s after %d ms: A looked again after %d ms%n",
            claimOn.target(), createOn.target(), bMs, aMs);
        return;
      }
    }
    throw new AssertionError("in five tries B's job never came well before the end of A's wait (machine too slow)");
  }

  /**
   * A claim of queue A waits (10 s) on {@code claimOn}; a job of B, then one of A, are created on
   * {@code createOn}. The claim returns A's job well before the server's 1 s safety poll could
   * have: the fastest of three tries under 250 ms, every one under 2 s.
   */
  private static void assertWakesForItsQueue(TestServer claimOn, TestServer createOn) throws Exception {
    List<Long> latencies = new ArrayList<>();
    for (int attempt = 0; attempt < 3; attempt++) {
      String a = uniqueQueue("a");
      Future<List<Lease>> poll = pool.submit(() -> claim(claimOn, "wa", 1, Duration.ofSeconds(10), null, a));
      awaitClaimsWaiting(1, "the claim of A waits on the server");
      create(createOn, newJob(uniqueQueue("b")));
      long created = System.nanoTime();
      Job job = create(createOn, newJob(a));
      assertEquals(job.getId(), single(poll.get(5, TimeUnit.SECONDS)).getJob().getId());
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - created);
      assertTrue(ms < 2_000, "woke " + ms + " ms after the job was created");
      latencies.add(ms);
    }
    System.out.printf("claim of A on %s, job of A created on %s: woke after %s ms%n", claimOn.target(), createOn.target(), latencies);
    assertTrue(latencies.stream().mapToLong(Long::longValue).min().orElseThrow() < 250,
        "woke after " + latencies + " ms: no prompt wake-up, only the safety poll");
  }

  private static Lease single(List<Lease> leases) {
    assertEquals(1, leases.size(), "leases: " + leases);
    return leases.get(0);
  }

  private static void awaitClaimsWaiting(int n, String what) {
    Poll.until(REACH, what, () -> WorkerTesting.claimsInThisJvm(true) == n);
  }
}
