package io.overseer.client.worker;

import io.grpc.stub.StreamObserver;
import io.overseer.client.Backoff;
import io.overseer.client.OverseerException;
import io.overseer.v1.HeartbeatRequest;
import io.overseer.v1.HeartbeatResponse;
import io.overseer.v1.WorkerServiceGrpc;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one job's lease alive and carries its progress: a heartbeat every {@code interval}, and
 * one soon after a progress report (no sooner than {@code progressInterval} after the previous
 * heartbeat, unless a stage change is waiting).
 *
 * <p>Coalescing: reports within one stage merge into one (the latest numbers win); a report that
 * changes the stage queues behind instead, so every stage a handler passes through is recorded
 * even when it is fast. A failed heartbeat's report goes back to the front. So the latest report
 * is never lost, and reports are sent in the order they were made.
 *
 * <p>Invariants, all under {@link #lock}: at most one heartbeat in flight; at most one live timer,
 * the one whose generation equals {@link #generation} (a superseded timer that fires anyway sees
 * a newer generation and does nothing). Timer-driven heartbeats are asynchronous, so the shared
 * scheduler thread never blocks on the network; only {@link #flush} blocks, on the handler's own
 * thread.
 */
final class JobHeartbeat {
  private static final Logger log = LoggerFactory.getLogger(JobHeartbeat.class);
  private static final int MAX_QUEUED_STAGES = 16; // beyond this, stage changes merge too
  /** The longest time between heartbeats of a serving job: how soon a stop request reaches it. */
  static final long SERVING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);

  private final ActiveJob job;
  private final ScheduledExecutorService scheduler;
  private final WorkerServiceGrpc.WorkerServiceStub stub;
  private long intervalNanos; // guarded by lock (shorter once the job serves)
  private final long progressIntervalNanos;
  private final long callTimeoutNanos;
  private final com.google.protobuf.Duration leaseDuration;

  private final Object lock = new Object();
  private final Deque<ProgressUpdate> pending = new ArrayDeque<>();
  private boolean inFlight;
  private boolean stopped;
  private long generation;
  private ScheduledFuture<?> timer;
  private long timerDueNanos = Long.MAX_VALUE;
  private long lastSentNanos;
  private final Backoff backoff = Backoff.fast();

  JobHeartbeat(
      ActiveJob job,
      ScheduledExecutorService scheduler,
      WorkerServiceGrpc.WorkerServiceStub stub,
      WorkerSettings settings) {
    this.job = job;
    this.scheduler = scheduler;
    this.stub = stub;
    this.intervalNanos = settings.heartbeatInterval().toNanos();
    this.progressIntervalNanos = settings.progressInterval().toNanos();
    this.callTimeoutNanos = Math.max(intervalNanos, TimeUnit.SECONDS.toNanos(1));
    Duration lease = settings.leaseDuration();
    this.leaseDuration =
        com.google.protobuf.Duration.newBuilder()
            .setSeconds(lease.getSeconds())
            .setNanos(lease.getNano())
            .build();
    this.lastSentNanos = System.nanoTime() - progressIntervalNanos; // first report goes at once
  }

  void start() {
    synchronized (lock) {
      scheduleLocked(intervalNanos);
    }
  }

  /** Queues a report; sends it soon unless a heartbeat is in flight (then right after it). */
  void report(ProgressUpdate update) {
    synchronized (lock) {
      if (stopped) {
        return;
      }
      ProgressUpdate last = pending.peekLast();
      if (last == null || (changesStage(last, update) && pending.size() < MAX_QUEUED_STAGES)) {
        pending.addLast(update);
      } else {
        pending.pollLast();
        pending.addLast(ProgressUpdate.merge(last, update));
      }
      if (inFlight) {
        return;
      }
      long delay = nextReportDelayLocked();
      if (timerDueNanos - System.nanoTime() > delay) {
        scheduleLocked(delay);
      }
    }
  }

  /**
   * The job serves: from now on a heartbeat goes at least every {@link #SERVING_INTERVAL_NANOS},
   * so that a stop request (or a cancellation) reaches the handler within about a second.
   */
  void serving() {
    synchronized (lock) {
      intervalNanos = Math.min(intervalNanos, SERVING_INTERVAL_NANOS);
      if (!inFlight && timerDueNanos - System.nanoTime() > intervalNanos) {
        scheduleLocked(intervalNanos);
      }
    }
  }

  /** No heartbeat after this one returns; responses still in flight are ignored. */
  void stop() {
    synchronized (lock) {
      stopped = true;
      generation++;
      if (timer != null) {
        timer.cancel(false);
      }
    }
  }

  /**
   * Sends every report not sent yet, now, on the calling thread (blocking), after any heartbeat
   * in flight has returned. The handler's thread calls it before AddAsset and before the final
   * report, so what a handler reports is recorded in the order it did things.
   */
  void flush(WorkerServiceGrpc.WorkerServiceBlockingStub blocking) {
    while (true) {
      ProgressUpdate sending;
      synchronized (lock) {
        if (!awaitNotInFlightLocked()) {
          return; // the timer-driven heartbeats will carry the rest
        }
        if (stopped || pending.isEmpty()) {
          return;
        }
        sending = beginLocked();
      }
      try {
        onSuccess(blocking.withDeadlineAfter(callTimeoutNanos, TimeUnit.NANOSECONDS)
            .heartbeat(request(sending)));
      } catch (RuntimeException e) {
        onFailure(sending, e);
        return;
      }
    }
  }

  private boolean awaitNotInFlightLocked() {
    long deadline = System.nanoTime() + callTimeoutNanos;
    while (inFlight && !stopped) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      try {
        TimeUnit.NANOSECONDS.timedWait(lock, left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  private static boolean changesStage(ProgressUpdate before, ProgressUpdate after) {
    return before.stage() != null && after.stage() != null
        && !before.stage().equals(after.stage());
  }

  /** A queued stage change goes at once; otherwise reports keep the progress interval. */
  private long nextReportDelayLocked() {
    if (pending.size() > 1) {
      return 0;
    }
    return Math.max(0, lastSentNanos + progressIntervalNanos - System.nanoTime());
  }

  private void scheduleLocked(long delayNanos) {
    if (stopped) {
      return;
    }
    if (timer != null) {
      timer.cancel(false);
    }
    long myGeneration = ++generation;
    timerDueNanos = System.nanoTime() + delayNanos;
    try {
      timer = scheduler.schedule(() -> beat(myGeneration), delayNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      stopped = true; // the worker is shutting down its scheduler
    }
  }

  private void beat(long myGeneration) {
    ProgressUpdate sending;
    synchronized (lock) {
      if (stopped || myGeneration != generation || inFlight) {
        return;
      }
      sending = beginLocked();
    }
    try {
      stub.withDeadlineAfter(callTimeoutNanos, TimeUnit.NANOSECONDS)
          .heartbeat(request(sending), new Observer(sending));
    } catch (RuntimeException e) {
      onFailure(sending, e);
    }
  }

  /** Marks a heartbeat in flight, disarms the timer and takes the oldest pending report. */
  private ProgressUpdate beginLocked() {
    inFlight = true;
    generation++; // a timer firing now does nothing; the heartbeat's end schedules the next
    if (timer != null) {
      timer.cancel(false);
    }
    timerDueNanos = Long.MAX_VALUE;
    lastSentNanos = System.nanoTime();
    return pending.pollFirst();
  }

  private HeartbeatRequest request(ProgressUpdate update) {
    HeartbeatRequest.Builder request =
        HeartbeatRequest.newBuilder()
            .setJobId(job.jobId())
            .setLeaseToken(job.leaseToken())
            .setLeaseDuration(leaseDuration);
    if (update != null) {
      update.applyTo(request);
    }
    return request.build();
  }

  private final class Observer implements StreamObserver<HeartbeatResponse> {
    private final ProgressUpdate sent;
    private HeartbeatResponse response;

    Observer(ProgressUpdate sent) {
      this.sent = sent;
    }

    @Override
    public void onNext(HeartbeatResponse value) {
      response = value;
    }

    @Override
    public void onError(Throwable t) {
      onFailure(sent, t);
    }

    @Override
    public void onCompleted() {
      onSuccess(response);
    }
  }

  private void onSuccess(HeartbeatResponse response) {
    synchronized (lock) {
      inFlight = false;
      lock.notifyAll(); // wakes flush()
      if (stopped) {
        return;
      }
      backoff.reset();
      scheduleLocked(pending.isEmpty() ? intervalNanos : nextReportDelayLocked());
    }
    if (response != null && response.getCancelRequested()) {
      job.requestCancel();
    }
    if (response != null && response.getStopRequested()) {
      job.requestStop();
    }
  }

  private void onFailure(ProgressUpdate sent, Throwable t) {
    OverseerException error = OverseerException.from(t);
    synchronized (lock) {
      inFlight = false;
      requeueLocked(sent);
      lock.notifyAll(); // wakes flush()
      if (!error.isLeaseLost()) {
        if (stopped) {
          return;
        }
        long delay = intervalNanos;
        if (error.isTransient()) {
          delay = Math.min(intervalNanos, backoff.next().toNanos());
          log.debug("job {}: heartbeat failed ({}), retrying", job.jobId(), error.getMessage());
        } else {
          log.warn("job {}: heartbeat failed: {}", job.jobId(), error.getMessage());
        }
        scheduleLocked(delay);
        return;
      }
    }
    // Even for a job whose handler just returned: it must then not report. (A heartbeat that
    // raced an accepted report and was refused for it only sets flags nobody reads any more.)
    log.warn("job {}: lease lost ({}); abandoning it", job.jobId(), error.description());
    job.markLeaseLost();
  }

  /** Puts a report that was not delivered back in front of the newer ones. */
  private void requeueLocked(ProgressUpdate sent) {
    if (sent == null) {
      return;
    }
    ProgressUpdate first = pending.peekFirst();
    if (first != null && !changesStage(sent, first)) {
      pending.pollFirst();
      pending.addFirst(ProgressUpdate.merge(sent, first));
    } else {
      pending.addFirst(sent);
    }
  }
}
