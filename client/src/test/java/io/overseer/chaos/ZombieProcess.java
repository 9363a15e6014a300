package io.overseer.chaos;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A {@link ZombieMain} process: commands on its stdin, answers read from its stdout. */
final class ZombieProcess implements AutoCloseable {
  private final Process process;
  private final List<String> unread = new ArrayList<>(); // guarded by this

  private ZombieProcess(Process process) {
    this.process = process;
    Thread reader = new Thread(this::read, "zombie-stdout-" + process.pid());
    reader.setDaemon(true);
    reader.start();
  }

  static ZombieProcess start(String id, String target, String runtimeQueue, long leaseMs, Path dir) throws IOException {
    List<String> args = List.of("id=" + id, "target=" + target, "runtime-queue=" + runtimeQueue, "lease-ms=" + leaseMs);
    Process p = new ProcessBuilder(Chaos.javaCommand("96m", ZombieMain.class.getName(), args, false))
        .redirectError(dir.resolve(id + ".err").toFile())
        .start();
    return new ZombieProcess(p);
  }

  private void read() {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        synchronized (this) {
          unread.add(line);
          notifyAll();
        }
      }
    } catch (IOException e) {
      // the process is gone
    }
  }

  long pid() {
    return process.pid();
  }

  void send(String command) throws IOException {
    OutputStream in = process.getOutputStream();
    in.write((command + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  /** The first unread line matching {@code match} (consumed), waiting up to {@code timeout}. */
  synchronized String await(Predicate<String> match, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (true) {
      for (Iterator<String> it = unread.iterator(); it.hasNext(); ) {
        String line = it.next();
        if (match.test(line)) {
          it.remove();
          return line;
        }
      }
      long left = end - System.nanoTime();
      if (left <= 0 || !process.isAlive()) {
        throw new AssertionError("zombie " + process.pid() + " did not answer in " + timeout + "; unread: " + unread);
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }

  void stop() {
    Chaos.signal(process.pid(), "STOP");
  }

  void resume() {
    Chaos.signal(process.pid(), "CONT");
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }
}
