package io.overseer.server.worker;

import static io.overseer.server.worker.WorkerTesting.claim;
import static io.overseer.server.worker.WorkerTesting.claimOne;
import static io.overseer.server.worker.WorkerTesting.complete;
import static io.overseer.server.worker.WorkerTesting.create;
import static io.overseer.server.worker.WorkerTesting.createAll;
import static io.overseer.server.worker.WorkerTesting.instant;
import static io.overseer.server.worker.WorkerTesting.newJob;
import static io.overseer.server.worker.WorkerTesting.proto;
import static io.overseer.server.worker.WorkerTesting.timestamp;
import static io.overseer.server.worker.WorkerTesting.uniqueQueue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Context;
import io.overseer.server.store.Database;
import io.overseer.server.store.ClaimRepository;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.ClaimJobsResponse;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.postgresql.ds.PGSimpleDataSource;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Claim order (priority, FIFO, run_at) and long polls, on one node and across two. */
@Timeout(60)
class OrderingTest {
  /** How long a long poll may take to reach the server and start waiting there. */
  private static final Duration REACH = Duration.ofSeconds(5);

  private static TestDatabase db;
  private static TestServer nodeA;
  private static TestServer nodeB;
  private static ExecutorService pool;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    nodeA = TestServer.inProcess(db, "--maintenance-interval=100ms");
    nodeB = TestServer.tcp(db, "--maintenance-interval=100ms");
    pool = Executors.newCachedThreadPool();
  }

  @AfterAll
  static void stop() {
    pool.shutdownNow();
    nodeA.close();
    nodeB.close();
    db.close();
  }

  private static final int[] PRIORITIES = {0, 5, -3, 5, 0, 1000, -1000, 5, 0, 1};

  /** Expected claim order: higher priority first, then creation order. */
  private static List<String> expectedOrder(List<Job> created) {
    List<Job> sorted = new ArrayList<>(created);
    sorted.sort(Comparator.comparingInt(Job::getPriority).reversed()); // stable: keeps creation order
    return sorted.stream().map(Job::getId).toList();
  }

  @Test
  void higherPriorityFirstAndFifoWithinAPriority() {
    String queue = uniqueQueue("order");
    List<Job> created = new ArrayList<>();
    for (int p : PRIORITIES) {
      created.add(create(nodeA, newJob(queue).setPriority(p)));
    }
    List<String> claimed = new ArrayList<>();
    for (int i = 0; i < PRIORITIES.length; i++) {
      Lease lease = claimOne(nodeA, "w1", null, null, queue);
      claimed.add(lease.getJob().getId());
      complete(nodeA, lease);
    }
    assertEquals(expectedOrder(created), claimed);
  }

  @Test
  void oneClaimOfManyJobsReturnsThemInClaimOrder() {
    String queue = uniqueQueue("batch-order");
    List<CreateJobRequest> requests = new ArrayList<>();
    for (int round = 0; round < 3; round++) {
      for (int p : PRIORITIES) {
        requests.add(newJob(queue).setPriority(p).build()); // one batch: equal create times and run_at
      }
    }
    List<Job> created = createAll(nodeA, requests);
    List<Lease> leases = claim(nodeA, "w1", 12, null, null, queue);
    List<String> expected = expectedOrder(created);
    assertEquals(expected.subList(0, 12), leases.stream().map(l -> l.getJob().getId()).toList(),
        "the claimed jobs, and their order in the response");
    List<Lease> rest = claim(nodeA, "w1", 100, null, null, queue);
    assertEquals(expected.subList(12, expected.size()), rest.stream().map(l -> l.getJob().getId()).toList());
  }

  @Test
  void runAtInTheFutureIsNotClaimableBeforeIt() {
    String queue = uniqueQueue("later");
    Instant runAt = Instant.now().plusMillis(1_500);
    Job job = create(nodeA, newJob(queue).setRunAt(timestamp(runAt)));
    Job now = create(nodeA, newJob(queue).setPriority(-5)); // lower priority, but ready
    assertEquals(now.getId(), claimOne(nodeA, "w1", null, null, queue).getJob().getId());
    assertTrue(claim(nodeA, "w1", 1, null, null, queue).isEmpty(), "claimable before its run_at");

    Lease lease = claimOne(nodeA, "w1", Duration.ofSeconds(10), null, queue);
    Instant claimedAt = Instant.now();
    assertEquals(job.getId(), lease.getJob().getId());
    assertFalse(instant(lease.getJob().getUpdateTime()).isBefore(runAt), "claimed before run_at (database clock)");
    // soon after: well before the server's 1 s safety poll, i.e. woken by run_at itself
    assertTrue(claimedAt.isBefore(runAt.plusMillis(500)), "claimed " + Duration.between(runAt, claimedAt).toMillis()
        + " ms after run_at; expected soon after");
  }

  @Test
  void aLongPollWakesWhenAJobIsCreatedOnTheSameNode() throws Exception {
    assertLongPollWakes(nodeA, nodeA);
  }

  @Test
  void aLongPollWakesWhenAJobIsCreatedOnAnotherNode() throws Exception {
    assertLongPollWakes(nodeA, nodeB); // through LISTEN/NOTIFY
    assertLongPollWakes(nodeB, nodeA);
  }

  /**
   * A claimer waits (wait = 10 s) on {@code claimOn}; once it waits on the server, a job is created
   * on {@code createOn}. The claim returns it well before the server's 1 s safety poll could have:
   * the fastest of three tries must be under 250 ms (a missing wake-up makes a try take up to 1 s),
   * and every try under 2 s.
   */
  private static void assertLongPollWakes(TestServer claimOn, TestServer createOn) throws Exception {
    long fastest = Long.MAX_VALUE;
    List<Long> latencies = new ArrayList<>();
    for (int attempt = 0; attempt < 3; attempt++) {
      String queue = uniqueQueue("wake");
      CountDownLatch calling = new CountDownLatch(1);
      Future<long[]> poll =
          pool.submit(
              () -> {
                calling.countDown();
                long start = System.nanoTime();
                List<Lease> leases = claim(claimOn, "poller", 1, Duration.ofSeconds(10), null, queue);
                return new long[] {start, System.nanoTime(), leases.size()};
              });
      assertTrue(calling.await(5, TimeUnit.SECONDS));
      awaitClaimWaiting("the claimer found nothing and waits on the server");
      assertFalse(poll.isDone(), "the claim returned before the job existed");
      long created = System.nanoTime();
      create(createOn, newJob(queue));
      long[] result = poll.get(5, TimeUnit.SECONDS);
      assertEquals(1, result[2], "the long poll returned the job");
      long latencyMs = Math.max(0, (result[1] - created) / 1_000_000);
      assertTrue(latencyMs < 2_000, "woke " + latencyMs + " ms after the job was created");
      latencies.add(latencyMs);
      fastest = Math.min(fastest, latencyMs);
    }
    System.out.printf("long poll on %s, job created on %s: woke after %s ms%n", claimOn.target(), createOn.target(), latencies);
    assertTrue(fastest < 250, "long poll woke after " + latencies + " ms: no prompt wake-up, only the safety poll");
  }

  @Test
  void aLongPollWhoseCallerWentAwayClaimsNothing() throws Exception {
    String queue = uniqueQueue("gone");
    assertTrue(claim(nodeB, "gone", 1, null, null, queue).isEmpty()); // the channel is connected
    Context.CancellableContext call = Context.current().withCancellation();
    Future<?> poll =
        pool.submit(() -> call.run(() -> claim(nodeB, "gone", 1, Duration.ofSeconds(10), null, queue)));
    awaitClaimWaiting("the poll waits on the server");
    call.cancel(null); // the worker is stopped
    assertThrows(ExecutionException.class, () -> poll.get(5, TimeUnit.SECONDS));
    Poll.until(REACH, "the cancellation reached the server: its claim ended", () -> WorkerTesting.claimsInThisJvm(false) == 0);
    Job job = create(nodeB, newJob(queue).setMaxAttempts(1));
    Lease lease = claimOne(nodeB, "live", Duration.ofSeconds(3), null, queue);
    assertEquals(job.getId(), lease.getJob().getId(), "the job went to the worker that is still there");
    assertEquals(1, lease.getJob().getAttempt(), "no attempt was spent on the departed caller");
  }

  /** Waits until exactly one claim of this JVM's nodes waits on the server for a job to come. */
  private static void awaitClaimWaiting(String what) {
    Poll.until(REACH, what, () -> WorkerTesting.claimsInThisJvm(true) == 1);
  }

  @Test
  void aClaimWhoseCallerLeftAtThatMomentIsPutBack() throws Exception {
    // the narrow case the server cannot avoid by checking first: the caller leaves during the claim
    String queue = uniqueQueue("put-back");
    Job job = create(nodeA, newJob(queue).setMaxAttempts(1));
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(db.url());
    Database database = new Database(ds);
    ClaimRepository leases = new ClaimRepository();
    List<io.overseer.server.domain.Job> claimed = database.autocommit(c -> leases.claim(c,
        new ClaimRepository.ClaimQuery(List.of(queue), List.of(), List.of(), 1, "gone", 30_000, "anonymous")));
    assertEquals(1, claimed.size());
    assertTrue(database.autocommit(c -> leases.release(c, claimed.get(0), "claim abandoned", "system")).isPresent());
    assertTrue(database.autocommit(c -> leases.release(c, claimed.get(0), "claim abandoned", "system")).isEmpty(),
        "released once");

    Job back = WorkerTesting.get(nodeA, job.getId());
    assertEquals(JobState.JOB_STATE_QUEUED, back.getState());
    assertEquals(0, back.getAttempt(), "the attempt it never ran is given back");
    assertFalse(back.hasStartTime());
    Lease lease = claimOne(nodeA, "live", null, null, queue);
    assertEquals(1, lease.getJob().getAttempt());
    assertEquals(JobState.JOB_STATE_COMPLETED, complete(nodeA, lease).getState());
  }

  @Test
  void aLongPollEndsEmptyWhenItsNodeShutsDown() throws Exception {
    TestServer node = TestServer.tcp(db, "--maintenance-interval=100ms");
    String queue = uniqueQueue("shutdown");
    assertTrue(claim(node, "w1", 1, null, null, queue).isEmpty()); // connected
    Future<List<Lease>> poll = pool.submit(() -> claim(node, "w1", 1, Duration.ofSeconds(10), null, queue));
    awaitClaimWaiting("the poll waits on the server");
    // a claimable job the poll was not told about (inserted behind the server's back)
    WorkerTesting.queryLong(db, "WITH j AS (INSERT INTO jobs (id, type, queue, state, max_attempts, run_at, owner)"
        + " VALUES (gen_random_uuid(), 'test', ?, 'QUEUED', 3, now(), 'anonymous') RETURNING id) SELECT count(*) FROM j", queue);
    long start = System.nanoTime();
    try {
      node.server().close(); // SIGTERM
      assertTrue(poll.get(5, TimeUnit.SECONDS).isEmpty(), "a long poll returns with no jobs at shutdown");
      assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3), "and at once");
    } finally {
      node.channel().shutdownNow();
    }
    assertEquals(0, WorkerTesting.queryLong(db, "SELECT attempt FROM jobs WHERE queue = ?", queue), "not claimed");
  }

  @Test
  void claimsHonourQueuesAndTypes() {
    String q1 = uniqueQueue("q1");
    String q2 = uniqueQueue("q2");
    Job a = create(nodeA, newJob(q1).setType("resize"));
    Job b = create(nodeA, newJob(q1).setType("encode"));
    Job c = create(nodeA, newJob(q2).setType("resize"));
    List<Lease> resizeInQ1 = nodeA.workers().claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("w1")
        .addQueues(q1).addTypes("resize").setMaxJobs(10).build()).getLeasesList();
    assertEquals(List.of(a.getId()), resizeInQ1.stream().map(l -> l.getJob().getId()).toList());
    List<Lease> both = claim(nodeA, "w1", 10, null, null, q1, q2);
    assertEquals(List.of(b.getId(), c.getId()), both.stream().map(l -> l.getJob().getId()).toList());
  }

  @Test
  void anEmptyLongPollReturnsBeforeTheCallersDeadline() {
    for (TestServer node : List.of(nodeA, nodeB)) {
      long start = System.nanoTime();
      ClaimJobsResponse response =
          node.workers()
              .withDeadlineAfter(1_500, TimeUnit.MILLISECONDS)
              .claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("w1").addQueues(uniqueQueue("empty"))
                  .setWait(proto(Duration.ofSeconds(10))).build());
      long elapsedMs = (System.nanoTime() - start) / 1_000_000;
      assertEquals(0, response.getLeasesCount());
      assertTrue(elapsedMs < 1_500, "returned after " + elapsedMs + " ms, past the 1.5 s deadline");
      assertTrue(elapsedMs >= 900, "did not long-poll: returned after " + elapsedMs + " ms");
    }
  }
}
