package io.overseer.client.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.overseer.client.OverseerClient;
import io.overseer.client.testing.Errors;
import io.overseer.client.testing.FakeOverseer;
import io.overseer.server.testing.Poll;
import io.overseer.v1.AppendJobLogsRequest;
import io.overseer.v1.Job;
import io.overseer.v1.Lease;
import io.overseer.v1.LogLine;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * ctx.log and ctx.logger() in the Worker runtime against a scripted server: lines batched (full
 * batches at once, a lone line within the interval), in order, all sent before the outcome;
 * transient failures retried in order; a lost lease stops sending; an older server (no
 * AppendJobLogs) costs nothing but the lines.
 */
@Timeout(30)
class JobLogTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private FakeOverseer server;
  private OverseerClient client;
  private Worker worker;
  private final BlockingQueue<JobOutcome> finished = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() throws Exception {
    server = new FakeOverseer();
    client = server.client();
  }

  @AfterEach
  void stop() throws Exception {
    if (worker != null) {
      worker.shutdown(Duration.ofSeconds(5));
    }
    client.close();
    server.close();
  }

  private void startWorker(Duration logInterval, JobHandler handler) {
    worker = Worker.builder()
        .client(client)
        .workerId("log-worker")
        .queues("default")
        .leaseDuration(Duration.ofSeconds(30))
        .logInterval(logInterval)
        .claimWait(Duration.ofMillis(200))
        .handler("demo", handler)
        .listener(new WorkerListener() {
          @Override
          public void jobFinished(JobContext ctx, JobOutcome outcome, Job job, Throwable error) {
            finished.add(outcome);
          }
        })
        .build()
        .start();
  }

  private JobOutcome nextOutcome() throws InterruptedException {
    JobOutcome outcome = finished.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(outcome, "no job finished in time");
    return outcome;
  }

  private List<LogLine> received() {
    List<LogLine> all = new ArrayList<>();
    server.workers.logs.forEach(r -> all.addAll(r.getLinesList()));
    return all;
  }

  @Test
  void linesGoInFullBatchesInOrderAndTheRestBeforeTheOutcome() throws Exception {
    startWorker(Duration.ofSeconds(20), ctx -> {
      for (int i = 1; i <= 1234; i++) {
        ctx.log("line " + i);
      }
      ctx.log("stderr", "the end");
      return null;
    });
    Lease lease = server.workers.offer("demo", Map.of());
    assertEquals(JobOutcome.COMPLETED, nextOutcome());
    List<LogLine> lines = received();
    assertEquals(1235, lines.size());
    for (int i = 0; i < 1234; i++) {
      assertEquals("line " + (i + 1), lines.get(i).getText());
      assertEquals("stdout", lines.get(i).getStream());
    }
    assertEquals("stderr", lines.get(1234).getStream());
    for (AppendJobLogsRequest r : server.workers.logs) {
      assertEquals(lease.getJob().getId(), r.getJobId());
      assertEquals(lease.getLeaseToken(), r.getLeaseToken());
      assertTrue(r.getLinesCount() <= JobLog.BATCH_LINES, "batches of at most 500 lines");
    }
    assertEquals(JobLog.BATCH_LINES, server.workers.logs.peek().getLinesCount(), "a full batch goes at once, not after the interval");
    List<String> calls = server.workers.calls;
    assertEquals("complete", calls.get(calls.size() - 1), "every line was sent before the completion: " + calls);
    Instant stamped = Instant.ofEpochSecond(lines.get(0).getTime().getSeconds());
    assertTrue(Duration.between(stamped, Instant.now()).abs().toSeconds() < 60, "each line carries the time it was logged");
  }

  @Test
  void aLoneLineIsSentWithinTheIntervalWhileTheHandlerRuns() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    startWorker(Duration.ofMillis(100), ctx -> {
      ctx.log("started");
      release.await();
      return null;
    });
    server.workers.offer("demo", Map.of());
    AppendJobLogsRequest first = server.workers.logs.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
    assertNotNull(first, "the line was sent while the handler still ran");
    assertEquals("started", first.getLines(0).getText());
    assertEquals(List.of("logs 1"), server.workers.calls);
    release.countDown();
    assertEquals(JobOutcome.COMPLETED, nextOutcome());
  }

  @Test
  void transientFailuresAreRetriedAndLinesStayInOrder() throws Exception {
    server.workers.logErrors.add(Status.UNAVAILABLE.withDescription("node restarting").asRuntimeException());
    server.workers.logErrors.add(Status.UNAVAILABLE.withDescription("still restarting").asRuntimeException());
    startWorker(Duration.ofMillis(20), ctx -> {
      for (int i = 1; i <= 700; i++) {
        ctx.log("line " + i);
      }
      return null;
    });
    server.workers.offer("demo", Map.of());
    assertEquals(JobOutcome.COMPLETED, nextOutcome());
    List<String> texts = received().stream().map(LogLine::getText).toList();
    assertEquals(700, texts.size());
    for (int i = 0; i < 700; i++) {
      assertEquals("line " + (i + 1), texts.get(i));
    }
  }

  @Test
  void aLostLeaseStopsSendingAndTheJobIsNotReported() throws Exception {
    CountDownLatch sawLoss = new CountDownLatch(1);
    startWorker(Duration.ofMillis(20), ctx -> {
      ctx.log("first");
      while (!ctx.isCancelled()) {
        Thread.onSpinWait();
      }
      sawLoss.countDown();
      ctx.log("after the loss");
      return null;
    });
    server.workers.logErrors.add(Errors.leaseLost("the job"));
    server.workers.offer("demo", Map.of());
    assertTrue(sawLoss.await(WAIT.toSeconds(), TimeUnit.SECONDS), "the handler saw the loss (ctx.isCancelled)");
    assertEquals(JobOutcome.LEASE_LOST, nextOutcome());
    Poll.holdsFor(Duration.ofMillis(300), "nothing more is sent for the lost job", () -> server.workers.calls.isEmpty());
  }

  @Test
  void anOlderServerWithoutLogsCostsOnlyTheLines() throws Exception {
    server.workers.logsSupported = false;
    startWorker(Duration.ofMillis(20), ctx -> {
      for (int i = 0; i < 600; i++) {
        ctx.log("line " + i);
      }
      return null;
    });
    server.workers.offer("demo", Map.of());
    assertEquals(JobOutcome.COMPLETED, nextOutcome());
    server.workers.offer("demo", Map.of());
    assertEquals(JobOutcome.COMPLETED, nextOutcome());
    assertEquals(List.of("complete", "complete"), server.workers.calls);
  }

  @Test
  void theLoggerWritesLevelsStreamsArgumentsAndStackTraces() throws Exception {
    startWorker(Duration.ofSeconds(20), ctx -> {
      ctx.logger().debug("not sent");
      ctx.logger().info("loaded {} rows from {}", 42, "table_a");
      ctx.logger().warn("slow: {} ms", 900);
      ctx.logger().error("gave up on {}", "row 7", new IllegalStateException("bad row"));
      return null;
    });
    server.workers.offer("demo", Map.of());
    assertEquals(JobOutcome.COMPLETED, nextOutcome());
    List<LogLine> lines = received();
    assertEquals("INFO loaded 42 rows from table_a", lines.get(0).getText());
    assertEquals("stdout", lines.get(0).getStream());
    assertEquals("WARN slow: 900 ms", lines.get(1).getText());
    assertEquals("stderr", lines.get(1).getStream());
    assertEquals("ERROR gave up on row 7", lines.get(2).getText());
    assertEquals("java.lang.IllegalStateException: bad row", lines.get(3).getText());
    assertTrue(lines.get(4).getText().strip().startsWith("at "), lines.get(4).getText());
    assertTrue(lines.stream().allMatch(l -> l.getStream().equals("stdout") || l.getStream().equals("stderr")));
  }

  @Test
  void linesAreMadeStorableBeforeTheyAreSent() {
    String text = "é".repeat(10_000); // 20,000 bytes of UTF-8
    LogLine line = JobLog.line(Instant.EPOCH, "", "a\u0000b" + text);
    assertEquals("stdout", line.getStream());
    assertTrue(line.getText().startsWith("a\uFFFDb"), "NUL, which the server refuses, is replaced");
    assertTrue(line.getText().getBytes(StandardCharsets.UTF_8).length <= JobLog.MAX_TEXT_BYTES);
    assertTrue(line.getText().matches("(?s).* …\\[cut \\d+ bytes\\]$"), line.getText().substring(line.getText().length() - 30));
    assertEquals("x".repeat(16_384), JobLog.cut("x".repeat(16_384)), "16 KiB exactly is kept");
    assertEquals(64, JobLog.line(Instant.EPOCH, "s".repeat(100), "x").getStream().length());
  }
}
