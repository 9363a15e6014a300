package io.overseer.client.worker;

import com.google.protobuf.Duration;
import io.grpc.StatusRuntimeException;
import io.overseer.client.Backoff;
import io.overseer.client.OverseerClient;
import io.overseer.client.OverseerException;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.Lease;
import io.overseer.v1.WorkerServiceGrpc;
import java.util.List;
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
 * report thread while the handler thread already runs the next job; at most {@code concurrency}
 * reports are out at once (a finished job keeps its budget until one is), so a worker holds at
 * most {@code 2 * concurrency + prefetch} leases. While a backlog lasts it lets some budget free
 * up before it claims, so claims come in batches. One scheduler thread times every job's
 * heartbeats; the calls themselves are asynchronous. Completions that finish together are
 * reported in one call (see {@link CompletionSender}).
 */
public final class Worker implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Worker.class);
  private static final long HAND_BACK_GRACE_MILLIS = 10_000;
  private static final long CLAIM_LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

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
  private final Thread claimThread;
  private final Object lifecycle = new Object();
  private boolean started; // guarded by lifecycle
  private volatile boolean claiming;
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
    this.reporting = new Semaphore(settings.concurrency());
    // `concurrency` threads run handlers, taking claimed jobs in claim order; as many more send
    // outcomes (at most `concurrency` reports are out, so a report never waits for a thread)
    this.handlerPool = fixedPool(settings.concurrency(), "overseer-job-");
    this.reportPool = fixedPool(settings.concurrency(), "overseer-report-");
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
    this.claimThread = new Thread(this::claimLoop, "overseer-claim");
  }

  private static ThreadPoolExecutor fixedPool(int threads, String name) {
    AtomicInteger count = new AtomicInteger();
    return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
        new LinkedBlockingQueue<>(), r -> new Thread(r, name + count.incrementAndGet()));
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
      claiming = true;
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
   * releases the threads. Jobs are never reported twice. Safe to call more than once.
   *
   * <p>A claim long-poll in flight is cancelled; if the server had already leased a job to it,
   * that job comes back when the lease expires.
   *
   * @return true if every job in flight finished within the timeout
   */
  public boolean shutdown(java.time.Duration timeout) {
    synchronized (lifecycle) {
      if (terminated) {
        return true;
      }
      terminated = true;
      claiming = false;
    }
    claimThread.interrupt();
    try {
      if (claimThread.isAlive()) {
        claimThread.join();
      }
      long deadline = System.nanoTime() + timeout.toNanos();
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
      handlerPool.shutdownNow();
      reportPool.shutdownNow();
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

  private void claimLoop() {
    Backoff backoff = Backoff.slow();
    boolean backlog = false;
    while (claiming) {
      int slots;
      try {
        claimBudget.acquire(); // wait until at least one more job may be claimed
      } catch (InterruptedException e) {
        return;
      }
      slots = 1 + claimBudget.drainPermits();
      if (backlog) {
        try {
          slots += gatherSlots(slots);
        } catch (InterruptedException e) {
          claimBudget.release(slots);
          return;
        }
      }
      List<Lease> leases;
      try {
        leases = claim(slots);
        backoff.reset();
      } catch (StatusRuntimeException e) {
        claimBudget.release(slots);
        if (!claiming) {
          return;
        }
        OverseerException error = OverseerException.from(e);
        if (error.isTransient()) {
          log.debug("worker {}: claim failed ({}), retrying", settings.workerId(), error);
        } else {
          log.warn("worker {}: claim failed: {}", settings.workerId(), error.getMessage());
        }
        if (!backoff.sleep()) {
          return;
        }
        continue;
      }
      int started = 0;
      for (Lease lease : leases) {
        // never more than asked for; a surplus lease is left to expire rather than overbooking
        if (started == slots) {
          log.error("worker {}: server leased more jobs than asked for; ignoring {}",
              settings.workerId(), lease.getJob().getId());
          continue;
        }
        startJob(lease);
        started++;
      }
      claimBudget.release(slots - started);
      backlog = started == slots; // a full claim: more jobs are probably waiting
    }
  }

  /**
   * While jobs are waiting (the last claim came back full) and most slots are busy, waits up to
   * {@link #CLAIM_LINGER_NANOS} for a quarter of the slots to free up, so that one claim (one
   * commit) fetches several jobs instead of one each: the jobs already queued wait that long at
   * most, and an idle worker never waits. Returns how many more slots it took.
   */
  private int gatherSlots(int have) throws InterruptedException {
    int want = Math.max(1, (settings.concurrency() + settings.prefetch()) / 4);
    int more = 0;
    long until = System.nanoTime() + CLAIM_LINGER_NANOS;
    while (have + more < want) {
      long left = until - System.nanoTime();
      if (left <= 0 || !claimBudget.tryAcquire(left, TimeUnit.NANOSECONDS)) {
        break;
      }
      more += 1 + claimBudget.drainPermits();
    }
    return more;
  }

  private List<Lease> claim(int maxJobs) {
    java.time.Duration wait = settings.claimWait();
    java.time.Duration callDeadline =
        wait.plus(client.deadline() != null ? client.deadline() : java.time.Duration.ofSeconds(30));
    ClaimJobsRequest request =
        ClaimJobsRequest.newBuilder()
            .setWorkerId(settings.workerId())
            .addAllQueues(settings.queues())
            .addAllTypes(settings.types())
            .setMaxJobs(maxJobs)
            .setWait(protoDuration(wait))
            .setLeaseDuration(protoDuration(settings.leaseDuration()))
            .build();
    return stub.withDeadlineAfter(callDeadline.toMillis(), TimeUnit.MILLISECONDS)
        .claimJobs(request)
        .getLeasesList();
  }

  private void startJob(Lease lease) {
    ActiveJob job = new ActiveJob(lease, settings, stub);
    JobHeartbeat heartbeat = new JobHeartbeat(job, scheduler, client.workerAsyncStub(), settings);
    job.attachHeartbeat(heartbeat);
    active.add(job);
    Runnable run = () -> runJob(job);
    job.onStop(() -> {
      // stopped while waiting for a handler thread: take it out of the line and report it now,
      // rather than after a handler of this worker frees up
      if (handlerPool.remove(run)) {
        reportNow(job);
      }
    });
    heartbeat.start();
    handlerPool.execute(run);
  }

  /**
   * Reports a job that never started, outside the {@code concurrency} bound on reports (at most
   * {@code prefetch} of them; taking a report permit here could wait on the reports queued behind).
   */
  private void reportNow(ActiveJob job) {
    try {
      reportPool.execute(() -> {
        try {
          sendOutcome(job, JobRunner.notStarted(job));
        } finally {
          claimBudget.release();
          done(job);
        }
      });
    } catch (RejectedExecutionException e) {
      claimBudget.release();
      done(job);
      log.warn("{}: the worker stopped before the job was handed back; it comes back when its "
          + "lease expires", job);
    }
  }

  private void runJob(ActiveJob job) {
    boolean handedOver = false;
    try {
      Thread.interrupted(); // an interrupt left over from a previous job is not for this one
      JobRunner.Handled handled;
      if (job.stopReason() != ActiveJob.StopReason.NONE) {
        // cancelled, lost or shut down while it waited for a handler thread: never start it
        handled = JobRunner.notStarted(job);
      } else {
        notify(() -> listener.jobStarted(job));
        log.debug("{} started", job);
        handled = runner.runHandler(job, handlers.get(job.type()));
      }
      // the handler is done: its claim budget may fetch the next job while this one is reported,
      // as long as no more than `concurrency` reports are out (else it waits: back-pressure)
      reporting.acquireUninterruptibly();
      try {
        reportPool.execute(() -> report(job, handled));
        handedOver = true;
      } catch (RejectedExecutionException e) {
        log.warn("{}: the worker stopped before the outcome was reported; the job comes back "
            + "when its lease expires", job);
      } finally {
        if (!handedOver) {
          reporting.release();
        }
      }
    } finally {
      claimBudget.release();
      if (!handedOver) {
        done(job);
      }
    }
  }

  private void report(ActiveJob job, JobRunner.Handled handled) {
    try {
      sendOutcome(job, handled);
    } finally {
      reporting.release();
      done(job);
    }
  }

  private void sendOutcome(ActiveJob job, JobRunner.Handled handled) {
    JobRunner.Report report = runner.report(job, handled);
    log.debug("{} finished: {}", job, report.outcome());
    notify(() -> listener.jobFinished(job, report.outcome(), report.job(), report.error()));
  }

  private void done(ActiveJob job) {
    job.heartbeat().stop();
    active.remove(job);
  }

  private void notify(Runnable callback) {
    try {
      callback.run();
    } catch (RuntimeException e) {
      log.warn("worker listener failed", e);
    }
  }

  static Duration protoDuration(java.time.Duration d) {
    return Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }
}
