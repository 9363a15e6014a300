package io.overseer.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.client.OverseerClient;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.Lease;
import io.overseer.v1.ListJobsRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Scenario 5, database stall: a TCP proxy between the node and PostgreSQL stops passing bytes
 * (60 s in the long run) while callers keep calling with a deadline. No call outlives its deadline
 * by more than a second — neither as the caller sees it nor on the node (its per-method maximum
 * call time, from /metrics) — and the pool recovers after the stall.
 */
@org.junit.jupiter.api.Tag("heavy")
@Timeout(value = 8, unit = TimeUnit.MINUTES)
class DatabaseStallTest {
  private static final String SCENARIO = "database-stall";
  private static final Duration DEADLINE = Duration.ofSeconds(3);
  private static final long LIMIT_MS = DEADLINE.toMillis() + 1_000;
  private static final Pattern MAX = Pattern.compile("^overseer_rpc_seconds_max\\{([^}]*)\\} (\\S+)");
  /** A CompleteJob with a lease that is not the job's: LEASE_LOST whenever the database answers. */
  private static final String STALE = "CompleteJob(stale lease)";
  private static final List<String> OPS = List.of("CreateJob", "GetJob", "ListJobs", "ClaimJobs", STALE);

  @Test
  void noCallOutlivesItsDeadlineAndThePoolRecovers() throws Exception {
    Duration stall = Chaos.pick(Duration.ofSeconds(5), Duration.ofSeconds(60));
    Path dir = Chaos.workDir(SCENARIO);
    long started = System.nanoTime();
    CallLog calls = new CallLog();
    Set<String> created = ConcurrentHashMap.newKeySet();
    int metricsPort = Chaos.freePort();
    try (TestDatabase db = TestDatabase.create();
        TcpProxy proxy = proxyTo(db.url());
        NodeProcess node = NodeProcess.start("node", viaProxy(db.url(), proxy.port()), dir,
            "--maintenance-interval=250ms", "--metrics-port=" + metricsPort);
        OverseerClient client = OverseerClient.builder().target(node.target()).deadline(DEADLINE).build()) {
      ScheduledExecutorService probers = probers(client, calls, created);
      Poll.holdsFor(Duration.ofSeconds(3), "the node stays up (baseline traffic)", node::isAlive);
      long stallStart = System.nanoTime();
      proxy.pause();
      Chaos.log(SCENARIO, started, "proxy paused for " + stall.toSeconds() + " s");
      Poll.holdsFor(stall, "the node stays up (the stall itself)", node::isAlive);
      proxy.resume();
      long resumed = System.nanoTime();
      Chaos.log(SCENARIO, started, "proxy resumed");
      boolean recovered = Poll.eventually(Duration.ofSeconds(30), Duration.ofMillis(100), () -> OPS.stream().allMatch(op ->
          calls.between(resumed, Long.MAX_VALUE).stream().anyMatch(c -> answered(c) && c.method().equals(op))));
      long recoveryMs = Chaos.millisSince(resumed);
      Chaos.log(SCENARIO, started, "every kind of call succeeded again after " + recoveryMs + " ms");
      long steady = System.nanoTime();
      Poll.holdsFor(Duration.ofSeconds(3), "the node stays up (traffic after recovery)", node::isAlive);
      probers.shutdown();
      assertTrue(probers.awaitTermination(30, TimeUnit.SECONDS), "the probers stopped");
      Map<String, Double> serverMax = serverMaxSeconds(metricsPort);

      List<CallLog.Call> all = calls.calls();
      List<String> overdue = all.stream().filter(c -> c.durationNanos() / 1_000_000 > LIMIT_MS).map(Object::toString).toList();
      List<String> serverOverdue = new ArrayList<>();
      serverMax.forEach((labels, seconds) -> {
        if (seconds * 1000 > LIMIT_MS) {
          serverOverdue.add(labels + " took " + Math.round(seconds * 1000) + " ms on the node");
        }
      });
      List<CallLog.Call> during = calls.between(stallStart, resumed);
      List<CallLog.Call> afterRecovery = calls.between(steady, Long.MAX_VALUE);
      long failedAfter = afterRecovery.stream().filter(c -> !answered(c)).count();
      List<CallLog.Call> badErrors = all.stream().filter(c -> !answered(c) && c.code() != io.grpc.Status.Code.UNAVAILABLE
          && c.code() != io.grpc.Status.Code.DEADLINE_EXCEEDED).toList();
      long worstServerMs = serverMax.values().stream().mapToLong(s -> Math.round(s * 1000)).max().orElse(0);
      new ResultRow(SCENARIO, 1, created.size(), 0, 0, recoveryMs,
          ResultRow.extras("stall_seconds", stall.toSeconds(), "deadline_ms", DEADLINE.toMillis(),
              "calls", all.size(), "calls_during_stall", during.size(),
              "worst_client_call_ms", all.stream().mapToLong(c -> c.durationNanos() / 1_000_000).max().orElse(0),
              "worst_server_call_ms", worstServerMs, "failed_after_recovery", failedAfter, "other_errors", badErrors.size(),
              "seconds", Chaos.millisSince(started) / 1000))
          .publish();
      System.out.println("calls during the stall: " + CallLog.summary(during));
      during.forEach(c -> System.out.println("  +" + (c.startNanos() - stallStart) / 1_000_000 + " ms: " + c));
      System.out.println("node-side maximum call times (s): " + serverMax);
      assertTrue(overdue.isEmpty(), () -> "calls outlived their deadline by more than 1 s: " + overdue);
      assertTrue(serverOverdue.isEmpty(), () -> "the node kept calls past their deadline: " + serverOverdue);
      assertTrue(badErrors.isEmpty(), () -> "calls failed otherwise than UNAVAILABLE or DEADLINE_EXCEEDED: " + CallLog.summary(badErrors));
      assertTrue(recovered, "the pool did not recover within 30 s of the stall's end");
      assertTrue(during.size() > 0, "no call was made during the stall");
      assertEquals(0, failedAfter, () -> "calls failed after recovery: " + CallLog.summary(afterRecovery));
    }
  }

  /**
   * One prober per kind of call, each again and again (20 ms after the last ended) with the
   * deadline: create, get, list, claim (and complete what it got), and a CompleteJob with a stale
   * lease (LEASE_LOST while the database answers), so that every path meets the stall, completions
   * included. Started at once; shutting the scheduler down stops them.
   */
  private static ScheduledExecutorService probers(OverseerClient client, CallLog calls, Set<String> created) {
    String[] last = {null}; // the newest job created (a data race between probers is harmless)
    Runnable create = () -> {
      Job job = calls.record("CreateJob", () -> client.create(CreateJobRequest.newBuilder().setType("probe").setQueue("stall").build()));
      created.add(job.getId());
      last[0] = job.getId();
    };
    Runnable get = () -> {
      if (last[0] != null) {
        calls.record("GetJob", () -> client.get(last[0]));
      }
    };
    Runnable list = () -> calls.record("ListJobs", () -> client.listPage(ListJobsRequest.newBuilder().setQueue("stall").setPageSize(10).build()));
    Runnable claim = () -> {
      List<Lease> leases = calls.record("ClaimJobs", () -> client.workerStub().claimJobs(ClaimJobsRequest.newBuilder()
          .setWorkerId("prober").addQueues("stall").setMaxJobs(1)
          .setWait(com.google.protobuf.Duration.newBuilder().setNanos(500_000_000))
          .setLeaseDuration(com.google.protobuf.Duration.newBuilder().setSeconds(10)).build()).getLeasesList());
      for (Lease l : leases) {
        calls.record("CompleteJob", () -> client.workerStub().completeJob(CompleteJobRequest.newBuilder()
            .setJobId(l.getJob().getId()).setLeaseToken(l.getLeaseToken()).build()));
      }
    };
    Runnable stale = () -> {
      if (last[0] != null) {
        calls.record(STALE, () -> client.workerStub().completeJob(CompleteJobRequest.newBuilder()
            .setJobId(last[0]).setLeaseToken("1.stale").build()));
      }
    };
    List<Runnable> ops = List.of(create, get, list, claim, stale);
    ScheduledExecutorService probers = Executors.newScheduledThreadPool(ops.size(), r -> {
      Thread t = new Thread(r, "prober");
      t.setDaemon(true);
      return t;
    });
    for (Runnable op : ops) {
      probers.scheduleWithFixedDelay(() -> {
        try {
          op.run();
        } catch (RuntimeException e) {
          // recorded in the call log
        }
      }, 0, 20, TimeUnit.MILLISECONDS); // the probers' pace
    }
    return probers;
  }

  /** The database answered: OK, or LEASE_LOST for the stale completion. */
  private static boolean answered(CallLog.Call c) {
    return c.method().equals(STALE) ? c.reason().equals("LEASE_LOST") : c.ok();
  }

  /** overseer_rpc_seconds_max per method and code, from the node's /metrics. */
  private static Map<String, Double> serverMaxSeconds(int port) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(30)).build(),
        HttpResponse.BodyHandlers.ofString());
    Map<String, Double> max = new TreeMap<>();
    for (String line : r.body().split("\n")) {
      Matcher m = MAX.matcher(line);
      if (m.find() && !m.group(1).contains("WatchJob")) {
        max.put(m.group(1), Double.parseDouble(m.group(2)));
      }
    }
    return max;
  }

  static TcpProxy proxyTo(String jdbcUrl) throws Exception {
    URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
    return new TcpProxy(uri.getHost(), uri.getPort());
  }

  /** The same JDBC URL through the proxy. */
  static String viaProxy(String jdbcUrl, int proxyPort) {
    URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
    return jdbcUrl.replaceFirst("//" + Pattern.quote(uri.getHost() + ":" + uri.getPort()) + "/", "//127.0.0.1:" + proxyPort + "/");
  }
}
