package io.overseer.server.worker;

import static io.overseer.server.worker.WorkerTesting.assertEventLogsConsistent;
import static io.overseer.server.worker.WorkerTesting.claim;
import static io.overseer.server.worker.WorkerTesting.complete;
import static io.overseer.server.worker.WorkerTesting.createAll;
import static io.overseer.server.worker.WorkerTesting.newJob;
import static io.overseer.server.worker.WorkerTesting.queryLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** --queue-limit=gpu=1 holds across two nodes and eight racing claimers. */
class QueueLimitTest {
  private static final int GPU_JOBS = 40;
  private static final int OTHER_JOBS = 200;
  private static final int CLAIMERS = 8;
  private static final String RUNNING_GPU = "SELECT count(*) FROM jobs WHERE state = 'RUNNING' AND queue = 'gpu'";

  @Test
  @Timeout(90)
  void aLimitedQueueNeverRunsMoreThanItsLimit() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        TestServer a = TestServer.inProcess(db, "--maintenance-interval=100ms", "--queue-limit=gpu=1");
        TestServer b = TestServer.inProcess(db, "--maintenance-interval=100ms", "--queue-limit=gpu=1")) {
      List<CreateJobRequest> requests = new ArrayList<>();
      for (int i = 0; i < GPU_JOBS + OTHER_JOBS; i++) {
        requests.add(newJob(i % 6 == 0 && i / 6 < GPU_JOBS ? "gpu" : "cpu").setPriority(i % 3).build());
      }
      createAll(a, requests);
      assertEquals(GPU_JOBS, queryLong(db, "SELECT count(*) FROM jobs WHERE queue = 'gpu'"));

      AtomicBoolean done = new AtomicBoolean();
      AtomicInteger completed = new AtomicInteger();
      AtomicInteger maxAfterClaim = new AtomicInteger();
      AtomicInteger gpuClaims = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(CLAIMERS + 1);
      Future<int[]> sampler = pool.submit(() -> sample(db, done));
      List<Future<?>> workers = new ArrayList<>();
      for (int w = 0; w < CLAIMERS; w++) {
        TestServer node = w % 2 == 0 ? a : b;
        String worker = "worker-" + w;
        // half ask for every queue (gpu included), half for gpu only
        String[] queues = w % 4 < 2 ? new String[0] : new String[] {"gpu"};
        workers.add(
            pool.submit(
                () -> {
                  while (completed.get() < GPU_JOBS + OTHER_JOBS) {
                    List<Lease> leases = claim(node, worker, 3, Duration.ofMillis(500), null, queues);
                    long gpu = leases.stream().filter(l -> l.getJob().getQueue().equals("gpu")).count();
                    int running = (int) queryLong(db, RUNNING_GPU);
                    maxAfterClaim.accumulateAndGet(Math.max(running, (int) gpu), Math::max);
                    for (Lease lease : leases) {
                      if (lease.getJob().getQueue().equals("gpu")) {
                        gpuClaims.incrementAndGet();
                        // hold the gpu a moment, so that other claimers try to take it meanwhile
                        Poll.holdsFor(Duration.ofMillis(5), Duration.ofMillis(5), "at most one gpu job RUNNING",
                            () -> queryLong(db, RUNNING_GPU) <= 1);
                      }
                      assertEquals(JobState.JOB_STATE_COMPLETED, complete(node, lease).getState());
                      completed.incrementAndGet();
                    }
                  }
                  return null;
                }));
      }
      try {
        for (Future<?> f : workers) {
          f.get(80, TimeUnit.SECONDS);
        }
      } finally {
        done.set(true);
      }
      int[] samples = sampler.get(10, TimeUnit.SECONDS);
      pool.shutdown();
      System.out.printf("QueueLimitTest: %d samples of running gpu jobs, max %d; max after a claim %d%n",
          samples[0], samples[1], maxAfterClaim.get());

      assertTrue(samples[0] > 50, "the sampler ran: " + samples[0]);
      assertTrue(samples[1] <= 1, "more than one gpu job RUNNING at once: " + samples[1]);
      assertTrue(maxAfterClaim.get() <= 1, "more than one gpu job RUNNING after a claim: " + maxAfterClaim.get());
      assertEquals(GPU_JOBS, gpuClaims.get(), "each gpu job claimed once");
      assertEquals(GPU_JOBS + OTHER_JOBS, queryLong(db, "SELECT count(*) FROM jobs WHERE state = 'COMPLETED'"));
      assertEventLogsConsistent(db);
    }
  }

  /** Counts RUNNING gpu jobs as fast as it can until {@code done}: {samples, max}. */
  private static int[] sample(TestDatabase db, AtomicBoolean done) throws Exception {
    int samples = 0;
    int max = 0;
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(RUNNING_GPU)) {
      while (!done.get()) {
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          max = Math.max(max, rs.getInt(1));
          samples++;
        }
      }
    }
    return new int[] {samples, max};
  }
}
