package io.overseer.server.core;

import io.overseer.server.domain.Asset;
import io.overseer.server.domain.Backoff;
import io.overseer.server.domain.Endpoint;
import io.overseer.server.domain.InvalidTransitionException;
import io.overseer.server.domain.Job;
import io.overseer.server.domain.JobNotFoundException;
import io.overseer.server.domain.JobStateMachine;
import io.overseer.server.domain.LeaseLostException;
import io.overseer.server.domain.Principal;
import io.overseer.server.domain.State;
import io.overseer.server.store.AssetRepository;
import io.overseer.server.store.Database;
import io.overseer.server.store.JobRepository;
import io.overseer.server.store.LeaseRepository;
import io.overseer.server.store.LeaseRepository.Ending;
import io.overseer.server.store.LeaseRepository.LeaseCondition;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What workers do to the jobs they hold: heartbeats, completion, failure, assets. Every write is
 * fenced by the lease token (see {@link LeaseRepository}); a write that matches nothing is
 * explained from the job's current row: the same finishing call repeated gets the finished job,
 * anything else is {@code LEASE_LOST}.
 */
public final class WorkerOperations {
  private static final int MAX_CAS_TRIES = 5;

  private final Database db;
  private final JobRepository jobs;
  private final LeaseRepository leases;
  private final AssetRepository assets;
  private final TransitionPublisher publisher;
  private final Backoff backoff;
  private final JobEndings endings;
  private final GroupCommit<Ending, Optional<Job>> completions;

  /** {@code completions}: the group commit of {@code endings}' batch write, for CompleteJob. */
  public WorkerOperations(
      Database db,
      JobRepository jobs,
      LeaseRepository leases,
      AssetRepository assets,
      TransitionPublisher publisher,
      Backoff backoff,
      JobEndings endings,
      GroupCommit<Ending, Optional<Job>> completions) {
    this.db = db;
    this.jobs = jobs;
    this.leases = leases;
    this.assets = assets;
    this.publisher = publisher;
    this.backoff = backoff;
    this.endings = endings;
    this.completions = completions;
  }

  /** Extends the lease; null progress, stage, message or lease keep the current values. */
  public Job heartbeat(
      Principal principal,
      UUID id,
      String token,
      Integer progress,
      String stage,
      String message,
      Duration lease) {
    Long leaseMs = lease == null ? null : lease.toMillis();
    Job job =
        db.autocommit(
                c -> leases.heartbeat(c, id, token, progress, stage, message, leaseMs, principal.name()))
            .orElseThrow(leaseLost(id));
    publisher.eventAppended(job);
    return job;
  }

  public Job complete(
      Principal principal, UUID id, String token, String resultJson, boolean partial, String error) {
    return completeAll(principal, List.of(new CompleteCall(id, token, resultJson, partial, error))).get(0).get();
  }

  /** One CompleteJob of a batch. */
  public record CompleteCall(UUID id, String token, String resultJson, boolean partial, String error) {}

  /**
   * Several CompleteJob calls of one caller, written together (they share group commits): for
   * each, its job or the exception {@link #complete} would have thrown, in the calls' order.
   */
  public List<GroupCommit.Outcome<Job>> completeAll(Principal principal, List<CompleteCall> calls) {
    List<Ending> batch = new ArrayList<>(calls.size());
    for (CompleteCall x : calls) {
      State target = x.partial() ? State.PARTIAL : State.COMPLETED;
      Set<State> from = JobStateMachine.sources(target, State.LEASED);
      batch.add(
          new Ending(x.id(), from, x.token(), LeaseCondition.LIVE, null, target, x.resultJson(), x.error(), 0, true,
              principal.name(), null, null));
    }
    List<GroupCommit.Outcome<Optional<Job>>> written = completions.submitAll(batch);
    List<GroupCommit.Outcome<Job>> out = new ArrayList<>(calls.size());
    for (int i = 0; i < calls.size(); i++) {
      Ending x = batch.get(i);
      try {
        Optional<Job> done = written.get(i).get();
        if (done.isPresent()) {
          endings.publish(done.get());
          out.add(new GroupCommit.Outcome<>(done.get(), null));
        } else {
          out.add(new GroupCommit.Outcome<>(repeatedOrLeaseLost(x.id(), x.leaseToken(), job -> completionDiffers(job, x)), null));
        }
      } catch (RuntimeException e) {
        out.add(new GroupCommit.Outcome<>(null, e));
      }
    }
    return out;
  }

  /**
   * Ends the attempt: CANCELLED if a cancel was requested (the worker's acknowledgement), QUEUED
   * after a backoff if retryable with attempts left, FAILED otherwise.
   */
  public Job fail(
      Principal principal,
      UUID id,
      String token,
      String error,
      boolean retryable,
      Duration retryAfter) {
    for (int i = 0; i < MAX_CAS_TRIES; i++) {
      Job job = find(id);
      if (!job.state().isLeased() || !Objects.equals(token, job.leaseToken())) {
        break;
      }
      State target =
          JobStateMachine.afterFailedAttempt(
              id.toString(), job.state(), retryable, job.cancelRequested(), job.attempt(), job.maxAttempts());
      long delayMs = State.CLAIMABLE.contains(target) ? backoff.afterAttempt(job.attempt(), retryAfter).toMillis() : 0;
      String message = target == State.CANCELLED && error.isEmpty() ? "cancelled" : error;
      List<Job> ended =
          endings.endNow(
              List.of(
                  new Ending(id, Set.of(job.state()), token, LeaseCondition.LIVE, job.cancelRequested(), target, null,
                      message, delayMs, true, principal.name(), null, retryable)));
      if (!ended.isEmpty()) {
        return ended.get(0);
      }
    }
    return repeatedOrLeaseLost(id, token, job -> failureDiffers(job, error, retryable));
  }

  /** What differs between the completion that finished {@code job} and a repeat {@code x}; null: nothing. */
  private String completionDiffers(Job job, Ending x) {
    if (job.state() != x.target()) {
      return "outcome";
    }
    if (!job.errorMessage().equals(x.message())) {
      return "error message";
    }
    return db.autocommit(c -> jobs.hasResult(c, job.id(), x.resultJson())) ? null : "result";
  }

  /** What differs between the FailJob that finished {@code job} and a repeat; null: nothing. */
  private static String failureDiffers(Job job, String error, boolean retryable) {
    if (job.state() != State.FAILED && job.state() != State.CANCELLED) {
      return "outcome";
    }
    String message = job.state() == State.CANCELLED && error.isEmpty() ? "cancelled" : error;
    if (!job.errorMessage().equals(message)) {
      return "error message";
    }
    return Boolean.valueOf(retryable).equals(job.failedRetryable()) ? null : "retryable flag";
  }

  /**
   * RUNNING → SERVING: the service is up at {@code endpoints}. The same report repeated by the same
   * lease gets the job back; a serving job reporting other endpoints, or a job no longer in a
   * state that may serve, is an invalid transition; a lost lease is LEASE_LOST.
   */
  public Job reportServing(Principal principal, UUID id, String token, List<Endpoint> endpoints, String message) {
    String eventMessage =
        "serving at " + String.join(", ", endpoints.stream().map(e -> e.uri() + " (" + e.name() + ")").toList())
            + (message.isEmpty() ? "" : ": " + message);
    Optional<Job> serving =
        db.autocommit(c -> leases.serve(c, id, token, endpoints, message, eventMessage, principal.name()));
    if (serving.isPresent()) {
      publisher.eventAppended(serving.get());
      return serving.get();
    }
    Job job = find(id);
    boolean live = job.state().isLeased() && Objects.equals(token, job.leaseToken())
        && job.leaseExpireTime() != null && job.leaseExpireTime().isAfter(java.time.Instant.now());
    if (!live) {
      throw new LeaseLostException(id.toString(), job.state());
    }
    if (job.state() == State.SERVING && job.endpoints().equals(endpoints)) {
      return job; // the same report repeated
    }
    throw new InvalidTransitionException(id.toString(), job.state(), State.SERVING);
  }

  public Asset addAsset(Principal principal, UUID id, String token, Asset asset) {
    Asset added =
        db.autocommit(c -> assets.add(c, id, token, asset, principal.name()))
            .orElseThrow(leaseLost(id));
    publisher.eventAppended(find(id));
    return added;
  }


  /**
   * Explains a finishing call that changed nothing: the lease that finished the job repeating the
   * same call gets the finished job (safe to retry); the same lease with a call that differs
   * ({@code difference} names what, or is null) is refused, and so is any other token.
   */
  private Job repeatedOrLeaseLost(UUID id, String token, Function<Job, String> difference) {
    Job job = find(id);
    if (!job.state().isTerminal() || !Objects.equals(token, job.leaseToken())) {
      throw new LeaseLostException(id.toString(), job.state());
    }
    String differs = difference.apply(job);
    if (differs != null) {
      throw LeaseLostException.finishedDifferently(id.toString(), job.state(), differs);
    }
    return job;
  }

  private Supplier<LeaseLostException> leaseLost(UUID id) {
    return () -> new LeaseLostException(id.toString(), find(id).state());
  }

  private Job find(UUID id) {
    return db.autocommit(c -> jobs.find(c, id, null))
        .orElseThrow(() -> new JobNotFoundException(id.toString()));
  }
}
