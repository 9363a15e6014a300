package io.overseer.client.worker;

import io.overseer.client.OverseerClient;
import io.overseer.v1.Lease;
import io.overseer.v1.WorkerServiceGrpc;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker runtime: claims jobs of the handled types, runs up to {@code concurrency} of them at
 * once, keeps their leases alive with heartbeats (which carry progress), honours cancellation
 * and reports each outcome.
 *
 * <pre>{@code
 * try (Worker worker = Worker.builder()
 *     .client(client).queues("default").concurrency(4)
 *     .handler("resize", ctx -> { ...; return JobResult.of(Map.of("ok", true)); })
 *     .build().start()) {
 *   worker.awaitTermination();
 * }
 * }</pre>
 *
 * <p>Concurrency: one claim thread asks for exactly as many jobs as the claim budget allows (a
 * semaphore of {@code concurrency + prefetch} permits, one held per job from its claim until its
 * handler returns). {@code concurrency} handler threads take the claimed jobs in claim order, so
 * at most {@code concurrency} handlers run at once and up to {@code prefetch} jobs wait, leased
 * and heartbeated, to start the moment a handler returns; one stopped (cancelled, lease lost,
 * shutdown) while it waits never starts and is reported at once. An outcome is sent from a
 * report thread while the handler thread already runs the next job; at most {@code concurrency +
 * prefetch} reports are out at once, as many as it may hold claimed (a finished job keeps its
 * budget until one is free), so a worker holds at most {@code 2 * (concurrency + prefetch)}
 * leases. While a backlog lasts it lets some budget free up before it claims, so claims come in
 * batches. One scheduler thread times every job's heartbeats; the calls themselves are
 * asynchronous. Completions that finish together are reported in one call (see {@link
 * CompletionSender}).
 */
public final class Worker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Worker.class);
  private static final long HAND_BACK_GRACE_MILLIS = 10_000;

  private final OverseerClient client;
  private final boolean ownsClient;
  private final WorkerSettings settings;
  private final Map<String, JobHandler> handlers;
  private final WorkerListener listener;
  private final WorkerServiceGrpc.WorkerServiceBlockingStub stub;
  private final CompletionSender completions;
  private final JobRunner runner;
  private final Semaphore claimBudget;
  private final Semaphore reporting;
  private final ThreadPoolExecutor handlerPool;
  private final ThreadPoolExecutor reportPool;
  private final ScheduledExecutorService scheduler;
  private final Set<ActiveJob> active = ConcurrentHashMap.newKeySet();
  /** The server answered AppendJobLogs UNIMPLEMENTED (an older server): no job sends logs. */
  private final AtomicBoolean logsUnsupported = new AtomicBoolean();
  private final ClaimLoop claims;
  private final Thread claimThread;
  private final Object lifecycle = new Object();
  private boolean started; // guarded by lifecycle
  private volatile boolean terminated;

  Worker(
      OverseerClient client,
      boolean ownsClient,
      WorkerSettings settings,
      Map<String, JobHandler> handlers,
      WorkerListener listener) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.settings = settings;
    this.handlers = Map.copyOf(handlers);
    this.listener = listener;
    this.stub = client.workerStub();
    this.completions = new CompletionSender(stub, settings.workerId());
    this.runner = new JobRunner(stub, completions, settings);
    this.claimBudget = new Semaphore(settings.concurrency() + settings.prefetch());
    this.reporting = new Semaphore(settings.concurrency() + settings.prefetch());
    // `concurrency` threads run handlers, taking claimed jobs in claim order; `concurrency +
    // prefetch` send outcomes (at most that many reports out, plus those of jobs that never
    // started). With prefetch, handlers free up faster than one BatchCompleteJobs round trip
    // per `concurrency` reports: a bound of `concurrency` capped a worker at concurrency / RTT.
    this.handlerPool = fixedPool(settings.concurrency(), "overseer-job-");
    this.reportPool = fixedPool(settings.concurrency() + settings.prefetch(), "overseer-report-");
    ScheduledThreadPoolExecutor timers =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "overseer-heartbeat");
              t.setDaemon(true);
              return t;
            });
    timers.setRemoveOnCancelPolicy(true);
    this.scheduler = timers;
    this.claims = new ClaimLoop(settings, stub, client.deadline(), claimBudget, this::startJob);
    this.claimThread = new Thread(claims, "overseer-claim");
  }

  private static ThreadPoolExecutor fixedPool(int threads, String name) {
    AtomicInteger count = new AtomicInteger();
    return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, name + count.incrementAndGet());
          t.setDaemon(false); // awaitTermination waits for them, whoever started the thread
          return t;
        });
  }

  public static WorkerBuilder builder() {
    return new WorkerBuilder();
  }

  /** Starts claiming in the background; returns this. */
  public Worker start() {
    synchronized (lifecycle) {
      if (started) {
        throw new IllegalStateException("worker already started");
      }
      started = true;
    }
    log.info("worker {} claiming {} on {}, concurrency {}",
        settings.workerId(), settings.types(),
        settings.queues().isEmpty() ? "every queue" : settings.queues(), settings.concurrency());
    claimThread.start();
    return this;
  }

  public String workerId() {
    return settings.workerId();
  }

  /** Completion reports waiting for the next BatchCompleteJobs call (for tests). */
  int completionsWaiting() {
    return completions.waiting();
  }

  /** Jobs claimed and not yet reported. */
  public int activeJobs() {
    return active.size();
  }

  /**
   * Stops claiming, lets jobs in flight finish for up to {@code timeout}, then interrupts the
   * rest (each is handed back with a retryable FailJob, for which they get up to 10 s more) and
   * releases the threads. Serving jobs (see {@link JobContext#serving}) not asked to stop are
   * stopped and handed back at once: the server re-queues them, to be served elsewhere while
   * attempts are left. Jobs are never reported twice. Safe to call more than once.
   *
   * <p>A claim long-poll in flight is cancelled; if the server had already leased a job to it,
   * that job comes back when the lease expires.
   *
   * @return true if every job in flight finished within the timeout
   */
  public boolean shutdown(Duration timeout) {
    synchronized (lifecycle) {
      if (terminated) {
        return true;
      }
      terminated = true;
      claims.stop();
    }
    claimThread.interrupt();
    try {
      if (claimThread.isAlive()) {
        claimThread.join();
      }
      long deadline = System.nanoTime() + timeout.toNanos();
      active.forEach(ActiveJob::workerShuttingDown); // serving jobs are handed back at once
      handlerPool.shutdown(); // jobs claimed and waiting for a thread still run
      boolean drained = handlerPool.awaitTermination(timeout.toNanos(), TimeUnit.NANOSECONDS);
      if (!drained) {
        log.warn("worker {}: {} job(s) still running after {} ms; interrupting them",
            settings.workerId(), active.size(), timeout.toMillis());
        active.forEach(ActiveJob::stopForShutdown);
        // the interrupted handlers' FailJob calls hand the jobs back; give them time for that
        handlerPool.awaitTermination(HAND_BACK_GRACE_MILLIS, TimeUnit.MILLISECONDS);
      }
      reportPool.shutdown(); // no report is handed over after the handlers are done
      long left = drained ? deadline - System.nanoTime() : 0;
      if (!reportPool.awaitTermination(left, TimeUnit.NANOSECONDS)) {
        drained = false;
        reportPool.awaitTermination(HAND_BACK_GRACE_MILLIS, TimeUnit.MILLISECONDS);
      }
      return drained;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      active.forEach(ActiveJob::stopForShutdown);
      return false;
    } finally {
      for (Runnable dropped : handlerPool.shutdownNow()) {
        ((HandlerTask) dropped).abandon();
      }
      for (Runnable dropped : reportPool.shutdownNow()) {
        ((ReportTask) dropped).abandon(); // also frees a handler thread waiting for its permit
      }
      completions.close();
      scheduler.shutdownNow();
      if (ownsClient) {
        client.close();
      }
      log.info("worker {} stopped", settings.workerId());
    }
  }

  /** {@link #shutdown} with the builder's shutdown timeout. */
  @Override
  public void close() {
    shutdown(settings.shutdownTimeout());
  }

  /** Blocks until the worker has been shut down (by another thread) and its jobs are done. */
  public void awaitTermination() throws InterruptedException {
    claimThread.join();
    while (!handlerPool.awaitTermination(1, TimeUnit.HOURS)
        || !reportPool.awaitTermination(1, TimeUnit.HOURS)) {
      // keep waiting
    }
  }

  private void startJob(Lease lease) {
    ActiveJob job = new ActiveJob(lease, settings, stub);
    JobHeartbeat heartbeat = new JobHeartbeat(job, scheduler, client.workerAsyncStub(), settings);
    job.attachHeartbeat(heartbeat);
    job.attachLog(new JobLog(job, scheduler, client.workerAsyncStub(), settings, logsUnsupported));
    active.add(job);
    HandlerTask task = new HandlerTask(job);
    job.onStop(() -> {
      // stopped while waiting for a handler thread: take it out of the line and report it now,
      // rather than after a handler of this worker frees up
      if (handlerPool.remove(task)) {
        reportNow(job);
      }
    });
    handlerPool.execute(task); // queued before any heartbeat can stop it
    heartbeat.start();
  }

  /** A claimed job waiting for (or running on) a handler thread. */
  private final class HandlerTask implements Runnable {
    final ActiveJob job;

    HandlerTask(ActiveJob job) {
      this.job = job;
    }

    @Override
    public void run() {
      runJob(job);
    }

    /** The pool was stopped before the job started. */
    void abandon() {
      claimBudget.release();
      done(job);
      log.warn("{}: the worker stopped before the job started; it comes back when its lease "
          + "expires", job);
    }
  }

  /**
   * An outcome to send. {@code admitted}: it holds one of the {@code concurrency + prefetch}
   * report permits; else it is a job that never started (see {@link #reportNow}) and holds its
   * claim budget.
   */
  private final class ReportTask implements Runnable {
    final ActiveJob job;
    final JobRunner.Handled handled;
    final boolean admitted;

    ReportTask(ActiveJob job, JobRunner.Handled handled, boolean admitted) {
      this.job = job;
      this.handled = handled;
      this.admitted = admitted;
    }

    @Override
    public void run() {
      try {
        JobRunner.Report report = runner.report(job, handled);
        log.debug("{} finished: {}", job, report.outcome());
        callListener(
            () -> listener.jobFinished(job, report.outcome(), report.job(), report.error()));
      } finally {
        release();
      }
    }

    /** The pool was stopped (or refused it) before it was sent: give back what it holds. */
    void abandon() {
      release();
      log.warn("{}: the worker stopped before the outcome was reported; the job comes back when "
          + "its lease expires", job);
    }

    private void release() {
      (admitted ? reporting : claimBudget).release();
      done(job);
    }
  }

  /**
   * Reports a job that never started, outside the bound on reports out (at most
   * {@code prefetch} of them; taking a report permit here could wait on the reports queued behind).
   */
  private void reportNow(ActiveJob job) {
    submit(new ReportTask(job, JobRunner.notStarted(job), false));
  }

  private void submit(ReportTask task) {
    try {
      reportPool.execute(task);
    } catch (RejectedExecutionException e) {
      task.abandon();
    }
  }

  private void runJob(ActiveJob job) {
    boolean submitted = false;
    try {
      Thread.interrupted(); // an interrupt left over from a previous job is not for this one
      JobRunner.Handled handled;
      if (job.stopReason() != ActiveJob.StopReason.NONE) {
        // cancelled, lost or shut down while it waited and not taken out of the line in time
        handled = JobRunner.notStarted(job);
      } else {
        callListener(() -> listener.jobStarted(job));
        log.debug("{} started", job);
        handled = runner.runHandler(job, handlers.get(job.type()));
      }
      // the handler is done: its claim budget may fetch the next job while this one is reported,
      // as long as no more than `concurrency + prefetch` reports are out (else it waits:
      // back-pressure; permits of reports the pool drops at shutdown are given back, see
      // ReportTask.abandon)
      reporting.acquireUninterruptibly();
      submit(new ReportTask(job, handled, true));
      submitted = true;
    } finally {
      claimBudget.release();
      if (!submitted) {
        done(job); // e.g. a listener threw an Error: at least stop the heartbeats
      }
    }
  }

  private void done(ActiveJob job) {
    job.heartbeat().stop();
    job.log().stop();
    active.remove(job);
  }

  private void callListener(Runnable callback) {
    try {
      callback.run();
    } catch (RuntimeException e) {
      log.warn("worker listener failed", e);
    }
  }
}
