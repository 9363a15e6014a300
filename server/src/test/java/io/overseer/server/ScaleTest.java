package io.overseer.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.BatchCreateJobsRequest;
import io.overseer.v1.BatchCreateJobsResponse;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobServiceGrpc.JobServiceBlockingStub;
import io.overseer.v1.JobState;
import io.overseer.v1.ListJobsRequest;
import io.overseer.v1.ListJobsResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Volume over TCP: 10,000 jobs in batches and 1,000 concurrent creations, each exactly once. */
class ScaleTest {
  @Test
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void elevenThousandJobsEachWithExactlyOneCreationEvent() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        TestServer node = TestServer.tcp(db)) {
      JobServiceBlockingStub jobs = node.jobs().withDeadlineAfter(4, TimeUnit.MINUTES);
      Set<String> ids = ConcurrentHashMap.newKeySet();

      for (int b = 0; b < 10; b++) {
        BatchCreateJobsRequest.Builder batch = BatchCreateJobsRequest.newBuilder();
        for (int i = 0; i < 1000; i++) {
          batch.addRequests(
              CreateJobRequest.newBuilder().setType("bulk").setPriority(i % 7).putLabels("batch", "" + b).putLabels("i", "" + i));
        }
        BatchCreateJobsResponse response = jobs.batchCreateJobs(batch.build());
        assertEquals(1000, response.getJobsCount());
        for (int i = 0; i < 1000; i++) {
          Job j = response.getJobs(i);
          assertEquals("" + i, j.getLabelsOrThrow("i"), "jobs come back in request order");
          assertEquals(JobState.JOB_STATE_QUEUED, j.getState());
          assertTrue(ids.add(j.getId()), "a fresh id");
        }
      }

      ExecutorService pool = Executors.newFixedThreadPool(32);
      try {
        List<Future<Job>> futures = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
          int n = i;
          futures.add(
              pool.submit(() -> jobs.createJob(CreateJobRequest.newBuilder().setType("single").putLabels("n", "" + n).build())));
        }
        for (Future<Job> f : futures) {
          Job j = f.get(4, TimeUnit.MINUTES);
          assertTrue(ids.add(j.getId()), "a fresh id");
        }
      } finally {
        pool.shutdownNow();
      }
      assertEquals(11_000, ids.size());

      try (Connection c = db.connect()) {
        assertEquals(11_000, query(c, "SELECT count(*) FROM jobs"));
        assertEquals(10_000, query(c, "SELECT count(*) FROM jobs WHERE type = 'bulk'"));
        assertEquals(1_000, query(c, "SELECT count(DISTINCT labels->>'n') FROM jobs WHERE type = 'single'"));
        assertEquals(11_000, query(c, "SELECT count(*) FROM job_events"));
        // exactly one event per job, and it is the creation event
        assertEquals(
            11_000,
            query(
                c,
                "SELECT count(*) FROM jobs j JOIN job_events e ON e.job_id = j.id"
                    + " WHERE e.sequence = 1 AND e.kind = 'STATE_CHANGED' AND e.state = 'QUEUED'"
                    + " AND e.previous_state IS NULL AND e.actor = 'anonymous' AND j.last_sequence = 1"));
        assertEquals(
            0,
            query(c, "SELECT count(*) FROM (SELECT job_id FROM job_events GROUP BY job_id HAVING count(*) <> 1) x"));
      }

      // and ListJobs walks all of them, once each
      Set<String> listed = new HashSet<>();
      String token = "";
      do {
        ListJobsResponse page = jobs.listJobs(ListJobsRequest.newBuilder().setPageSize(1000).setPageToken(token).build());
        page.getJobsList().forEach(j -> assertTrue(listed.add(j.getId()), "listed twice: " + j.getId()));
        token = page.getNextPageToken();
      } while (!token.isEmpty());
      assertEquals(ids, listed);
    }
  }

  @Test
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void concurrentRetriesWithOneIdempotencyKeyCreateOneJob() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        TestServer node = TestServer.tcp(db)) {
      JobServiceBlockingStub jobs = node.jobs().withDeadlineAfter(90, TimeUnit.SECONDS);
      ExecutorService pool = Executors.newFixedThreadPool(32);
      try {
        // single creations racing on one key
        List<Future<Job>> singles = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          singles.add(pool.submit(() -> jobs.createJob(CreateJobRequest.newBuilder().setType("once").setIdempotencyKey("same").build())));
        }
        Set<String> singleIds = new HashSet<>();
        for (Future<Job> f : singles) {
          singleIds.add(f.get(90, TimeUnit.SECONDS).getId());
        }
        assertEquals(1, singleIds.size(), "every racer gets the one job");

        // batches racing on 1,000 shared keys (they deadlocked before the key-ordered insert), each batch in its own order
        List<Future<List<Job>>> batches = new ArrayList<>();
        for (int b = 0; b < 16; b++) {
          List<Integer> order = new ArrayList<>();
          for (int k = 0; k < 1000; k++) {
            order.add(k);
          }
          java.util.Collections.shuffle(order, new java.util.Random(b));
          BatchCreateJobsRequest.Builder batch = BatchCreateJobsRequest.newBuilder();
          order.forEach(k -> batch.addRequests(CreateJobRequest.newBuilder().setType("keyed").setIdempotencyKey("k" + k).putLabels("k", "" + k)));
          batches.add(pool.submit(() -> jobs.batchCreateJobs(batch.build()).getJobsList()));
        }
        java.util.Map<String, String> idByKey = new java.util.HashMap<>();
        for (Future<List<Job>> f : batches) {
          for (Job j : f.get(90, TimeUnit.SECONDS)) {
            String previous = idByKey.putIfAbsent(j.getIdempotencyKey(), j.getId());
            assertTrue(previous == null || previous.equals(j.getId()), "one job per key: " + j.getIdempotencyKey());
          }
        }
        assertEquals(1000, idByKey.size());
      } finally {
        pool.shutdownNow();
      }
      try (Connection c = db.connect()) {
        assertEquals(1001, query(c, "SELECT count(*) FROM jobs"));
        assertEquals(1001, query(c, "SELECT count(*) FROM job_events"));
      }
    }
  }

  private static long query(Connection c, String sql) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
