package io.overseer.server.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Timestamp;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.BatchCreateJobsRequest;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.FailJobRequest;
import io.overseer.v1.GetJobRequest;
import io.overseer.v1.HeartbeatRequest;
import io.overseer.v1.HeartbeatResponse;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import io.overseer.v1.ListJobEventsRequest;
import io.overseer.v1.ListJobEventsResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.function.Executable;

/** Shared helpers of the worker acceptance tests: raw gRPC calls, polling (with {@link Poll}), SQL checks. */
final class WorkerTesting {
  private WorkerTesting() {}

  /** A queue name no other test uses, so tests sharing a node never claim each other's jobs. */
  static String uniqueQueue(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  static CreateJobRequest.Builder newJob(String queue) {
    return CreateJobRequest.newBuilder().setType("test").setQueue(queue);
  }

  static Job create(TestServer node, CreateJobRequest.Builder request) {
    return node.jobs().createJob(request.build());
  }

  /** Creates all the jobs through BatchCreateJobs, 1,000 at a time. */
  static List<Job> createAll(TestServer node, List<CreateJobRequest> requests) {
    List<Job> jobs = new ArrayList<>();
    for (int from = 0; from < requests.size(); from += 1000) {
      List<CreateJobRequest> batch = requests.subList(from, Math.min(requests.size(), from + 1000));
      jobs.addAll(
          node.jobs().batchCreateJobs(BatchCreateJobsRequest.newBuilder().addAllRequests(batch).build()).getJobsList());
    }
    return jobs;
  }

  static List<Lease> claim(TestServer node, String worker, int maxJobs, Duration wait, Duration lease, String... queues) {
    ClaimJobsRequest.Builder r =
        ClaimJobsRequest.newBuilder().setWorkerId(worker).setMaxJobs(maxJobs).addAllQueues(List.of(queues));
    if (wait != null) {
      r.setWait(proto(wait));
    }
    if (lease != null) {
      r.setLeaseDuration(proto(lease));
    }
    return node.workers().withDeadlineAfter(wait == null ? 30_000 : wait.toMillis() + 30_000, java.util.concurrent.TimeUnit.MILLISECONDS)
        .claimJobs(r.build())
        .getLeasesList();
  }

  /** Claims exactly one job (waiting up to {@code wait}); fails the test if none came. */
  static Lease claimOne(TestServer node, String worker, Duration wait, Duration lease, String queue) {
    List<Lease> leases = claim(node, worker, 1, wait, lease, queue);
    assertEquals(1, leases.size(), "expected one claimable job in queue " + queue);
    return leases.get(0);
  }

  static Job complete(TestServer node, Lease lease) {
    return node.workers()
        .completeJob(CompleteJobRequest.newBuilder().setJobId(lease.getJob().getId()).setLeaseToken(lease.getLeaseToken()).build());
  }

  static Job fail(TestServer node, Lease lease, String error, boolean retryable) {
    return node.workers().failJob(failRequest(lease, error, retryable).build());
  }

  static FailJobRequest.Builder failRequest(Lease lease, String error, boolean retryable) {
    return FailJobRequest.newBuilder()
        .setJobId(lease.getJob().getId())
        .setLeaseToken(lease.getLeaseToken())
        .setErrorMessage(error)
        .setRetryable(retryable);
  }

  static HeartbeatResponse heartbeat(TestServer node, Lease lease) {
    return node.workers()
        .heartbeat(HeartbeatRequest.newBuilder().setJobId(lease.getJob().getId()).setLeaseToken(lease.getLeaseToken()).build());
  }

  static Job get(TestServer node, String id) {
    return node.jobs().getJob(GetJobRequest.newBuilder().setId(id).build());
  }

  /** Every event of the job, oldest first, across pages. */
  static List<JobEvent> events(TestServer node, String id) {
    List<JobEvent> all = new ArrayList<>();
    String token = "";
    do {
      ListJobEventsResponse page =
          node.jobs().listJobEvents(ListJobEventsRequest.newBuilder().setId(id).setPageSize(1000).setPageToken(token).build());
      all.addAll(page.getEventsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return all;
  }

  static JobEvent lastEvent(TestServer node, String id) {
    List<JobEvent> all = events(node, id);
    return all.get(all.size() - 1);
  }

  /** Polls GetJob until the job is in {@code state}; fails after {@code timeout}. */
  static Job awaitState(TestServer node, String id, JobState state, Duration timeout) {
    return Poll.value(timeout, "job " + id + " to become " + state, () -> get(node, id), j -> j.getState() == state);
  }

  /** The call must fail FAILED_PRECONDITION, reason LEASE_LOST, metadata job_id and state. */
  static void assertLeaseLost(String jobId, JobState state, Executable call) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode(), e.toString());
    ErrorInfo info = errorInfo(e);
    assertEquals("LEASE_LOST", info.getReason(), info.toString());
    assertEquals("overseer", info.getDomain());
    assertEquals(jobId, info.getMetadataOrThrow("job_id"));
    assertEquals(state.name().substring("JOB_STATE_".length()), info.getMetadataOrThrow("state"));
  }

  static ErrorInfo errorInfo(StatusRuntimeException e) {
    com.google.rpc.Status status = StatusProto.fromThrowable(e);
    assertNotNull(status, "no google.rpc.Status details in " + e);
    for (Any detail : status.getDetailsList()) {
      if (detail.is(ErrorInfo.class)) {
        try {
          return detail.unpack(ErrorInfo.class);
        } catch (InvalidProtocolBufferException x) {
          throw new AssertionError(x);
        }
      }
    }
    throw new AssertionError("no ErrorInfo in " + status);
  }

  static com.google.protobuf.Duration proto(Duration d) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }

  static Timestamp timestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  static Instant instant(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }

  static long millisBetween(Timestamp from, Timestamp to) {
    return Duration.between(instant(from), instant(to)).toMillis();
  }

  /** A single number from SQL (count, max…) on the test database. */
  static long queryLong(TestDatabase db, String sql, Object... args) {
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        ps.setObject(i + 1, args[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Every job's event log: sequences 1..n with no gap and n = the job's last_sequence; each
   * STATE_CHANGED event's previous state is the state of the event before it (none for event 1);
   * times never go backwards; and the last event's state is the job's state.
   */
  static void assertEventLogsConsistent(TestDatabase db) {
    assertEquals(0, queryLong(db, "SELECT count(*) FROM jobs j WHERE NOT EXISTS (SELECT 1 FROM job_events e WHERE e.job_id = j.id)"),
        "jobs without events");
    assertEquals(0, queryLong(db,
        "SELECT count(*) FROM jobs j JOIN (SELECT job_id, count(*) n, min(sequence) lo, max(sequence) hi"
            + " FROM job_events GROUP BY job_id) e ON e.job_id = j.id"
            + " WHERE e.lo <> 1 OR e.hi <> e.n OR e.hi <> j.last_sequence"),
        "jobs whose event sequences are not exactly 1..last_sequence");
    assertEquals(0, queryLong(db,
        "SELECT count(*) FROM (SELECT sequence, kind, previous_state, time,"
            + " lag(state) OVER w AS before, lag(time) OVER w AS before_time"
            + " FROM job_events WINDOW w AS (PARTITION BY job_id ORDER BY sequence)) x"
            + " WHERE (sequence = 1 AND (kind <> 'STATE_CHANGED' OR previous_state IS NOT NULL))"
            + " OR (sequence > 1 AND kind = 'STATE_CHANGED' AND previous_state IS DISTINCT FROM before)"
            + " OR time < before_time"),
        "events out of order (previous_state not the state before, or time going backwards)");
    assertEquals(0, queryLong(db,
        "SELECT count(*) FROM jobs j JOIN job_events e ON e.job_id = j.id AND e.sequence = j.last_sequence"
            + " WHERE e.state <> j.state"),
        "jobs whose last event's state is not the job's state");
  }

  /**
   * The threads of this JVM (the nodes run in it) inside a claim ({@link io.overseer.server.core.ClaimOperations#claim});
   * with {@code waiting}, only those parked in it until a change ({@link io.overseer.server.signal.Signals#awaitChange}).
   */
  static long claimsInThisJvm(boolean waiting) {
    return Thread.getAllStackTraces().values().stream()
        .filter(stack -> calls(stack, io.overseer.server.core.ClaimOperations.class, "claim")
            && (!waiting || calls(stack, io.overseer.server.signal.Signals.class, "awaitChange")))
        .count();
  }

  private static boolean calls(StackTraceElement[] stack, Class<?> type, String method) {
    for (StackTraceElement frame : stack) {
      if (frame.getClassName().equals(type.getName()) && frame.getMethodName().equals(method)) {
        return true;
      }
    }
    return false;
  }
}
