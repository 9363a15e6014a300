package io.overseer.server.signal;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.server.store.Database;
import io.overseer.server.store.NotifyRepository;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * Wake-ups name their queue: a waiter for queue A sleeps through wake-ups of queue B and wakes at
 * once for A, on its own node and through LISTEN/NOTIFY from another; waiters of every queue,
 * {@code wakeWaiters}, a listener reconnect and close wake everyone; a wake-up between reading the
 * generation and waiting is not lost.
 */
@Timeout(60)
class SignalsTest {
  /** Long enough that only a wake-up ends a wait within a test. */
  private static final Duration LONG = Duration.ofSeconds(30);

  private TestDatabase db;
  private Signals nodeA;
  private Signals nodeB;
  private ExecutorService pool;

  @BeforeEach
  void start() throws Exception {
    db = TestDatabase.create();
    pool = Executors.newCachedThreadPool();
    nodeA = listening(db);
    nodeB = listening(db);
  }

  @AfterEach
  void stop() {
    nodeA.close();
    nodeB.close();
    pool.shutdownNow();
    db.close();
  }

  @Test
  void aWaiterForOneQueueSleepsThroughOthersAndWakesForItsOwnOnItsNode() throws Exception {
    assertWakesOnlyForItsQueue(nodeA, nodeA);
  }

  @Test
  void aWaiterForOneQueueSleepsThroughOthersAndWakesForItsOwnAcrossNodes() throws Exception {
    assertWakesOnlyForItsQueue(nodeB, nodeA); // through LISTEN/NOTIFY
  }

  /**
   * On {@code waitOn}: a waiter of queue A, one of queue B, one of every queue. A wake-up of B from
   * {@code signalOn} wakes the second and third (so it arrived), not the first; one of A then
   * wakes the first, well within the safety poll's second.
   */
  private void assertWakesOnlyForItsQueue(Signals waitOn, Signals signalOn) throws Exception {
    String a = queue("a");
    String b = queue("b");
    long seen = waitOn.generation();
    Future<Boolean> waiterA = await(waitOn, List.of(a, queue("other")), seen);
    Future<Boolean> waiterB = await(waitOn, List.of(b), seen);
    Future<Boolean> waiterAll = await(waitOn, List.of(), seen);

    signalOn.jobsReady(b);
    assertTrue(waiterB.get(5, TimeUnit.SECONDS), "the waiter of B woke");
    assertTrue(waiterAll.get(5, TimeUnit.SECONDS), "the waiter of every queue woke");
    Poll.holdsFor(Duration.ofMillis(300), "the waiter of A sleeps through B's wake-up", () -> !waiterA.isDone());

    long signalled = System.nanoTime();
    signalOn.jobsReady(a);
    assertTrue(waiterA.get(5, TimeUnit.SECONDS), "the waiter of A woke");
    long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - signalled);
    assertTrue(ms < 500, "woke " + ms + " ms after its queue's wake-up");
  }

  @Test
  void aWakeUpBetweenReadingTheGenerationAndWaitingIsNotLost() throws Exception {
    String a = queue("a");
    long seen = nodeA.generation(); // a claimer reads it, then finds nothing to claim…
    nodeA.jobsReady(a); // …a job of its queue arrives before it waits…
    long start = System.nanoTime();
    assertTrue(nodeA.awaitChange(List.of(a), seen, LONG), "…so its wait returns at once");
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1));
    assertFalse(nodeA.awaitChange(List.of(queue("b")), seen, Duration.ZERO), "not a wake-up of another queue");

    // the same when the wake-up comes from another node
    long seenOnB = nodeB.generation();
    nodeA.jobsReady(a);
    Poll.until(Duration.ofSeconds(5), "a wait that starts after the wake-up arrived returns at once",
        () -> nodeB.awaitChange(List.of(a), seenOnB, Duration.ZERO));
    assertFalse(nodeB.awaitChange(List.of(queue("b")), seenOnB, Duration.ZERO), "not a wake-up of another queue");
  }

  @Test
  void aQueueForgottenAmongManyStillWakesItsWaiters() throws Exception {
    String first = queue("first");
    long seen = nodeA.generation();
    nodeA.jobsReady(first);
    for (int i = 0; i < 5_000; i++) { // more queues than are remembered one by one
      nodeA.jobsReady(queue("q" + i));
    }
    assertTrue(nodeA.awaitChange(List.of(first), seen, Duration.ZERO), "woken (perhaps for nothing), never missed");
  }

  @Test
  void wakeWaitersAndCloseWakeEveryWaiter() throws Exception {
    long seen = nodeA.generation();
    List<Future<Boolean>> waiters = new ArrayList<>();
    for (List<String> queues : List.of(List.of(queue("a")), List.of(queue("b"), queue("c")), List.<String>of())) {
      waiters.add(await(nodeA, queues, seen));
    }
    nodeA.wakeWaiters();
    for (Future<Boolean> w : waiters) {
      assertTrue(w.get(5, TimeUnit.SECONDS), "woken by wakeWaiters");
    }
    assertFalse(nodeB.awaitChange(List.of(queue("a")), nodeB.generation(), Duration.ZERO), "local only");

    Future<Boolean> waiting = await(nodeB, List.of(queue("a")), nodeB.generation());
    nodeB.close();
    assertTrue(waiting.get(5, TimeUnit.SECONDS), "woken by close");
    long start = System.nanoTime();
    nodeB.awaitChange(List.of(queue("a")), nodeB.generation(), LONG);
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(1), "a wait after close returns at once");
  }

  @Test
  void aListenerThatReconnectsWakesEveryWaiter() throws Exception {
    Future<Boolean> waiter = await(nodeB, List.of(queue("a")), nodeB.generation());
    try (Connection c = db.connect(); Statement st = c.createStatement()) {
      // notifications sent while a listener is away are lost: both listeners reconnect and resync
      st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
          + " WHERE datname = current_database() AND query LIKE 'LISTEN%'");
    }
    assertTrue(waiter.get(10, TimeUnit.SECONDS), "woken by the resync after the reconnect");
  }

  @Test
  void manyQueuesCoalesceIntoPayloadsUnderTheLimit() throws Exception {
    // 1,000 names of 120 characters: about 120 KB of queue names, far past one payload's 8,000 bytes
    List<String> queues = new ArrayList<>();
    for (int i = 0; i < 1_000; i++) {
      queues.add(queue("q" + i + "-" + "x".repeat(100)));
    }
    long seen = nodeB.generation();
    Future<Boolean> first = await(nodeB, List.of(queues.get(0)), seen);
    Future<Boolean> last = await(nodeB, List.of(queues.get(queues.size() - 1)), seen);
    Future<Boolean> other = await(nodeB, List.of(queue("other")), seen);
    queues.forEach(nodeA::jobsReady);
    assertTrue(first.get(10, TimeUnit.SECONDS), "the first queue's waiter woke on the other node");
    assertTrue(last.get(10, TimeUnit.SECONDS), "the last queue's waiter woke on the other node");
    assertFalse(other.isDone(), "another queue's waiter still waits");
  }

  /** A started Signals on {@code db} whose listener is listening. */
  private static Signals listening(TestDatabase db) throws InterruptedException {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(db.url());
    Signals s = new Signals(new Database(ds), new NotifyRepository(), () -> DriverManager.getConnection(db.url()));
    CountDownLatch listening = new CountDownLatch(1);
    s.addEventListener(
        new Signals.EventListener() {
          @Override
          public void onEvent(UUID jobId, long sequence) {}

          @Override
          public void onResync() {
            listening.countDown(); // LISTEN has been run
          }
        });
    s.start();
    assertTrue(listening.await(10, TimeUnit.SECONDS), "the listener connected");
    return s;
  }

  private Future<Boolean> await(Signals s, List<String> queues, long seen) {
    return pool.submit(() -> s.awaitChange(queues, seen, LONG));
  }

  private static String queue(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }
}
