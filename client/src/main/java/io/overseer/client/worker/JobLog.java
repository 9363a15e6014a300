package io.overseer.client.worker;

import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.overseer.client.Backoff;
import io.overseer.client.OverseerException;
import io.overseer.v1.AppendJobLogsRequest;
import io.overseer.v1.AppendJobLogsResponse;
import io.overseer.v1.LogLine;
import io.overseer.v1.WorkerServiceGrpc;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One job attempt's log lines on their way to the server: {@link #append} buffers a line and
 * returns (it never waits for the network), and AppendJobLogs calls send them in batches, in
 * order. A batch goes when it is full ({@link #BATCH_LINES} lines or {@link #BATCH_BYTES}), else
 * when its first line has waited the interval (at most the heartbeat interval); {@link #flush}
 * sends what is left before the job's outcome is reported.
 *
 * <p>Invariants, all under {@link #lock}: at most one AppendJobLogs in flight (so lines arrive in
 * the order they were logged), and a batch that failed transiently is sent again before any newer
 * line (at least once: a batch whose answer was lost may be stored twice). At most one live timer,
 * the one whose generation equals {@link #generation}. Calls start on the scheduler thread only.
 * A full buffer drops new lines and counts them; the next line sent says how many.
 */
final class JobLog {
  private static final Logger log = LoggerFactory.getLogger(JobLog.class);
  static final int BATCH_LINES = 500;
  static final int BATCH_BYTES = 256 * 1024;
  /** What the buffer holds before it drops lines: 40 full batches. */
  static final int MAX_BUFFERED_LINES = 40 * BATCH_LINES;
  static final long MAX_BUFFERED_BYTES = 40L * BATCH_BYTES;
  /** As the server stores a line: at most 16 KiB of UTF-8 text, the cut marker included. */
  static final int MAX_TEXT_BYTES = 16 * 1024;
  static final int MAX_STREAM = 64;
  /** Room for " …[cut N bytes]". */
  private static final int MARKER_ROOM = 32;
  /** What a line costs in a request besides its text and stream (time, tags, lengths). */
  private static final int LINE_OVERHEAD = 32;
  /** Set once a server answered UNIMPLEMENTED: no job of this worker sends logs any more. */
  private final AtomicBoolean unsupported;

  private final ActiveJob job;
  private final ScheduledExecutorService scheduler;
  private final WorkerServiceGrpc.WorkerServiceStub stub;
  private final long intervalNanos;
  private final long callTimeoutNanos;

  private final Object lock = new Object();
  private final Deque<LogLine> buffer = new ArrayDeque<>();
  private long bufferedBytes;
  private long dropped; // lines refused by a full buffer, not yet told
  private List<LogLine> retry; // a batch to send again before the buffer
  private boolean inFlight;
  private boolean flushing; // a flush waits: batches go back to back, no interval
  private boolean stopped;
  private long generation;
  private ScheduledFuture<?> timer;
  private final Backoff backoff = Backoff.fast();

  JobLog(ActiveJob job, ScheduledExecutorService scheduler, WorkerServiceGrpc.WorkerServiceStub stub, WorkerSettings settings,
      AtomicBoolean unsupported) {
    this.job = job;
    this.scheduler = scheduler;
    this.stub = stub;
    Duration interval = settings.logInterval().compareTo(settings.heartbeatInterval()) < 0
        ? settings.logInterval() : settings.heartbeatInterval();
    this.intervalNanos = interval.toNanos();
    this.callTimeoutNanos = Math.max(settings.heartbeatInterval().toNanos(), TimeUnit.SECONDS.toNanos(5));
    this.unsupported = unsupported;
  }

  /** Buffers one line, stamped now; never blocks. Lines after {@link #stop} are ignored. */
  void append(String stream, String text) {
    LogLine line = line(Instant.now(), stream, text);
    long size = size(line);
    synchronized (lock) {
      if (stopped) {
        return;
      }
      if (buffer.size() >= MAX_BUFFERED_LINES || bufferedBytes + size > MAX_BUFFERED_BYTES) {
        dropped++;
        return;
      }
      tellDroppedLocked();
      buffer.addLast(line);
      bufferedBytes += size;
      if (inFlight) {
        return; // its answer sends the next batch
      }
      if (retry == null && (buffer.size() >= BATCH_LINES || bufferedBytes >= BATCH_BYTES)) {
        scheduleLocked(0);
      } else if (timer == null) {
        scheduleLocked(intervalNanos);
      }
    }
  }

  /**
   * Sends every line buffered, waiting up to {@code timeout} (transient failures are retried
   * meanwhile). The handler's thread calls it before the outcome is reported.
   */
  void flush(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      flushing = true;
      tellDroppedLocked();
      if (!inFlight && retry == null && !buffer.isEmpty()) {
        scheduleLocked(0); // not waiting for the interval; a retry keeps its backoff
      }
      while (!stopped && (inFlight || hasPendingLocked())) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          log.warn("{}: {} log line(s) not sent within {} ms; reporting the outcome anyway", job, pendingLocked(), timeout.toMillis());
          break;
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      flushing = false;
    }
  }

  /** No more sending (lease lost, job done); buffered lines are dropped. */
  void stop() {
    synchronized (lock) {
      stopped = true;
      generation++;
      if (timer != null) {
        timer.cancel(false);
        timer = null;
      }
      buffer.clear();
      retry = null;
      lock.notifyAll();
    }
  }

  private boolean hasPendingLocked() {
    return retry != null || !buffer.isEmpty();
  }

  private int pendingLocked() {
    return buffer.size() + (retry == null ? 0 : retry.size());
  }

  /** Lines were dropped by a full buffer: one line says how many, where they would have been. */
  private void tellDroppedLocked() {
    if (dropped > 0) {
      LogLine told = line(Instant.now(), "stderr",
          "[" + dropped + " lines dropped by worker " + job.workerId() + ": logged faster than they could be sent]");
      buffer.addLast(told);
      bufferedBytes += size(told);
      dropped = 0;
    }
  }

  private long backoffNanos() {
    return backoff.next().toNanos();
  }

  private void scheduleLocked(long delayNanos) {
    if (stopped) {
      return;
    }
    if (timer != null) {
      timer.cancel(false);
    }
    long mine = ++generation;
    try {
      timer = scheduler.schedule(() -> send(mine), delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      stopped = true; // the worker is shutting down its scheduler
      timer = null;
      lock.notifyAll();
    }
  }

  private void send(long myGeneration) {
    List<LogLine> batch;
    synchronized (lock) {
      if (stopped || myGeneration != generation || inFlight) {
        return;
      }
      timer = null;
      if (unsupported.get()) {
        stopped = true;
        buffer.clear();
        retry = null;
        lock.notifyAll();
        return;
      }
      batch = retry != null ? retry : takeBatchLocked();
      retry = null;
      if (batch.isEmpty()) {
        return;
      }
      inFlight = true;
    }
    AppendJobLogsRequest request =
        AppendJobLogsRequest.newBuilder().setJobId(job.jobId()).setLeaseToken(job.leaseToken()).addAllLines(batch).build();
    try {
      stub.withDeadlineAfter(callTimeoutNanos, TimeUnit.NANOSECONDS).appendJobLogs(request, new Observer(batch));
    } catch (RuntimeException e) {
      onFailure(batch, e);
    }
  }

  private List<LogLine> takeBatchLocked() {
    List<LogLine> batch = new ArrayList<>();
    long bytes = 0;
    while (!buffer.isEmpty() && batch.size() < BATCH_LINES) {
      long size = size(buffer.peekFirst());
      if (!batch.isEmpty() && bytes + size > BATCH_BYTES) {
        break;
      }
      batch.add(buffer.pollFirst());
      bytes += size;
      bufferedBytes -= size;
    }
    return batch;
  }

  private final class Observer implements StreamObserver<AppendJobLogsResponse> {
    private final List<LogLine> batch;

    Observer(List<LogLine> batch) {
      this.batch = batch;
    }

    @Override
    public void onNext(AppendJobLogsResponse value) {}

    @Override
    public void onError(Throwable t) {
      onFailure(batch, t);
    }

    @Override
    public void onCompleted() {
      synchronized (lock) {
        inFlight = false;
        backoff.reset();
        lock.notifyAll();
        if (hasPendingLocked()) {
          boolean full = buffer.size() >= BATCH_LINES || bufferedBytes >= BATCH_BYTES;
          scheduleLocked(flushing || full ? 0 : intervalNanos);
        }
      }
    }
  }

  private void onFailure(List<LogLine> batch, Throwable t) {
    OverseerException error = OverseerException.from(t);
    synchronized (lock) {
      inFlight = false;
      lock.notifyAll();
      if (stopped) {
        return;
      }
      if (!error.isLeaseLost()) {
        if (error.isTransient()) {
          retry = batch;
          log.debug("{}: AppendJobLogs failed ({}), retrying", job, error.getMessage());
          scheduleLocked(backoffNanos());
        } else if (error.code() == Status.Code.UNIMPLEMENTED) {
          if (unsupported.compareAndSet(false, true)) {
            log.warn("the server does not take job logs (AppendJobLogs is UNIMPLEMENTED: an older server); ctx.log lines are dropped");
          }
          stopped = true;
          buffer.clear();
        } else {
          log.warn("{}: AppendJobLogs refused, {} line(s) dropped: {}", job, batch.size(), error.getMessage());
          if (hasPendingLocked()) {
            scheduleLocked(flushing ? 0 : intervalNanos);
          }
        }
        return;
      }
    }
    // a lost lease stops the job as a refused heartbeat does
    log.warn("{}: lease lost ({}); abandoning it", job, error.description());
    job.markLeaseLost();
  }

  /** A line as the server will store it: stream "stdout" if empty, NUL replaced, text cut to 16 KiB. */
  static LogLine line(Instant time, String stream, String text) {
    String s = stream == null || stream.isEmpty() ? "stdout" : clean(stream);
    if (s.length() > MAX_STREAM) {
      s = s.substring(0, MAX_STREAM);
    }
    return LogLine.newBuilder()
        .setTime(Timestamp.newBuilder().setSeconds(time.getEpochSecond()).setNanos(time.getNano()))
        .setStream(s)
        .setText(cut(clean(text == null ? "null" : text)))
        .build();
  }

  /** The server refuses NUL characters; they become U+FFFD. */
  private static String clean(String s) {
    return s.indexOf('\u0000') < 0 ? s : s.replace('\u0000', '\uFFFD');
  }

  /** Text longer than 16 KiB of UTF-8 is cut between characters and ends with " …[cut N bytes]". */
  static String cut(String text) {
    if (text.length() * 3L <= MAX_TEXT_BYTES) {
      return text;
    }
    long total = 0;
    int fits = -1; // chars within MAX_TEXT_BYTES - MARKER_ROOM
    long fitsBytes = 0;
    for (int i = 0; i < text.length(); ) {
      int cp = text.codePointAt(i);
      int size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (fits < 0 && total + size > MAX_TEXT_BYTES - MARKER_ROOM) {
        fits = i;
        fitsBytes = total;
      }
      total += size;
      i += Character.charCount(cp);
    }
    if (total <= MAX_TEXT_BYTES) {
      return text;
    }
    return text.substring(0, fits) + " …[cut " + (total - fitsBytes) + " bytes]";
  }

  /**
   * What a line adds to a request, estimated in chars (a batch of 256 K chars is at most 768 KiB
   * of UTF-8: well under the server's 4 MiB per call).
   */
  private static long size(LogLine line) {
    return (long) line.getText().length() + line.getStream().length() + LINE_OVERHEAD;
  }
}
