package io.overseer.chaos.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.rpc.ErrorInfo;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.JobServiceGrpc;
import io.overseer.v1.Lease;
import io.overseer.v1.WorkerServiceGrpc;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 7, scenario 9: hostile input on every RPC of JobService and WorkerService, found from the
 * service descriptors. Each request is raw bytes sent with the RPC's full method name: random
 * bytes, hostile field values, mutated and malformed encodings, invalid UTF-8, unknown fields,
 * sometimes with hostile metadata. The only answers allowed are OK (the request happened to be
 * valid), INVALID_ARGUMENT, RESOURCE_EXHAUSTED, NOT_FOUND, FAILED_PRECONDITION, and where the SPEC
 * defines them ALREADY_EXISTS (an idempotency key reused with other fields) and OUT_OF_RANGE (a
 * watch past the end of a live job); never INTERNAL or UNKNOWN. A rejected request writes
 * nothing: the database's fingerprint is the same after it. Requests are sent one at a time, and
 * maintenance is off, so nothing else writes.
 */
@Timeout(600)
class HostileInputTest {
  private static final String SCENARIO = "hostile_input";
  private static final Set<Status.Code> ALLOWED =
      EnumSet.of(
          Status.Code.OK,
          Status.Code.INVALID_ARGUMENT,
          Status.Code.RESOURCE_EXHAUSTED,
          Status.Code.NOT_FOUND,
          Status.Code.FAILED_PRECONDITION,
          Status.Code.ALREADY_EXISTS,
          Status.Code.OUT_OF_RANGE);

  @Test
  void everyRpcAnswersHostileInputWithAnAllowedCodeAndWritesNothing() throws Exception {
    long seed = ChaosRun.seed(SCENARIO);
    int maxRequests = ChaosRun.size(4000, 25_000);
    Duration budget = ChaosRun.size(Duration.ofSeconds(30), Duration.ofSeconds(100));
    Random random = new Random(seed);
    long started = System.nanoTime();
    try (AutoCloseable quiet = ChaosRun.quietLogs();
        TestDatabase db = TestDatabase.create();
        TestServer node = TestServer.tcp(db, "--maintenance-interval=1h", "--housekeeping-interval=1h", "--log-level=error");
        Connection sql = db.connect()) {
      ManagedChannel channel = NettyChannelBuilder.forTarget(node.target()).usePlaintext().maxInboundMessageSize(256 << 20).build();
      try {
        Fixtures fixtures = new Fixtures(node, sql);
        HostileValues values = new HostileValues(random, fixtures);
        HostileRequests requests = new HostileRequests(random, values);
        List<RawCalls.Rpc> rpcs = RawCalls.rpcs(JobServiceGrpc.getServiceDescriptor(), WorkerServiceGrpc.getServiceDescriptor());
        Map<String, Map<Status.Code, Integer>> seen = new TreeMap<>();
        List<String> problems = new ArrayList<>();
        long wroteWhenRejected = 0;
        long refusedByClient = 0;
        Map<String, Long> millis = new TreeMap<>();
        String before = fingerprint(sql);
        int sent = 0;
        long end = started + budget.toNanos();
        while (sent < maxRequests && (System.nanoTime() < end || sent < rpcs.size() * 20)) {
          RawCalls.Rpc rpc = rpcs.get(sent % rpcs.size());
          HostileRequests.Request request = requests.next(rpc.requestType());
          Metadata headers = random.nextInt(5) == 0 ? RawCalls.hostileHeaders(random, values) : new Metadata();
          long t0 = System.nanoTime();
          RawCalls.Outcome outcome = RawCalls.call(channel, rpc, request.bytes(), headers, 300);
          millis.merge(rpc.name() + " " + request.strategy(), (System.nanoTime() - t0) / 1_000_000, Long::sum);
          sent++;
          if (outcome.refusedByClient()) {
            refusedByClient++;
            continue;
          }
          Status.Code code = outcome.code();
          seen.computeIfAbsent(rpc.name(), k -> new TreeMap<>()).merge(code, 1, Integer::sum);
          String after = fingerprint(sql);
          String what = rpc.name() + " " + request.strategy() + " [" + RawCalls.hex(request.bytes(), 48) + "]";
          if (!ALLOWED.contains(code)) {
            problems.add(what + " -> " + outcome.status());
          } else if (code != Status.Code.OK) {
            if (!after.equals(before)) {
              wroteWhenRejected++;
              problems.add(what + " -> " + code + " but wrote: " + before + " -> " + after);
            }
            ErrorInfo info = outcome.errorInfo();
            boolean transportLimit = code == Status.Code.RESOURCE_EXHAUSTED && info == null; // gRPC's own message size limit
            if (!transportLimit && (info == null || !info.getDomain().equals("overseer") || info.getReason().isEmpty())) {
              problems.add(what + " -> " + outcome.status() + " without an ErrorInfo of domain overseer");
            }
          } else {
            fixtures.refresh(); // a valid request may have claimed, finished or cancelled a fixture
            after = fingerprint(sql);
          }
          before = after;
          if (problems.size() > 20) {
            break;
          }
        }
        long finishedTwice = finishedTwice(sql);
        long jobs = count(sql, "SELECT count(*) FROM jobs");
        print(seen);
        millis.entrySet().stream().sorted(Map.Entry.comparingByValue(java.util.Comparator.reverseOrder())).limit(12)
            .forEach(e -> System.out.println("[hostile_input] ms " + e));
        new ChaosRun.ResultRow(SCENARIO, seed)
            .core(sent, jobs, wroteWhenRejected, finishedTwice, null)
            .put("rpcs", rpcs.size())
            .put("refused_by_the_client", refusedByClient)
            .put("disallowed_codes", problems.size() - wroteWhenRejected)
            .put("seconds", (System.nanoTime() - started) / 1_000_000_000L)
            .put("seconds_in_calls", millis.values().stream().mapToLong(Long::longValue).sum() / 1000)
            .publish();
        assertTrue(problems.isEmpty(), problems.size() + " problems, e.g.:\n" + String.join("\n", problems.subList(0, Math.min(10, problems.size()))));
        assertEquals(0, finishedTwice, "no job has two terminal events");
        for (RawCalls.Rpc rpc : rpcs) {
          Map<Status.Code, Integer> codes = seen.getOrDefault(rpc.name(), Map.of());
          assertTrue(codes.values().stream().mapToInt(Integer::intValue).sum() >= 20, rpc.name() + " got too few requests");
          assertTrue(codes.containsKey(Status.Code.INVALID_ARGUMENT), rpc.name() + " never answered INVALID_ARGUMENT");
        }
      } finally {
        channel.shutdownNow();
      }
    }
  }

  private static void print(Map<String, Map<Status.Code, Integer>> seen) {
    seen.forEach((rpc, codes) -> System.out.printf("[%s] %-45s %s%n", SCENARIO, rpc, codes));
  }

  /** What a write would change: row counts, sequences, update times, lease expiries and log lines. */
  static String fingerprint(Connection sql) throws Exception {
    try (Statement st = sql.createStatement();
        ResultSet rs =
            st.executeQuery(
                "SELECT (SELECT count(*) FROM jobs), (SELECT count(*) FROM job_events), (SELECT count(*) FROM assets),"
                    + " (SELECT coalesce(sum(last_sequence), 0) FROM jobs), (SELECT max(update_time) FROM jobs),"
                    + " (SELECT coalesce(sum(extract(epoch FROM lease_expires_at)), 0) FROM jobs),"
                    + " (SELECT count(*) FROM jobs WHERE cancel_requested),"
                    + " (SELECT count(*) FROM job_logs), (SELECT coalesce(sum(last_sequence), 0) FROM job_log_heads)")) {
      rs.next();
      return "jobs=" + rs.getLong(1) + " events=" + rs.getLong(2) + " assets=" + rs.getLong(3) + " seq=" + rs.getLong(4)
          + " updated=" + rs.getString(5) + " leases=" + rs.getString(6) + " cancels=" + rs.getLong(7)
          + " log_lines=" + rs.getLong(8) + " log_seq=" + rs.getLong(9);
    }
  }

  /** Jobs with more than one terminal STATE_CHANGED event. */
  static long finishedTwice(Connection sql) throws Exception {
    return count(sql, "SELECT count(*) FROM (SELECT job_id FROM job_events WHERE kind = 'STATE_CHANGED'"
        + " AND state IN ('COMPLETED', 'FAILED', 'PARTIAL', 'CANCELLED') GROUP BY job_id HAVING count(*) > 1) t");
  }

  static long count(Connection sql, String query) throws Exception {
    try (Statement st = sql.createStatement(); ResultSet rs = st.executeQuery(query)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /**
   * Jobs in known states for the hostile requests to aim at: a QUEUED one nobody can claim (run_at
   * in the far future), a RUNNING one with an hour's lease, a COMPLETED one. Re-made when a valid
   * request changed one; the old ids and tokens stay in the pools.
   */
  static final class Fixtures implements HostileValues.Fixtures {
    private final TestServer node;
    private final Connection sql;
    private final List<String> ids = new ArrayList<>();
    private final List<String> tokens = new ArrayList<>();
    private String queued;
    private String running;
    private String runningToken;
    private String completed;

    Fixtures(TestServer node, Connection sql) throws Exception {
      this.node = node;
      this.sql = sql;
      refresh();
    }

    @Override
    public List<String> jobIds() {
      return ids.subList(Math.max(0, ids.size() - 12), ids.size());
    }

    @Override
    public List<String> leaseTokens() {
      return tokens.subList(Math.max(0, tokens.size() - 8), tokens.size());
    }

    void refresh() throws Exception {
      if (queued == null || !state(queued, null).equals("QUEUED")) {
        queued = create("fixture-queued-" + UUID.randomUUID(), true);
      }
      if (running == null || !state(running, runningToken).equals("RUNNING")) {
        String queue = "fixture-running-" + UUID.randomUUID();
        running = create(queue, false);
        runningToken = claim(queue).getLeaseToken();
        tokens.add(runningToken);
      }
      if (completed == null || !state(completed, null).equals("COMPLETED")) {
        String queue = "fixture-completed-" + UUID.randomUUID();
        completed = create(queue, false);
        String token = claim(queue).getLeaseToken();
        node.workers().completeJob(CompleteJobRequest.newBuilder().setJobId(completed).setLeaseToken(token).build());
        tokens.add(token);
      }
    }

    private String create(String queue, boolean never) {
      CreateJobRequest.Builder b = CreateJobRequest.newBuilder().setType("fixture").setQueue(queue);
      if (never) {
        b.setRunAt(com.google.protobuf.Timestamp.newBuilder().setSeconds(253_402_300_000L));
      }
      String id = node.jobs().createJob(b.build()).getId();
      ids.add(id);
      return id;
    }

    private Lease claim(String queue) {
      return node.workers()
          .claimJobs(
              ClaimJobsRequest.newBuilder()
                  .setWorkerId("fixtures")
                  .addQueues(queue)
                  .setLeaseDuration(com.google.protobuf.Duration.newBuilder().setSeconds(3600))
                  .build())
          .getLeases(0);
    }

    /** The job's state; "LOST" for a RUNNING job whose lease is no longer {@code token}. */
    private String state(String id, String token) throws Exception {
      try (var ps = sql.prepareStatement("SELECT state, lease_token FROM jobs WHERE id = ?::uuid")) {
        ps.setString(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            return "GONE";
          }
          boolean leaseKept = token == null || token.equals(rs.getString(2));
          return leaseKept ? rs.getString(1) : "LOST";
        }
      }
    }
  }
}
