package io.overseer.server.worker;

import static io.overseer.server.worker.WorkerTesting.assertEventLogsConsistent;
import static io.overseer.server.worker.WorkerTesting.claim;
import static io.overseer.server.worker.WorkerTesting.complete;
import static io.overseer.server.worker.WorkerTesting.createAll;
import static io.overseer.server.worker.WorkerTesting.heartbeat;
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

/**
 * Two TCP nodes on one database, workers on both, 5,000 jobs: none claimed twice, none lost. A
 * worker's lease lives in the database, so every other job is heartbeaten and completed through
 * the node it was not claimed on.
 */
class TwoNodeTest {
  private static final int JOBS = 5_000;
  private static final int WORKERS_PER_NODE = 4;

  @Test
  @Timeout(120)
  void noJobIsClaimedTwiceOrLost() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        TestServer a = TestServer.tcp(db, "--maintenance-interval=100ms");
        TestServer b = TestServer.tcp(db, "--maintenance-interval=100ms")) {
      List<CreateJobRequest> requests = new ArrayList<>();
      for (int i = 0; i < JOBS; i++) {
        requests.add(newJob(i % 2 == 0 ? "default" : "other").setPriority(i % 5).build());
      }
      // half the jobs created through each node
      Set<String> created =
          new java.util.HashSet<>(createAll(a, requests.subList(0, JOBS / 2)).stream().map(Job::getId).toList());
      created.addAll(createAll(b, requests.subList(JOBS / 2, JOBS)).stream().map(Job::getId).toList());
      assertEquals(JOBS, created.size());

      Map<String, Integer> claims = new ConcurrentHashMap<>();
      AtomicInteger completed = new AtomicInteger();
      ExecutorService pool = Executors.newFixedThreadPool(2 * WORKERS_PER_NODE);
      List<Future<Set<String>>> workers = new ArrayList<>();
      long start = System.nanoTime();
      for (int w = 0; w < 2 * WORKERS_PER_NODE; w++) {
        TestServer home = w % 2 == 0 ? a : b;
        TestServer away = home == a ? b : a;
        String worker = "worker-" + w;
        workers.add(
            pool.submit(
                () -> {
                  Set<String> mine = new java.util.HashSet<>();
                  int n = 0;
                  while (completed.get() < JOBS) {
                    for (Lease lease : claim(home, worker, 20, Duration.ofMillis(300), null)) {
                      claims.merge(lease.getJob().getId(), 1, Integer::sum);
                      mine.add(lease.getJob().getId());
                      TestServer finishOn = n++ % 2 == 0 ? home : away;
                      if (n % 10 == 0) {
                        heartbeat(finishOn, lease);
                      }
                      assertEquals(JobState.JOB_STATE_COMPLETED, complete(finishOn, lease).getState());
                      completed.incrementAndGet();
                    }
                  }
                  return mine;
                }));
      }
      pool.shutdown();
      Set<String> perNodeA = new java.util.HashSet<>();
      Set<String> perNodeB = new java.util.HashSet<>();
      for (int w = 0; w < workers.size(); w++) {
        (w % 2 == 0 ? perNodeA : perNodeB).addAll(workers.get(w).get(110, TimeUnit.SECONDS));
      }
      System.out.printf("TwoNodeTest: %d jobs in %d ms; claimed through node A %d, node B %d%n",
          completed.get(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start), perNodeA.size(), perNodeB.size());

      assertEquals(created, claims.keySet(), "every job was claimed (none lost)");
      assertTrue(claims.values().stream().allMatch(c -> c == 1),
          "claimed twice: " + claims.entrySet().stream().filter(e -> e.getValue() > 1).limit(10).collect(Collectors.toList()));
      assertTrue(perNodeA.size() > 0 && perNodeB.size() > 0, "both nodes served claims");
      assertEquals(0, queryLong(db,
          "SELECT count(*) FROM jobs j WHERE (SELECT count(*) FROM job_events e WHERE e.job_id = j.id"
              + " AND e.kind = 'STATE_CHANGED' AND e.state = 'RUNNING') <> 1"), "jobs with other than one claim (RUNNING event)");
      assertEquals(JOBS, queryLong(db, "SELECT count(*) FROM jobs WHERE state = 'COMPLETED' AND attempt = 1"));
      assertEventLogsConsistent(db);
    }
  }
}
