package io.overseer.server.ops;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.stub.StreamObserver;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.AppendJobLogsRequest;
import io.overseer.v1.CancelJobRequest;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.FailJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobServiceGrpc;
import io.overseer.v1.Lease;
import io.overseer.v1.LogLine;
import io.overseer.v1.WatchJobRequest;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

/** Scrapes /metrics during a run and checks the figures against what the run did. */
class MetricsTest {
  @Test
  void figuresMatchTheRun() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        TestServer node = TestServer.tcp(db, "--metrics-port=0")) {
      Job a = create(node);
      Job b = create(node);
      Job c = create(node);
      List<Lease> leases = node.workers().claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("w").addQueues("mq").setMaxJobs(2).build()).getLeasesList();
      assertEquals(2, leases.size());
      node.workers().appendJobLogs(AppendJobLogsRequest.newBuilder().setJobId(leases.get(0).getJob().getId())
          .setLeaseToken(leases.get(0).getLeaseToken()).addLines(LogLine.newBuilder().setText("a"))
          .addLines(LogLine.newBuilder().setText("b")).addLines(LogLine.newBuilder().setText("c".repeat(20_000))).build());
      node.workers().completeJob(CompleteJobRequest.newBuilder().setJobId(leases.get(0).getJob().getId()).setLeaseToken(leases.get(0).getLeaseToken()).build());
      node.workers().failJob(FailJobRequest.newBuilder().setJobId(leases.get(1).getJob().getId()).setLeaseToken(leases.get(1).getLeaseToken()).setErrorMessage("no").build());
      node.jobs().cancelJob(CancelJobRequest.newBuilder().setId(c.getId()).build());
      Job waiting = create(node);
      Job watched = create(node);
      JobServiceGrpc.newStub(node.channel()).watchJob(WatchJobRequest.newBuilder().setId(watched.getId()).build(), new StreamObserver<JobEvent>() {
        @Override public void onNext(JobEvent e) { }
        @Override public void onError(Throwable t) { }
        @Override public void onCompleted() { }
      });
      assertTrue(a.getId().length() > 0 && b.getId().length() > 0 && waiting.getId().length() > 0);

      Map<String, String> mq = Map.of("queue", "mq", "type", "m");
      // the live-jobs gauge is refreshed from the database every 2 s; the stream opens asynchronously
      String text = Poll.value(Duration.ofSeconds(10), "2 mq jobs QUEUED and 1 watch stream in /metrics",
          () -> scrape(node.server().metricsPort()),
          t -> value(t, "overseer_jobs", Map.of("queue", "mq", "state", "QUEUED")).orElse(-1) == 2
              && value(t, "overseer_watch_streams", Map.of()).orElse(-1) == 1);

      String snapshot = text;
      assertEquals(5.0, value(text, "overseer_jobs_submitted_total", mq).orElseThrow(() -> new AssertionError(snapshot)), text);
      assertEquals(2.0, value(text, "overseer_jobs_claimed_total", mq).orElseThrow(() -> new AssertionError(snapshot)));
      assertEquals(1.0, value(text, "overseer_jobs_completed_total", mq).orElseThrow(() -> new AssertionError(snapshot)));
      assertEquals(1.0, value(text, "overseer_jobs_failed_total", mq).orElseThrow(() -> new AssertionError(snapshot)));
      assertEquals(1.0, value(text, "overseer_jobs_cancelled_total", mq).orElseThrow(() -> new AssertionError(snapshot)));
      assertEquals(2.0, value(text, "overseer_jobs", Map.of("queue", "mq", "state", "QUEUED")).orElseThrow(() -> new AssertionError(snapshot)));
      assertEquals(2.0, value(text, "overseer_job_queue_wait_seconds_count", Map.of("queue", "mq")).orElseThrow(() -> new AssertionError(snapshot)));
      assertEquals(2.0, value(text, "overseer_job_run_seconds_count", mq).orElseThrow(() -> new AssertionError(snapshot)));
      assertEquals(1.0, value(text, "overseer_watch_streams", Map.of()).orElseThrow(() -> new AssertionError(snapshot)));
      assertEquals(5.0, value(text, "overseer_rpc_seconds_count", Map.of("method", "overseer.v1.JobService/CreateJob", "code", "OK")).orElseThrow(() -> new AssertionError(snapshot)));
      assertEquals(1.0, value(text, "overseer_rpc_seconds_count", Map.of("method", "overseer.v1.WorkerService/ClaimJobs", "code", "OK")).orElseThrow(() -> new AssertionError(snapshot)));
      assertEquals(3.0, value(text, "overseer_log_lines_appended_total", Map.of()).orElseThrow(() -> new AssertionError(snapshot)));
      assertEquals(1.0, value(text, "overseer_log_lines_cut_total", Map.of()).orElseThrow(() -> new AssertionError(snapshot)));
      assertEquals(0.0, value(text, "overseer_log_lines_dropped_total", Map.of()).orElseThrow(() -> new AssertionError(snapshot)));
      // a (1 + 6 + 16), b (the same), the cut line (16 KiB at most, + 6 + 16)
      double logBytes = value(text, "overseer_log_bytes_appended_total", Map.of()).orElseThrow(() -> new AssertionError(snapshot));
      assertTrue(logBytes > 46 + 16_000 && logBytes <= 46 + 16_384 + 22, "log bytes " + logBytes);
      assertTrue(value(text, "overseer_hikaricp_connections_max", Map.of()).orElseThrow(() -> new AssertionError(snapshot)) >= 2);
      assertTrue(sum(text, "overseer_jvm_memory_used_bytes", Map.of("area", "heap")) > 0, "heap used, summed over its pools");
      assertTrue(value(text, "overseer_process_cpu_usage", Map.of()).isPresent());
      for (String line : text.lines().toList()) {
        assertTrue(line.startsWith("#") || line.isBlank() || line.startsWith("overseer_"), "every metric is named overseer_*: " + line);
      }
    }
  }

  private static Job create(TestServer node) {
    return node.jobs().createJob(CreateJobRequest.newBuilder().setType("m").setQueue("mq").build());
  }

  static String scrape(int port) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode());
    return r.body();
  }

  /** The sum of every sample of {@code name} carrying all {@code labels}. */
  static double sum(String text, String name, Map<String, String> labels) {
    double total = 0;
    for (String line : text.lines().toList()) {
      if (line.startsWith(name + "{") && labels.entrySet().stream().allMatch(e -> line.contains(e.getKey() + "=\"" + e.getValue() + "\""))) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  /** The value of the first sample of {@code name} carrying all {@code labels}. */
  static OptionalDouble value(String text, String name, Map<String, String> labels) {
    for (String line : text.lines().toList()) {
      if (!line.startsWith(name + "{") && !line.startsWith(name + " ")) {
        continue;
      }
      boolean all = labels.entrySet().stream().allMatch(e -> line.contains(e.getKey() + "=\"" + e.getValue() + "\""));
      if (all) {
        return OptionalDouble.of(Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)));
      }
    }
    return OptionalDouble.empty();
  }
}
