package io.overseer.e2e;

import static io.overseer.e2e.RealServerTest.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import io.overseer.client.OverseerClient;
import io.overseer.client.worker.JobResult;
import io.overseer.client.worker.Worker;
import io.overseer.e2e.RealServerTest.Run;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobState;
import io.overseer.v1.ListJobLogsResponse;
import io.overseer.v1.LogLine;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code overseer logs ID [-f] [--output json]} against a real server, with lines logged by the
 * Worker runtime ({@code ctx.log}, batched) and by the demo worker (a line per step).
 */
@Timeout(120)
class LogsCliTest {
  static TestDatabase db;
  static TestServer node;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    node = TestServer.tcp(db);
  }

  @AfterAll
  static void stop() {
    node.close();
    db.close();
  }

  @Test
  void printsEveryLineAndEveryPageAsOneJsonDocument() throws Exception {
    try (OverseerClient client = OverseerClient.builder().target(node.target()).build();
        Worker worker = Worker.builder().client(client).queues("many-lines")
            .handler("chatty", ctx -> {
              for (int i = 1; i <= 1500; i++) {
                ctx.log("line " + i);
              }
              ctx.log("stderr", "warning: done");
              return JobResult.empty();
            })
            .build().start()) {
      Job job = client.create(CreateJobRequest.newBuilder().setType("chatty").setQueue("many-lines").build());
      assertEquals(JobState.JOB_STATE_COMPLETED, client.watch(job.getId(), 0, e -> { }).getState());

      Run text = cli("logs", job.getId(), "--target", node.target());
      assertEquals(0, text.code(), text.err());
      List<String> lines = text.out().lines().toList();
      assertEquals(1501, lines.size());
      assertEquals("line 1", lines.get(0));
      assertEquals("line 1500", lines.get(1499));
      assertEquals("[stderr] warning: done", lines.get(1500), "other streams than stdout are named");

      Run json = cli("logs", job.getId(), "--output", "json", "--target", node.target());
      assertEquals(0, json.code(), json.err());
      ListJobLogsResponse.Builder all = ListJobLogsResponse.newBuilder();
      JsonFormat.parser().merge(json.out(), all);
      assertEquals(1501, all.getLinesCount(), "one document holding every page (the server's pages hold 1,000)");
      assertEquals(1501, all.getLines(1500).getSequence());
      assertEquals("", all.getNextPageToken());

      Run tail = cli("logs", job.getId(), "--after-sequence", "1498", "--timestamps", "--target", node.target());
      assertEquals(0, tail.code(), tail.err());
      assertEquals(3, tail.out().lines().count());
      assertTrue(tail.out().lines().findFirst().orElseThrow().matches("\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z line 1499"), tail.out());
    }
  }

  @Test
  void followPrintsTheDemoWorkersLinesAsTheyComeUntilTheJobEnds() throws Exception {
    Thread demo = new Thread(() -> cli("worker", "--demo", "--queue", "logs-demo", "--target", node.target()), "demo-worker");
    demo.setDaemon(true);
    demo.start();
    try (OverseerClient client = OverseerClient.builder().target(node.target()).build()) {
      Job job = client.create(CreateJobRequest.newBuilder().setType("demo").setQueue("logs-demo")
          .setParams(io.overseer.client.Structs.toStruct(java.util.Map.of("steps", 5, "step_ms", 300))).build());
      StringWriter out = new StringWriter();
      StringWriter err = new StringWriter();
      CompletableFuture<Integer> follow = CompletableFuture.supplyAsync(() -> {
        var commandLine = io.overseer.cli.OverseerCli.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        return commandLine.execute("logs", job.getId(), "-f", "--target", node.target());
      });
      Poll.until(Duration.ofSeconds(30), () -> "a step's line while the job runs: " + out,
          () -> out.toString().contains("step 1/5 done"));
      assertFalse(follow.isDone(), "-f keeps following while the job runs");
      assertEquals(0, follow.get(30, TimeUnit.SECONDS), err.toString());
      List<String> lines = out.toString().lines().toList();
      assertTrue(lines.get(0).matches("demo job " + job.getId() + " \\(attempt 1 on .*\\): 5 steps of 300 ms"), lines.get(0));
      assertEquals(List.of("step 1/5 done", "step 2/5 done", "step 3/5 done", "step 4/5 done", "step 5/5 done"), lines.subList(1, 6));
      assertTrue(lines.get(6).startsWith("report written to "), lines.get(6));
      assertEquals(7, lines.size(), "-f ends after the last line of the finished job: " + lines);
      assertEquals(JobState.JOB_STATE_COMPLETED, client.get(job.getId()).getState());
    } finally {
      demo.interrupt();
    }
  }

  @Test
  void followAsJsonLinesIsOneLogLinePerLine() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    try (OverseerClient client = OverseerClient.builder().target(node.target()).build();
        Worker worker = Worker.builder().client(client).queues("json-lines").logInterval(Duration.ofMillis(50))
            .handler("paced", ctx -> {
              ctx.log("before");
              release.await();
              ctx.log("stderr", "after");
              return JobResult.empty();
            })
            .build().start()) {
      Job job = client.create(CreateJobRequest.newBuilder().setType("paced").setQueue("json-lines").build());
      AtomicReference<Run> run = new AtomicReference<>();
      Thread follower = new Thread(() -> run.set(cli("logs", job.getId(), "-f", "-o", "json", "--target", node.target())));
      follower.start();
      Poll.until(Duration.ofSeconds(20), "the first line was stored", () -> client.listJobLogs(job.getId(), 0).size() == 1);
      release.countDown();
      follower.join(30_000);
      assertEquals(0, run.get().code(), run.get().err());
      List<String> lines = run.get().out().lines().toList();
      assertEquals(2, lines.size(), run.get().out());
      LogLine.Builder second = LogLine.newBuilder();
      JsonFormat.parser().merge(lines.get(1), second);
      assertEquals(2, second.getSequence());
      assertEquals("stderr", second.getStream());
      assertEquals("after", second.getText());
    }
  }

  @Test
  void errorsExit4WithTheServersReasonAndHint() {
    for (String[] args : List.of(new String[] {"logs", UUID.randomUUID().toString()},
        new String[] {"logs", UUID.randomUUID().toString(), "-f"})) {
      Run run = cli(concat(args, "--target", node.target()));
      assertEquals(4, run.code(), run.err());
      List<String> err = run.err().lines().toList();
      assertTrue(err.get(0).startsWith("error: NOT_FOUND: "), run.err());
      assertTrue(err.contains("reason: JOB_NOT_FOUND"), run.err());
      assertTrue(err.stream().anyMatch(l -> l.startsWith("hint: ")), run.err());
      assertFalse(run.err().contains("\tat "), "no stack trace: " + run.err());
    }
    Run malformed = cli("logs", "nope", "--target", node.target());
    assertEquals(4, malformed.code());
    assertTrue(malformed.err().startsWith("error: INVALID_ARGUMENT: "), malformed.err());
    assertTrue(malformed.err().contains("field: id: "), malformed.err());
  }

  private static String[] concat(String[] args, String... more) {
    String[] all = java.util.Arrays.copyOf(args, args.length + more.length);
    System.arraycopy(more, 0, all, args.length, more.length);
    return all;
  }
}
