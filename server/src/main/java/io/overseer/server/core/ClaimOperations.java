package io.overseer.server.core;

import io.overseer.server.domain.Job;
import io.overseer.server.domain.Principal;
import io.overseer.server.signal.Signals;
import io.overseer.server.store.Database;
import io.overseer.server.store.ClaimRepository;
import io.overseer.server.store.ClaimRepository.ClaimQuery;
import io.overseer.server.store.QueueRepository;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

/**
 * Claims jobs for a worker, long-polling when none is ready.
 *
 * <p>A waiting claimer reads the signal generation before it tries, so a job that becomes ready
 * between its empty claim and its wait still wakes it. Signals come from this node at once and
 * from other nodes through NOTIFY; the safety poll covers a lost notification.
 *
 * <p>Queues with a concurrency limit are claimed holding their row of the queues table locked for
 * the claim's transaction: the count of leased jobs and the claim cannot interleave with another
 * claimer of that queue on any node, so the limit holds. What may be claimed, and in which order,
 * is {@code store.ClaimRules}.
 */
public final class ClaimOperations {
  private final Database db;
  private final ClaimRepository claims;
  private final QueueRepository queues;
  private final Signals signals;
  private final TransitionPublisher publisher;
  private final Map<String, Integer> queueLimits;
  private final Duration safetyPoll;
  private final boolean asyncCommit;

  /** What a worker asks for; empty queues or types mean all. */
  public record ClaimRequest(String workerId, List<String> queues, List<String> types, int maxJobs, Duration lease) {}

  public ClaimOperations(
      Database db,
      ClaimRepository claims,
      QueueRepository queues,
      Signals signals,
      TransitionPublisher publisher,
      Map<String, Integer> queueLimits,
      Duration safetyPoll,
      boolean asyncCommit) {
    this.db = db;
    this.claims = claims;
    this.queues = queues;
    this.signals = signals;
    this.publisher = publisher;
    this.queueLimits = new TreeMap<>(queueLimits); // sorted: locks are always taken in one order
    this.safetyPoll = safetyPoll;
    this.asyncCommit = asyncCommit;
  }

  /**
   * Claims up to maxJobs jobs, waiting until {@code waitUntilNanos} (System.nanoTime) for one.
   *
   * <p>{@code callerGone} says the caller stopped waiting (its call was cancelled): the claim then
   * returns empty without claiming, and jobs claimed at that very moment are put back, so a worker
   * that went away never takes a job, or one of its attempts, with it. Call {@link #wakeWaiters}
   * when a caller goes away so that its wait ends at once.
   */
  public List<Job> claim(
      Principal principal, ClaimRequest request, long waitUntilNanos, BooleanSupplier callerGone)
      throws InterruptedException {
    while (true) {
      long seen = signals.generation();
      if (callerGone.getAsBoolean() || signals.isClosed()) {
        return List.of(); // the caller left, or the node is shutting down: claim nothing more
      }
      List<Job> claimed = claimOnce(principal, request);
      if (!claimed.isEmpty() && callerGone.getAsBoolean()) {
        release(claimed);
        return List.of();
      }
      claimed.forEach(publisher::claimed); // watchers see the claim at once
      long left = waitUntilNanos - System.nanoTime();
      if (!claimed.isEmpty() || left <= 0) {
        return claimed;
      }
      Duration nap = Duration.ofNanos(Math.min(left, safetyPoll.toNanos()));
      signals.awaitChange(request.queues(), seen, nap);
    }
  }

  /** Writes the configured limits (--queue-limit) to their queues' rows; call once at start. */
  public void applyConfiguredLimits() {
    db.transaction(c -> {
      for (Map.Entry<String, Integer> limit : queueLimits.entrySet()) {
        queues.setConcurrencyLimit(c, limit.getKey(), limit.getValue());
      }
      return null;
    });
  }

  /** Wakes the claims waiting on this node, e.g. so that one whose caller went away returns. */
  public void wakeWaiters() {
    signals.wakeWaiters();
  }

  private void release(List<Job> claimed) {
    for (Job job : claimed) {
      db.autocommit(c -> claims.release(c, job, "claim abandoned: the worker went away", Principal.SYSTEM))
          .ifPresent(publisher::ended);
    }
  }

  private List<Job> claimOnce(Principal principal, ClaimRequest r) {
    long leaseMs = r.lease().toMillis();
    if (queueLimits.isEmpty() && !asyncCommit) {
      return db.autocommit(
          c -> claims.claim(c, query(r, r.queues(), List.of(), r.maxJobs(), leaseMs, principal)));
    }
    return db.transaction(c -> {
      if (asyncCommit) {
        claims.commitWithoutFlush(c);
      }
      return claimWithLimits(c, principal, r, leaseMs);
    });
  }

  private List<Job> claimWithLimits(Connection c, Principal principal, ClaimRequest r, long leaseMs)
      throws SQLException {
    List<Job> claimed = new ArrayList<>();
    List<String> unlimited = new ArrayList<>(r.queues());
    for (String queue : queueLimits.keySet()) {
      if (!r.queues().isEmpty() && !r.queues().contains(queue)) {
        continue;
      }
      unlimited.remove(queue);
      if (claimed.size() >= r.maxJobs()) {
        continue;
      }
      int limit = lockLimit(c, queue);
      int room = Math.min(r.maxJobs() - claimed.size(), limit - claims.countLeased(c, queue));
      if (room > 0) {
        claimed.addAll(claims.claim(c, query(r, List.of(queue), List.of(), room, leaseMs, principal)));
      }
    }
    int left = r.maxJobs() - claimed.size();
    boolean anyUnlimited = r.queues().isEmpty() || !unlimited.isEmpty();
    if (left > 0 && anyUnlimited) {
      List<String> excluded = List.copyOf(queueLimits.keySet());
      claimed.addAll(claims.claim(c, query(r, unlimited, excluded, left, leaseMs, principal)));
    }
    // each claim is in claim order; merge them
    claimed.sort(ClaimRepository.CLAIM_ORDER);
    return claimed;
  }

  /** Locks the queue's row for the rest of the transaction (re-creating a deleted one) and reads its limit. */
  private int lockLimit(Connection c, String queue) throws SQLException {
    OptionalInt limit = queues.lockConcurrencyLimit(c, queue);
    if (limit.isEmpty()) {
      queues.setConcurrencyLimit(c, queue, queueLimits.get(queue));
      limit = queues.lockConcurrencyLimit(c, queue);
    }
    return limit.orElseThrow();
  }

  private static ClaimQuery query(
      ClaimRequest r, List<String> queues, List<String> excluded, int limit, long leaseMs, Principal p) {
    return new ClaimQuery(queues, r.types(), excluded, limit, r.workerId(), leaseMs, p.name());
  }
}
