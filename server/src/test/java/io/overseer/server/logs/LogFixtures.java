package io.overseer.server.logs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.AppendJobLogsRequest;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobServiceGrpc;
import io.overseer.v1.Lease;
import io.overseer.v1.ListJobLogsRequest;
import io.overseer.v1.ListJobLogsResponse;
import io.overseer.v1.LogLine;
import io.overseer.v1.WatchJobLogsRequest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;

/** Shared steps of the log tests: a leased job, appends, every stored line, and a watcher. */
final class LogFixtures {
  private LogFixtures() {}

  /** A new job of {@code type}, claimed: its lease. */
  static Lease leased(TestServer node, String type) {
    return leased(node, type, 30);
  }

  static Lease leased(TestServer node, String type, int leaseSeconds) {
    node.jobs().createJob(CreateJobRequest.newBuilder().setType(type).build());
    List<Lease> leases = node.workers().claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("w-" + type).addTypes(type)
        .setLeaseDuration(com.google.protobuf.Duration.newBuilder().setSeconds(leaseSeconds)).build()).getLeasesList();
    assertEquals(1, leases.size(), "one claimable job of type " + type);
    return leases.get(0);
  }

  /** Lines with these texts, on stdout, time unset. */
  static List<LogLine> lines(String... texts) {
    List<LogLine> out = new ArrayList<>();
    for (String t : texts) {
      out.add(LogLine.newBuilder().setText(t).build());
    }
    return out;
  }

  /** {@code n} lines "PREFIX-1" … "PREFIX-n". */
  static List<LogLine> numbered(String prefix, int n) {
    return lines(IntStream.rangeClosed(1, n).mapToObj(i -> prefix + "-" + i).toArray(String[]::new));
  }

  static AppendJobLogsRequest append(Lease lease, List<LogLine> lines) {
    return AppendJobLogsRequest.newBuilder().setJobId(lease.getJob().getId()).setLeaseToken(lease.getLeaseToken()).addAllLines(lines).build();
  }

  /** Appends through {@code node}; returns the last sequence. */
  static long appendOn(TestServer node, Lease lease, List<LogLine> lines) {
    return node.workers().appendJobLogs(append(lease, lines)).getLastSequence();
  }

  static Job complete(TestServer node, Lease lease) {
    return node.workers().completeJob(CompleteJobRequest.newBuilder().setJobId(lease.getJob().getId()).setLeaseToken(lease.getLeaseToken()).build());
  }

  /** Every stored line after {@code after}, page by page (of {@code pageSize}). */
  static List<LogLine> stored(JobServiceGrpc.JobServiceBlockingStub jobs, String jobId, long after, int pageSize) {
    List<LogLine> all = new ArrayList<>();
    String token = "";
    do {
      ListJobLogsResponse page = jobs.listJobLogs(
          ListJobLogsRequest.newBuilder().setId(jobId).setAfterSequence(after).setPageSize(pageSize).setPageToken(token).build());
      all.addAll(page.getLinesList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return all;
  }

  static List<String> texts(List<LogLine> lines) {
    return lines.stream().map(LogLine::getText).toList();
  }

  static List<Long> sequences(List<LogLine> lines) {
    return lines.stream().map(LogLine::getSequence).toList();
  }

  static long count(TestDatabase db, String sql) throws Exception {
    try (Connection c = db.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** What an append writes: lines, heads and the kept bytes, for "nothing was written" checks. */
  static String logsFingerprint(TestDatabase db) throws Exception {
    return count(db, "SELECT count(*) FROM job_logs") + " lines, " + count(db, "SELECT count(*) FROM job_log_heads") + " heads, "
        + count(db, "SELECT coalesce(sum(last_sequence), 0) FROM job_log_heads") + " sequences, "
        + count(db, "SELECT coalesce(sum(bytes), 0) FROM job_log_heads") + " bytes";
  }

  /** One WatchJobLogs call: what arrived, in order, and how it ended. */
  static final class LogWatch implements StreamObserver<LogLine> {
    final List<LogLine> lines = new CopyOnWriteArrayList<>();
    final List<Long> arrivals = new CopyOnWriteArrayList<>(); // System.nanoTime() of each line
    private final CompletableFuture<Status> end = new CompletableFuture<>();

    static LogWatch start(Channel channel, String jobId, long afterSequence) {
      LogWatch w = new LogWatch();
      JobServiceGrpc.newStub(channel).watchJobLogs(WatchJobLogsRequest.newBuilder().setId(jobId).setAfterSequence(afterSequence).build(), w);
      return w;
    }

    @Override
    public void onNext(LogLine line) {
      lines.add(line);
      arrivals.add(System.nanoTime());
    }

    @Override
    public void onError(Throwable t) {
      end.complete(t instanceof StatusRuntimeException s ? s.getStatus() : Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      end.complete(Status.OK);
    }

    /** Waits until {@code n} lines arrived (fails at the deadline). */
    void awaitCount(int n, Duration timeout) {
      Poll.until(timeout, () -> n + " lines (got " + lines.size() + ", ended " + end.getNow(null) + ")", () -> lines.size() >= n);
    }

    boolean ended() {
      return end.isDone();
    }

    Status awaitEnd(Duration timeout) throws Exception {
      return end.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }
  }
}
