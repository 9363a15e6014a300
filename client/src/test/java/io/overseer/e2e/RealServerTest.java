package io.overseer.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.cli.OverseerCli;
import io.overseer.client.OverseerClient;
import io.overseer.client.OverseerException;
import io.overseer.client.worker.JobResult;
import io.overseer.client.worker.NonRetryableException;
import io.overseer.client.worker.Worker;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobState;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The client library, the worker runtime and the CLI against a real server on TCP. */
@Timeout(120)
class RealServerTest {
  static TestDatabase db;
  static TestServer node;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    node = TestServer.tcp(db, "--maintenance-interval=100ms", "--cancel-grace=2s");
  }

  @AfterAll
  static void stop() {
    node.close();
    db.close();
  }

  @Test
  void workerRuntimeRunsJobsToTheirEnds() throws Exception {
    try (OverseerClient client = OverseerClient.builder().target(node.target()).build();
        Worker worker =
            Worker.builder()
                .client(client)
                .queues("rt")
                .concurrency(4)
                .leaseDuration(Duration.ofSeconds(5))
                .handler("ok", ctx -> {
                  ctx.progress(50, "running", "half");
                  return JobResult.of(Map.of("n", ctx.paramsMap().get("n")));
                })
                .handler("boom", ctx -> {
                  throw new NonRetryableException("no good");
                })
                .handler("partial", ctx -> JobResult.partial(Map.of("got", 1), "one missing"))
                .build()
                .start()) {
      List<Job> jobs = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        jobs.add(client.create(CreateJobRequest.newBuilder().setType("ok").setQueue("rt")
            .setParams(io.overseer.client.Structs.toStruct(Map.of("n", i))).build()));
      }
      Job boom = client.create(CreateJobRequest.newBuilder().setType("boom").setQueue("rt").build());
      Job partial = client.create(CreateJobRequest.newBuilder().setType("partial").setQueue("rt").build());
      for (Job j : jobs) {
        JobEvent end = client.watch(j.getId(), 0, e -> { });
        assertEquals(JobState.JOB_STATE_COMPLETED, end.getState());
        assertTrue(client.events(j.getId()).stream().anyMatch(e -> e.getStage().equals("running")), "progress reached the server");
      }
      assertEquals(JobState.JOB_STATE_FAILED, client.watch(boom.getId(), 0, e -> { }).getState());
      assertEquals("no good", client.get(boom.getId()).getErrorMessage());
      assertEquals(1, client.get(boom.getId()).getAttempt(), "non-retryable: one attempt");
      Job p = client.get(partial.getId());
      assertEquals(JobState.JOB_STATE_PARTIAL, client.watch(partial.getId(), 0, e -> { }).getState());
      assertEquals("one missing", client.get(partial.getId()).getErrorMessage());
      assertTrue(p.getId().length() > 0);
    }
  }

  @Test
  void cancellationReachesTheHandler() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch sawCancel = new CountDownLatch(1);
    try (OverseerClient client = OverseerClient.builder().target(node.target()).build();
        Worker worker =
            Worker.builder()
                .client(client)
                .queues("cancel")
                .leaseDuration(Duration.ofSeconds(3))
                .heartbeatInterval(Duration.ofMillis(200))
                .handler("slow", ctx -> {
                  started.countDown();
                  // runs until the cancellation reaches it (the worker also interrupts this thread)
                  Poll.until(Duration.ofSeconds(30), "the handler saw the cancellation", ctx::isCancelled);
                  sawCancel.countDown();
                  ctx.checkCancelled();
                  throw new AssertionError("checkCancelled() did not throw once isCancelled()");
                })
                .build()
                .start()) {
      Job job = client.create(CreateJobRequest.newBuilder().setType("slow").setQueue("cancel").build());
      assertTrue(started.await(20, TimeUnit.SECONDS));
      client.cancel(job.getId(), "changed my mind");
      assertTrue(sawCancel.await(20, TimeUnit.SECONDS), "the cancellation reached the handler");
      JobEvent end = client.watch(job.getId(), 0, e -> { });
      assertEquals(JobState.JOB_STATE_CANCELLED, end.getState());
      assertEquals(1, client.get(job.getId()).getAttempt(), "a cancelled job is never retried");
    }
  }

  @Test
  void retryableFailureIsRetried() throws Exception {
    try (OverseerClient client = OverseerClient.builder().target(node.target()).build();
        Worker worker =
            Worker.builder()
                .client(client)
                .queues("retry")
                .handler("flaky", ctx -> {
                  if (ctx.attempt() == 1) {
                    throw new IllegalStateException("first attempt fails");
                  }
                  return JobResult.empty();
                })
                .build()
                .start()) {
      Job job = client.create(CreateJobRequest.newBuilder().setType("flaky").setQueue("retry").build());
      assertEquals(JobState.JOB_STATE_COMPLETED, client.watch(job.getId(), 0, e -> { }).getState());
      assertEquals(2, client.get(job.getId()).getAttempt());
    }
  }

  @Test
  void errorsCarryReasonAndHint() {
    try (OverseerClient client = OverseerClient.builder().target(node.target()).build()) {
      OverseerException e = org.junit.jupiter.api.Assertions.assertThrows(OverseerException.class,
          () -> client.get("00000000-0000-0000-0000-000000000000"));
      assertEquals("JOB_NOT_FOUND", e.reason());
      assertTrue(e.hint().isPresent(), "a hint");
    }
  }

  @Test
  void cliSubmitWatchNextToTheDemoWorker() throws Exception {
    Thread demo = new Thread(() -> cli("worker", "--demo", "--queue", "cli-demo", "--target", node.target()), "demo-worker");
    demo.setDaemon(true);
    demo.start();
    Run run = cli("submit", "demo", "--queue", "cli-demo", "--params", "{\"steps\": 4, \"step_ms\": 20}", "--watch", "--target", node.target());
    assertEquals(0, run.code(), run.err() + run.out());
    assertTrue(run.out().contains("100%  completed"), run.out());
    Run failing = cli("submit", "demo", "--queue", "cli-demo", "--params", "{\"steps\": 2, \"step_ms\": 10, \"fail\": true}", "--watch", "--target", node.target());
    assertEquals(1, failing.code(), failing.err() + failing.out());
    Run partial = cli("submit", "demo", "--queue", "cli-demo", "--params", "{\"steps\": 2, \"step_ms\": 10, \"partial\": true}", "--watch", "--target", node.target());
    assertEquals(3, partial.code(), partial.err() + partial.out());
    Run notFound = cli("get", "00000000-0000-0000-0000-000000000000", "--target", node.target());
    assertEquals(4, notFound.code());
    assertTrue(notFound.err().contains("JOB_NOT_FOUND"), notFound.err());
    demo.interrupt();
  }

  record Run(int code, String out, String err) {}

  static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var commandLine = OverseerCli.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    int code = commandLine.execute(args);
    return new Run(code, out.toString(), err.toString());
  }
}
