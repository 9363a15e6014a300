package io.overseer.chaos.model;

import io.overseer.client.OverseerClient;
import io.overseer.server.testing.Poll;
import io.overseer.v1.HeartbeatRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobEventKind;
import io.overseer.v1.JobState;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;

/**
 * One client of the model test: picks random steps, including the ones that need more than one
 * call: stale tokens (an ended attempt's, another job's, a garbage one, and the repeat of the call
 * that finished the job), two calls racing on one job from two channels, and a lease left to
 * expire (its token refused once its time is up, even before maintenance; the orphan re-queued).
 */
final class ModelClient extends ModelSteps {
  private final ExecutorService racers;

  ModelClient(ModelWorld w, OverseerClient client, OverseerClient other, Random r, Connection sql, String workerId, ExecutorService racers) {
    super(w, client, other, r, sql, workerId);
    this.racers = racers;
  }

  void step() throws Exception {
    int roll = r.nextInt(100);
    long open = w.jobs.stream().filter(j -> !j.terminal()).count();
    if (roll < 9 || open < 6) {
      create();
    } else if (roll < 24) {
      claim();
    } else if (roll < 36) {
      onLive(j -> heartbeat(j, j.liveLease(), null));
    } else if (roll < 44) {
      onLive(j -> complete(j, j.liveLease()));
    } else if (roll < 52) {
      onLive(j -> fail(j, j.liveLease()));
    } else if (roll < 56) {
      onLive(j -> addAsset(j, j.liveLease()));
    } else if (roll < 63) {
      on(j -> true, this::cancel);
    } else if (roll < 73) {
      stale();
    } else if (roll < 83) {
      race();
    } else if (roll < 85) {
      on(j -> j.certainlyLive(ModelWorld.MARGIN), this::expire);
    } else if (roll < 89) {
      onLive(j -> serve(j, j.liveLease()));
    } else if (roll < 92) {
      on(j -> true, this::stop);
    } else if (roll < 95) {
      onLive(j -> appendLogs(j, j.liveLease()));
    } else {
      on(j -> true, j -> w.observe(r.nextBoolean() ? client : other, j));
    }
  }

  private void onLive(java.util.function.Consumer<JobModel> step) throws InterruptedException {
    on(j -> j.liveLease() != null, step);
  }

  private void on(java.util.function.Predicate<JobModel> wanted, java.util.function.Consumer<JobModel> step) throws InterruptedException {
    JobModel j = w.lockRandom(r, wanted);
    if (j == null) {
      w.count("skipped");
      return;
    }
    try {
      step.accept(j);
    } finally {
      j.lock.unlock();
    }
  }

  /** A worker call with a token that is not the job's live lease; LEASE_LOST unless it repeats the finishing call. */
  void stale() throws InterruptedException {
    int kind = r.nextInt(10);
    on(j -> kind < 6 ? j.deadLease(new Random(0)) != null : kind < 8 ? j.finishedByToken != null : true, j -> {
      JobModel.Lease l;
      if (kind < 6) {
        l = j.deadLease(r);
      } else if (kind < 8) {
        l = j.leases.values().stream().filter(x -> x.token.equals(j.finishedByToken)).findFirst().orElseThrow();
      } else {
        JobModel otherJob = w.jobs.get(r.nextInt(w.jobs.size()));
        String token = r.nextBoolean() ? "1." + Long.toHexString(r.nextLong()) : otherJob.leases.values().stream()
            .map(x -> x.token).findFirst().orElse("9.garbage");
        l = new JobModel.Lease(-1, token, Instant.EPOCH, Instant.EPOCH, Instant.EPOCH); // certainly dead: attempt -1
        if (j.leases.values().stream().anyMatch(x -> x.token.equals(token))) {
          return; // the other job's token happens to be this job's own
        }
      }
      int before = j.eventCount();
      probe(j, l, "");
      List<JobEvent> fresh = w.observe(client, j);
      for (JobEvent e : fresh) {
        boolean byWorker = !e.getActor().equals("system")
            && (e.getKind() != JobEventKind.JOB_EVENT_KIND_STATE_CHANGED || JobModel.LEASED.contains(e.getPreviousState()));
        if (byWorker && !e.getMessage().equals("model says stop")) {
          w.violation("job " + j.id + ": a call with a stale token wrote event " + e.getSequence() + " (" + e.getKind() + ")");
        }
      }
      w.count(j.eventCount() == before ? "stale" : "stale_meanwhile_changed");
    });
  }

  /** A random worker call with {@code l}'s token, checked as the single steps check them. */
  private void probe(JobModel j, JobModel.Lease l, String when) {
    boolean dead = j.certainlyDead(l);
    switch (r.nextInt(4)) {
      case 0 -> {
        Attempted<?> res = Attempted.of(() -> client.workerStub().heartbeat(HeartbeatRequest.newBuilder().setJobId(j.id).setLeaseToken(l.token).setProgress(r.nextInt(101)).build()));
        if (res.ok()) {
          workerCallSucceeded(j, l, "Heartbeat" + when, res, dead);
        } else {
          leaseRefused(j, l, "Heartbeat" + when, res, false);
        }
      }
      case 1 -> {
        boolean partial = "PARTIAL".equals(j.finishedBy) ? r.nextInt(4) > 0 : r.nextInt(4) == 0;
        checkFinish(j, l, partial ? "PARTIAL" : "COMPLETE", null, Attempted.of(() -> client.workerStub().completeJob(completion(j, l, partial))), false, dead);
      }
      case 2 -> {
        boolean retryable = r.nextBoolean();
        checkFinish(j, l, "FAIL", retryable, Attempted.of(() -> client.workerStub().failJob(failure(j, l, retryable))), false, dead);
      }
      default -> addAsset(j, l);
    }
  }

  /** The names the races count under ({@code race_<name>}), by kind. */
  static final List<String> RACES = List.of("complete+complete", "complete+fail", "stale+live", "cancel+complete", "heartbeat+fail", "claim");

  /** Two calls on one job at once, from two channels (often two nodes), with a certain combined outcome. */
  void race() throws InterruptedException {
    race(r.nextInt(RACES.size()));
  }

  /** The race of that kind (an index of {@link #RACES}), if a job fits its precondition. */
  void race(int kind) throws InterruptedException {
    if (kind == 5) {
      claimRace();
      return;
    }
    on(j -> j.certainlyLive(ModelWorld.MARGIN) && (kind != 2 || j.deadLease(new Random(0)) != null), j -> {
      JobModel.Lease l = j.liveLease();
      boolean retryable = r.nextBoolean();
      boolean partial = r.nextBoolean();
      Supplier<Job> complete = () -> client.workerStub().completeJob(completion(j, l, partial));
      Supplier<Job> completeThere = () -> other.workerStub().completeJob(completion(j, l, partial));
      Supplier<Job> failThere = () -> other.workerStub().failJob(failure(j, l, retryable));
      Attempted<?>[] both;
      String name;
      boolean held;
      switch (kind) {
        case 0 -> { // the same completion twice: both OK, one terminal event
          name = "complete+complete";
          both = together(complete, completeThere);
          held = both[0].ok() && both[1].ok();
        }
        case 1 -> { // complete against fail with one lease: exactly one wins
          name = "complete+fail";
          both = together(complete, failThere);
          held = both[0].ok() != both[1].ok() && (both[0].leaseLost() || both[1].leaseLost());
        }
        case 2 -> { // a dead token and the live one: only the live one
          name = "stale+live";
          JobModel.Lease dead = j.deadLease(r);
          both = together(() -> other.workerStub().completeJob(completion(j, dead, partial)), complete);
          held = both[0].leaseLost() && both[1].ok();
        }
        case 3 -> { // cancel against complete: the work is done, so COMPLETED or PARTIAL
          name = "cancel+complete";
          both = together(() -> other.cancel(j.id, "model says stop"), complete);
          held = (both[0].ok() || both[0].invalidTransition()) && both[1].ok();
        }
        default -> { // heartbeat against fail: the failure wins
          name = "heartbeat+fail";
          both = together(() -> client.workerStub().heartbeat(HeartbeatRequest.newBuilder().setJobId(j.id).setLeaseToken(l.token).build()), failThere);
          held = (both[0].ok() || both[0].leaseLost()) && both[1].ok();
        }
      }
      settle(j, l, kind, partial, retryable, both);
      List<JobEvent> fresh = w.observe(client, j);
      long ends = fresh.stream().filter(e -> e.getKind() == JobEventKind.JOB_EVENT_KIND_STATE_CHANGED
          && JobModel.LEASED.contains(e.getPreviousState()) && !JobModel.LEASED.contains(e.getState())).count();
      if (ends > 1) {
        w.violation("job " + j.id + ": race " + name + " ended attempt " + l.attempt + " " + ends + " times");
      }
      if (!held && lostToTime(j, l)) {
        late(j, l, "race " + name + " answered " + both[0].outcome() + " and " + both[1].outcome());
      } else if (!held) {
        w.violation("job " + j.id + ": race " + name + " answered " + both[0].outcome() + " and " + both[1].outcome());
      }
      w.count("race_" + name);
    });
  }

  /** Four workers on two nodes claim a job alone in its queue at once: exactly one gets it. */
  void claimRace() {
    String queue = "race-" + Long.toHexString(r.nextLong());
    JobModel j = create(queue, false);
    if (j == null) {
      return;
    }
    // other clients' steps may pick the new job (cancel it, stop it) until its lock is held
    j.lock.lock();
    try {
      w.observe(client, j);
      if (j.state != JobState.JOB_STATE_QUEUED) {
        w.count("race_claim_preempted");
        return;
      }
      claimRace(j, queue);
    } finally {
      j.lock.unlock();
    }
  }

  private void claimRace(JobModel j, String queue) {
    io.overseer.v1.ClaimJobsRequest.Builder request = claimRequest().addQueues(queue);
    long leaseMs = request.getLeaseDuration().getSeconds() * 1000 + request.getLeaseDuration().getNanos() / 1_000_000;
    List<CompletableFuture<Attempted<io.overseer.v1.ClaimJobsResponse>>> claims = new java.util.ArrayList<>();
    CountDownLatch go = new CountDownLatch(1);
    for (int i = 0; i < 4; i++) {
      OverseerClient via = i % 2 == 0 ? client : other;
      io.overseer.v1.ClaimJobsRequest q = request.clone().setWorkerId(workerId + "-racer" + i).build();
      claims.add(CompletableFuture.supplyAsync(() -> {
        awaitThen(go, () -> null);
        return Attempted.of(() -> via.workerStub().claimJobs(q));
      }, racers));
    }
    go.countDown();
    int winners = 0;
    for (CompletableFuture<Attempted<io.overseer.v1.ClaimJobsResponse>> f : claims) {
      Attempted<io.overseer.v1.ClaimJobsResponse> res = f.join();
      if (!res.ok()) {
        w.violation("job " + j.id + ": a racing claim failed: " + res.outcome());
        continue;
      }
      for (io.overseer.v1.Lease lease : res.value().getLeasesList()) {
        winners++;
        recordClaimAs(lease, leaseMs, res);
      }
    }
    if (winners != 1) {
      w.violation("job " + j.id + ": " + winners + " of 4 racing claimers got it");
    }
    w.count("race_claim");
  }

  /** Checks each answer of a race on its own and records what it did, as the single steps do. */
  @SuppressWarnings("unchecked")
  private void settle(JobModel j, JobModel.Lease l, int kind, boolean partial, boolean retryable, Attempted<?>[] both) {
    String complete = partial ? "PARTIAL" : "COMPLETE";
    switch (kind) {
      case 0 -> {
        checkFinish(j, l, complete, null, (Attempted<Job>) both[0], false, false);
        checkFinish(j, l, complete, null, (Attempted<Job>) both[1], false, false);
      }
      case 1 -> {
        checkFinish(j, l, complete, null, (Attempted<Job>) both[0], false, false);
        checkFinish(j, l, "FAIL", retryable, (Attempted<Job>) both[1], false, false);
      }
      case 2, 3 -> checkFinish(j, l, complete, null, (Attempted<Job>) both[1], false, false);
      default -> {
        if (both[0].ok()) {
          workerCallSucceeded(j, l, "Heartbeat", both[0], false);
        } else {
          leaseRefused(j, l, "Heartbeat", both[0], false);
        }
        checkFinish(j, l, "FAIL", retryable, (Attempted<Job>) both[1], false, false);
      }
    }
    if (kind == 3 && both[0].ok() && ((Job) both[0].value()).getCancelRequested() && !j.cancelRequested) {
      j.cancelRequestedAfter = both[0].sent();
    }
  }

  private Attempted<?>[] together(Supplier<?> a, Supplier<?> b) {
    CountDownLatch go = new CountDownLatch(1);
    CompletableFuture<Attempted<?>> first = CompletableFuture.supplyAsync(() -> awaitThen(go, a), racers);
    CompletableFuture<Attempted<?>> second = CompletableFuture.supplyAsync(() -> awaitThen(go, b), racers);
    go.countDown();
    return new Attempted<?>[] {first.join(), second.join()};
  }

  private static Attempted<?> awaitThen(CountDownLatch go, Supplier<?> call) {
    try {
      go.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return Attempted.of(call);
  }

  /**
   * Shortens the lease to 1 s and stops heartbeating: once its time is up its token is refused at
   * once (whether or not maintenance has run), and maintenance re-queues or fails the orphan.
   */
  void expire(JobModel j) {
    JobModel.Lease l = j.liveLease();
    heartbeat(j, l, Duration.ofSeconds(1));
    if (j.liveLease() != l) {
      return;
    }
    ModelWorld.Row row = w.row(sql, j.id);
    Instant expiry = row.leaseExpiresAt();
    if (!Poll.eventually(Duration.ofSeconds(10), Duration.ofMillis(20), () -> Instant.now().isAfter(l.expiredBy.plusMillis(30)))) {
      w.violation("job " + j.id + ": the test's clock stood still");
    }
    if (!j.certainlyDead(l)) {
      w.violation("job " + j.id + ": the model does not see an expired lease as dead");
    }
    probe(j, l, " after expiry");
    boolean recovered = Poll.eventually(Duration.ofSeconds(15), Duration.ofMillis(25), () -> {
      w.observe(client, j);
      return j.endedAttempts >= l.attempt;
    });
    if (!recovered) {
      w.violation("job " + j.id + ": the orphaned attempt " + l.attempt + " was never recovered (lease expired at " + expiry + ")");
      return;
    }
    JobEvent end = j.endOfAttempt(l.attempt);
    if (end != null && end.getMessage().equals("lease expired") && expiry != null) {
      Duration recovery = Duration.between(expiry, RandomJobs.instant(end.getTime()));
      w.worstRecoveryNanos.accumulate(recovery.toNanos());
      if (recovery.isNegative()) {
        w.violation("job " + j.id + ": re-queued " + recovery.negated().toMillis() + " ms before its lease expired");
      }
      w.count("orphan_recovered");
    }
  }
}
