package io.overseer.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Concurrent CreateJob calls share commits: every call gets its own job (or, with a shared
 * idempotency key, the one job of that key), and each job has exactly its creation event.
 */
class CreateJobGroupCommitTest {
  @Test
  void concurrentCreatesEachGetTheirJobAndSharedKeysOneJob() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        TestServer node = TestServer.tcp(db)) {
      ExecutorService pool = Executors.newFixedThreadPool(32);
      try {
        List<Future<Job>> plain = new ArrayList<>();
        List<Future<Job>> keyed = new ArrayList<>();
        for (int i = 0; i < 400; i++) {
          int n = i;
          plain.add(pool.submit(() -> node.jobs().createJob(CreateJobRequest.newBuilder()
              .setType("plain").putLabels("n", Integer.toString(n)).build())));
          // ten keys, each sent by ten callers at once with the same request
          if (i < 100) {
            keyed.add(pool.submit(() -> node.jobs().createJob(CreateJobRequest.newBuilder()
                .setType("keyed").setIdempotencyKey("k" + (n % 10)).build())));
          }
        }
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < plain.size(); i++) {
          Job j = plain.get(i).get();
          assertEquals(Integer.toString(i), j.getLabelsMap().get("n"), "each caller gets its own job back");
          ids.add(j.getId());
        }
        assertEquals(400, ids.size());
        Set<String> keyedIds = new HashSet<>();
        for (Future<Job> f : keyed) {
          keyedIds.add(f.get().getId());
        }
        assertEquals(10, keyedIds.size(), "one job per idempotency key");
      } finally {
        pool.shutdownNow();
      }
      try (Connection c = db.connect(); Statement st = c.createStatement();
          ResultSet rs = st.executeQuery("SELECT count(*), (SELECT count(*) FROM job_events) FROM jobs")) {
        rs.next();
        assertEquals(410, rs.getInt(1));
        assertEquals(410, rs.getInt(2), "one creation event per job");
      }
    }
  }
}
