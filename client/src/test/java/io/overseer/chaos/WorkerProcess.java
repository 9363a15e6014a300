package io.overseer.chaos;

import io.overseer.server.testing.Poll;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** A {@link ChaosWorkerMain} process: started, SIGKILLed, and its per-process log. */
final class WorkerProcess implements AutoCloseable {
  private final String workerId;
  private final Process process;
  private final Path log;
  private final Path out;

  private WorkerProcess(String workerId, Process process, Path log, Path out) {
    this.workerId = workerId;
    this.process = process;
    this.log = log;
    this.out = out;
  }

  /**
   * Starts a worker with id {@code workerId}; {@code options} are ChaosWorkerMain's key=value
   * args besides id and log (target, queue, concurrency, lease-ms, work-ms…).
   */
  static WorkerProcess start(String workerId, Path dir, String... options) throws IOException {
    Path log = dir.resolve(workerId + ".jobs");
    Path out = dir.resolve(workerId + ".out");
    List<String> args = new ArrayList<>(List.of("id=" + workerId, "log=" + log));
    args.addAll(List.of(options));
    Process p = new ProcessBuilder(Chaos.javaCommand("96m", ChaosWorkerMain.class.getName(), args, false))
        .redirectErrorStream(true)
        .redirectOutput(out.toFile())
        .start();
    return new WorkerProcess(workerId, p, log, out);
  }

  /**
   * Starts {@code count} workers, {@code w0<suffix>}, {@code w1<suffix>}…, with the same options,
   * adding each to {@code into} as it starts (so that the caller's cleanup closes every one), and
   * waits until all are ready; fails the test, with the worker's output, if one is not within 90 s.
   */
  static WorkerProcess[] startReady(List<WorkerProcess> into, int count, String suffix, Path dir, String... options)
      throws IOException, InterruptedException {
    WorkerProcess[] started = new WorkerProcess[count];
    for (int i = 0; i < count; i++) {
      started[i] = start("w" + i + suffix, dir, options);
      into.add(started[i]);
    }
    for (WorkerProcess w : started) {
      if (!w.awaitReady(Duration.ofSeconds(90))) {
        throw new AssertionError("worker " + w.workerId() + " did not start: " + w.output());
      }
    }
    return started;
  }

  String workerId() {
    return workerId;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** The job log (H/F/P lines). */
  Path jobLog() {
    return log;
  }

  /** Waits until the worker printed its ready line; false if it died or took too long. */
  boolean awaitReady(Duration timeout) throws InterruptedException {
    return Poll.eventually(timeout, Duration.ofMillis(50), () -> {
      try {
        return !process.isAlive() || (Files.exists(out) && Files.readString(out).contains("ready "));
      } catch (IOException e) {
        return false;
      }
    }) && process.isAlive();
  }

  /** SIGKILL, and waits until the process is gone. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** Waits for the process to exit on its own (e.g. a poison job); false on timeout. */
  boolean awaitExit(Duration timeout) throws InterruptedException {
    return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  String output() throws IOException {
    return Files.exists(out) ? Files.readString(out) : "";
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      kill();
    }
  }
}
