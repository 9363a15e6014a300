package io.overseer.server.worker;

import static io.overseer.server.worker.WorkerTesting.assertEventLogsConsistent;
import static io.overseer.server.worker.WorkerTesting.claim;
import static io.overseer.server.worker.WorkerTesting.complete;
import static io.overseer.server.worker.WorkerTesting.createAll;
import static io.overseer.server.worker.WorkerTesting.newJob;
import static io.overseer.server.worker.WorkerTesting.queryLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Eight workers racing over 5,000 jobs on one node: each job claimed once, all completed, clean logs. */
class ClaimConcurrencyTest {
  private static final int JOBS = 5_000;
  private static final int CLAIMERS = 8;

  @Test
  @Timeout(90)
  void everyJobIsClaimedExactlyOnceAndCompleted() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        TestServer node = TestServer.inProcess(db, "--maintenance-interval=100ms")) {
      List<CreateJobRequest> requests = new ArrayList<>();
      for (int i = 0; i < JOBS; i++) {
        requests.add(newJob("default").setPriority(i % 7 - 3).build());
      }
      Set<String> created = createAll(node, requests).stream().map(Job::getId).collect(Collectors.toSet());
      assertEquals(JOBS, created.size());

      Map<String, Integer> claims = new ConcurrentHashMap<>();
      Map<String, String> claimedBy = new ConcurrentHashMap<>();
      AtomicInteger completed = new AtomicInteger();
      AtomicInteger wrongAttempt = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(CLAIMERS);
      List<Future<Integer>> workers = new ArrayList<>();
      long start = System.nanoTime();
      for (int w = 0; w < CLAIMERS; w++) {
        String worker = "worker-" + w;
        workers.add(
            pool.submit(
                () -> {
                  int mine = 0;
                  while (completed.get() < JOBS) {
                    List<Lease> leases = claim(node, worker, 25, Duration.ofMillis(300), null);
                    for (Lease lease : leases) {
                      String id = lease.getJob().getId();
                      claims.merge(id, 1, Integer::sum);
                      claimedBy.put(id, worker);
                      if (lease.getJob().getAttempt() != 1 || !lease.getJob().getWorkerId().equals(worker)) {
                        wrongAttempt.incrementAndGet();
                      }
                      Job done = complete(node, lease);
                      assertEquals(JobState.JOB_STATE_COMPLETED, done.getState());
                      completed.incrementAndGet();
                      mine++;
                    }
                  }
                  return mine;
                }));
      }
      pool.shutdown();
      int total = 0;
      for (Future<Integer> f : workers) {
        total += f.get(80, TimeUnit.SECONDS); // rethrows a worker's assertion failure
      }
      System.out.printf("ClaimConcurrencyTest: %d jobs claimed and completed by %d workers in %d ms%n",
          total, CLAIMERS, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));

      assertEquals(JOBS, total, "completions reported by the workers");
      assertEquals(created, claims.keySet(), "every created job was claimed");
      assertTrue(claims.values().stream().allMatch(n -> n == 1),
          "jobs claimed more than once: " + claims.entrySet().stream().filter(e -> e.getValue() > 1).limit(10).toList());
      assertEquals(0, wrongAttempt.get(), "leases whose job was not attempt 1 of the claiming worker");
      assertTrue(claimedBy.values().stream().distinct().count() > 1, "the claimers really raced");

      // The database agrees: every job COMPLETED on attempt 1, by the worker that claimed it.
      assertEquals(JOBS, queryLong(db, "SELECT count(*) FROM jobs WHERE state = 'COMPLETED' AND attempt = 1 AND progress = 100"));
      assertEquals(0, queryLong(db,
          "SELECT count(*) FROM (SELECT job_id FROM job_events WHERE kind = 'STATE_CHANGED' AND state = 'RUNNING'"
              + " GROUP BY job_id HAVING count(*) <> 1) x"), "jobs with other than one claim event");
      assertEquals(3L * JOBS, queryLong(db, "SELECT count(*) FROM job_events"), "created, claimed, completed: 3 events a job");
      assertEquals(0, queryLong(db,
          "SELECT count(*) FROM job_events e JOIN jobs j ON j.id = e.job_id"
              + " WHERE e.sequence > 1 AND e.worker_id <> j.worker_id"), "events of a worker other than the claimer");
      assertEventLogsConsistent(db);
    }
  }
}
