package io.overseer.client.worker;

import com.google.protobuf.Duration;
import io.grpc.StatusRuntimeException;
import io.overseer.client.Backoff;
import io.overseer.client.OverseerException;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.Lease;
import io.overseer.v1.WorkerServiceGrpc;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's claim thread: claims as many jobs as its budget has permits (one per job, given
 * back by the {@link Worker} when the job's handler is done) and hands each lease over.
 */
final class ClaimLoop implements Runnable {
  private static final Logger log = LoggerFactory.getLogger(ClaimLoop.class);
  private static final long CLAIM_LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(2);

  private final WorkerSettings settings;
  private final WorkerServiceGrpc.WorkerServiceBlockingStub stub;
  private final java.time.Duration clientDeadline;
  private final Semaphore budget;
  private final Consumer<Lease> start;
  private volatile boolean claiming = true;

  ClaimLoop(WorkerSettings settings, WorkerServiceGrpc.WorkerServiceBlockingStub stub,
      java.time.Duration clientDeadline, Semaphore budget, Consumer<Lease> start) {
    this.settings = settings;
    this.stub = stub;
    this.clientDeadline = clientDeadline;
    this.budget = budget;
    this.start = start;
  }

  /** Claims nothing more; interrupt the thread to end a claim or a wait in progress. */
  void stop() {
    claiming = false;
  }

  @Override
  public void run() {
    Backoff backoff = Backoff.slow();
    boolean backlog = false;
    while (claiming) {
      int slots;
      try {
        budget.acquire(); // wait until at least one more job may be claimed
      } catch (InterruptedException e) {
        return;
      }
      slots = 1 + budget.drainPermits();
      if (backlog) {
        try {
          slots += gatherSlots(slots);
        } catch (InterruptedException e) {
          budget.release(slots);
          return;
        }
      }
      List<Lease> leases;
      try {
        leases = claim(slots);
        backoff.reset();
      } catch (StatusRuntimeException e) {
        budget.release(slots);
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
        start.accept(lease);
        started++;
      }
      budget.release(slots - started);
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
      if (left <= 0 || !budget.tryAcquire(left, TimeUnit.NANOSECONDS)) {
        break;
      }
      more += 1 + budget.drainPermits();
    }
    return more;
  }

  private List<Lease> claim(int maxJobs) {
    java.time.Duration wait = settings.claimWait();
    java.time.Duration callDeadline =
        wait.plus(clientDeadline != null ? clientDeadline : java.time.Duration.ofSeconds(30));
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

  static Duration protoDuration(java.time.Duration d) {
    return Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }
}
