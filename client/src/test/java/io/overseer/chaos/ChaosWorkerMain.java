package io.overseer.chaos;

import io.overseer.client.OverseerClient;
import io.overseer.client.worker.JobContext;
import io.overseer.client.worker.JobOutcome;
import io.overseer.client.worker.JobResult;
import io.overseer.client.worker.Worker;
import io.overseer.client.worker.WorkerListener;
import io.overseer.v1.Job;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A worker process for the chaos tests: the real {@link Worker} runtime with two handlers.
 *
 * <ul>
 *   <li>{@code work}: sleeps param {@code sleep_ms}, else a random time in {@code work-ms=MIN-MAX},
 *       then completes;
 *   <li>{@code poison}: crashes the whole process ({@code Runtime.halt}) every time.
 * </ul>
 *
 * It appends one line per event to its own log file, each line a single {@code write(2)} so a
 * SIGKILL never leaves half a line: {@code H id attempt} when a handler finished its work,
 * {@code F id attempt OUTCOME} when the runtime reported the attempt, {@code P id attempt}
 * before a poison job crashes the process. Args: {@code key=value} (target, id, log, queue,
 * concurrency, lease-ms, work-ms, claim-wait-ms).
 */
public final class ChaosWorkerMain {
  private final FileOutputStream log;

  private ChaosWorkerMain(FileOutputStream log) {
    this.log = log;
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (String arg : args) {
      int eq = arg.indexOf('=');
      a.put(arg.substring(0, eq), arg.substring(eq + 1));
    }
    // never outlive the test JVM that started us
    ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(3)));
    String id = a.get("id");
    String[] work = a.getOrDefault("work-ms", "10-50").split("-");
    long minMs = Long.parseLong(work[0]);
    long maxMs = Long.parseLong(work[1]);
    ChaosWorkerMain main = new ChaosWorkerMain(new FileOutputStream(a.get("log"), true));
    OverseerClient client = OverseerClient.builder().target(a.get("target")).deadline(Duration.ofSeconds(10)).build();
    Worker worker =
        Worker.builder()
            .client(client)
            .workerId(id)
            .queues(a.get("queue"))
            .concurrency(Integer.parseInt(a.getOrDefault("concurrency", "4")))
            .leaseDuration(Duration.ofMillis(Long.parseLong(a.getOrDefault("lease-ms", "3000"))))
            .claimWait(Duration.ofMillis(Long.parseLong(a.getOrDefault("claim-wait-ms", "5000"))))
            .handler("work", ctx -> main.work(ctx, minMs, maxMs))
            .handler("poison", main::poison)
            .listener(new WorkerListener() {
              @Override
              public void jobFinished(JobContext job, JobOutcome outcome, Job finalJob, Throwable error) {
                main.append("F " + job.jobId() + " " + job.attempt() + " " + outcome);
              }
            })
            .build()
            .start();
    System.out.println("ready " + worker.workerId());
    System.out.flush();
    Thread.currentThread().join(); // until killed
  }

  private JobResult work(JobContext ctx, long minMs, long maxMs) throws InterruptedException {
    Object fixed = ctx.paramsMap().get("sleep_ms"); // a job may ask for its own duration
    Thread.sleep(fixed instanceof Number n ? n.longValue()
        : minMs >= maxMs ? minMs : ThreadLocalRandom.current().nextLong(minMs, maxMs + 1));
    append("H " + ctx.jobId() + " " + ctx.attempt());
    return JobResult.of(Map.of("worker", ctx.workerId()));
  }

  private JobResult poison(JobContext ctx) {
    append("P " + ctx.jobId() + " " + ctx.attempt());
    Runtime.getRuntime().halt(137); // the job takes its worker down, every time
    return JobResult.empty();
  }

  private synchronized void append(String line) {
    try {
      log.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
