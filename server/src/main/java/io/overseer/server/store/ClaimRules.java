package io.overseer.server.store;

import io.overseer.server.domain.Job;
import io.overseer.server.domain.State;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What decides whether a job may be claimed now, and in which order: each rule is a named SQL
 * condition over the jobs row {@code j}, with the reason code a job held back by it is given. The
 * claim ANDs the row rules into its scan; the queue rules hold per queue and are applied by the
 * claim under the queue's row lock (a count cannot be a per-row filter of one statement that claims
 * several rows); {@link ClaimRepository#heldBackBy} evaluates every rule for one job. So the
 * explanation of a waiting job and the claim's behaviour come from the same text.
 *
 * <p>To add a rule: add it to {@link #ROW_RULES} (or {@link #QUEUE_RULES} with its application in
 * the claim), with its reason code.
 */
final class ClaimRules {
  /**
   * A condition that must hold for a job to be claimed, and the reason code (an SQL expression
   * over {@code j}) when it does not.
   */
  record Rule(String name, String holds, String reasonWhenNot) {}

  /** Running jobs of the queue {@code q.name}, as the queue limit counts them (index jobs_running). */
  static final String LEASED_IN_QUEUE =
      "(SELECT count(*) FROM jobs r WHERE r.queue = q.name AND " + StateSql.in("r.state", State.LEASED)
          + " AND r.lease_ms > 0)";

  /** Held back by the job itself: its state and its run_at. */
  static final List<Rule> ROW_RULES =
      List.of(
          new Rule("claimable state", StateSql.in("j.state", State.CLAIMABLE), "'NOT_CLAIMABLE'"),
          new Rule(
              "run_at reached",
              "j.run_at <= statement_timestamp()",
              "CASE WHEN j.attempt > 0 THEN 'BACKOFF' ELSE 'RUN_AT_IN_FUTURE' END"));

  /** Held back by its queue's settings (table queues). */
  static final List<Rule> QUEUE_RULES =
      List.of(
          new Rule(
              "queue concurrency limit",
              "NOT EXISTS (SELECT 1 FROM queues q WHERE q.name = j.queue AND q.concurrency_limit > 0"
                  + " AND " + LEASED_IN_QUEUE + " >= q.concurrency_limit)",
              "'QUEUE_CONCURRENCY_LIMIT'"));

  /**
   * The claim order: higher priority first, then earlier run_at, then FIFO by insertion. The
   * claimable-set indexes are in this order, so a claim reads them from the front and stops.
   */
  static final String ORDER = "priority DESC, run_at, seq";

  /** {@link #ORDER} in Java, to merge the results of several claims. */
  static final Comparator<Job> ORDER_OF_JOBS =
      Comparator.comparingInt(Job::priority).reversed().thenComparing(Job::runAt).thenComparingLong(Job::seq);

  /** The row rules, ANDed: the claim's scan condition. */
  static final String ROW_RULES_HOLD =
      ROW_RULES.stream().map(r -> "(" + r.holds() + ")").collect(Collectors.joining(" AND "));

  /** An array of the reason codes of the rules that do not hold for {@code j}. */
  static final String REASONS_HELD_BACK =
      "array_remove(ARRAY["
          + java.util.stream.Stream.concat(ROW_RULES.stream(), QUEUE_RULES.stream())
              .map(r -> "CASE WHEN NOT (" + r.holds() + ") THEN " + r.reasonWhenNot() + " END")
              .collect(Collectors.joining(", "))
          + "]::text[], NULL)";

  private ClaimRules() {}
}
