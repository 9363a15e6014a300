package io.overseer.server.store;

import static io.overseer.server.store.Rows.allJobs;
import static io.overseer.server.store.Rows.atMostOneJob;

import io.overseer.server.domain.Job;
import io.overseer.server.domain.JobEvent.EventKind;
import io.overseer.server.domain.State;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The claim path's SQL: claims under {@link ClaimRules}, the undo of a claim nobody received, and
 * the explanation of a job the rules hold back.
 */
public final class ClaimRepository {

  /**
   * The claim, with the queue condition as a parameter of the text: each variant lets PostgreSQL
   * read a claimable-set index in claim order and stop after LIMIT rows (a generic
   * {@code cardinality(?) = 0 OR queue = ANY(?)} made it read and sort the whole backlog). Times
   * are the statement's, not the transaction's: a claim of a limited queue runs after waiting for
   * the queue's row lock, and its lease, start time and event must not predate that wait.
   */
  private static String claim(String queueCondition) {
    return "WITH picked AS (SELECT id FROM jobs j WHERE " + ClaimRules.ROW_RULES_HOLD
        + queueCondition
        + " AND (cardinality(?::text[]) = 0 OR type = ANY(?::text[]))"
        + " ORDER BY " + ClaimRules.ORDER + " LIMIT ? FOR UPDATE SKIP LOCKED),"
        + " t AS (UPDATE jobs j SET previous_state = j.state, state = ?, attempt = j.attempt + 1,"
        + " progress = 0, stage = '', message = '', error_message = '', worker_id = ?,"
        + " lease_token = (j.attempt + 1) || '.' || replace(gen_random_uuid()::text, '-', ''),"
        + " lease_ms = ?, lease_expires_at = statement_timestamp() + ? * interval '1 millisecond',"
        + " attempt_started_at = statement_timestamp(), start_time = coalesce(j.start_time, statement_timestamp()),"
        + " update_time = statement_timestamp(), last_sequence = j.last_sequence + 1"
        // no state test here: picked's rows are locked, so still claimable, and a test of state
        // would let the planner join through the claimable index (reading all of it) when its
        // statistics say the queue is empty, instead of fetching each picked row by id
        + " FROM picked WHERE j.id = picked.id RETURNING j.*)"
        + EventInsert.of(EventKind.STATE_CHANGED).message("'claimed'").sql()
        + " SELECT * FROM t ORDER BY " + ClaimRules.ORDER;
  }

  /** Every queue but the excluded ones (index jobs_claimable). */
  private static final String CLAIM_ANY_QUEUE = claim(" AND NOT (queue = ANY(?::text[]))");
  /** One queue (index jobs_claimable_by_queue). */
  private static final String CLAIM_ONE_QUEUE = claim(" AND queue = ?");
  /** Several queues. */
  private static final String CLAIM_SOME_QUEUES = claim(" AND queue = ANY(?::text[])");

  /**
   * Undoes a claim whose caller went away before it got the leases: claimable again at once, and
   * the attempt it never ran is given back.
   */
  private static final String RELEASE =
      "WITH t AS (UPDATE jobs SET previous_state = state, state = ?, attempt = attempt - 1,"
          + " start_time = CASE WHEN attempt = 1 THEN NULL ELSE start_time END,"
          + " lease_token = NULL, lease_expires_at = NULL, attempt_started_at = NULL,"
          + " update_time = now(), last_sequence = last_sequence + 1"
          + " WHERE id = ? AND state = ? AND lease_token = ? RETURNING *)"
          + EventInsert.of(EventKind.STATE_CHANGED).message("?").andReturnJobs();

  private static final String COUNT_LEASED_IN_QUEUE =
      "SELECT " + ClaimRules.LEASED_IN_QUEUE + " FROM (SELECT ?::text AS name) q";

  private static final String HELD_BACK_BY =
      "SELECT " + ClaimRules.REASONS_HELD_BACK + " FROM jobs j WHERE j.id = ?";

  /** The claim order ({@link ClaimRules#ORDER}) of jobs, to merge the results of several claims. */
  public static final Comparator<Job> CLAIM_ORDER = ClaimRules.ORDER_OF_JOBS;

  /** What a claim asks for. Queues in {@code excludedQueues} are claimed under their limit separately. */
  public record ClaimQuery(
      List<String> queues,
      List<String> types,
      List<String> excludedQueues,
      int limit,
      String workerId,
      long leaseMs,
      String actor) {}

  /** Claims up to {@code q.limit()} claimable jobs in one statement, in claim order. */
  public List<Job> claim(Connection c, ClaimQuery q) throws SQLException {
    String sql = q.queues().isEmpty() ? CLAIM_ANY_QUEUE : q.queues().size() == 1 ? CLAIM_ONE_QUEUE : CLAIM_SOME_QUEUES;
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      Array types = c.createArrayOf("text", q.types().toArray(String[]::new));
      int i = 0;
      if (q.queues().isEmpty()) {
        ps.setArray(++i, c.createArrayOf("text", q.excludedQueues().toArray(String[]::new)));
      } else if (q.queues().size() == 1) {
        ps.setString(++i, q.queues().get(0));
      } else {
        ps.setArray(++i, c.createArrayOf("text", q.queues().toArray(String[]::new)));
      }
      ps.setArray(++i, types);
      ps.setArray(++i, types);
      ps.setInt(++i, q.limit());
      ps.setString(++i, State.CLAIMED.name());
      ps.setString(++i, q.workerId());
      ps.setLong(++i, q.leaseMs());
      ps.setLong(++i, q.leaseMs());
      ps.setString(++i, q.actor());
      return allJobs(ps); // in claim order: the statement sorts its result
    }
  }

  /** Makes a claimed job claimable again; empty if it changed since the claim. */
  public Optional<Job> release(Connection c, Job claimed, String reason, String actor) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(RELEASE)) {
      int i = 0;
      ps.setString(++i, claimed.previousState().name()); // back where the claim took it from
      ps.setObject(++i, claimed.id());
      ps.setString(++i, claimed.state().name());
      ps.setString(++i, claimed.leaseToken());
      ps.setString(++i, reason);
      ps.setString(++i, actor);
      return atMostOneJob(ps);
    }
  }

  /**
   * Lets this transaction commit without waiting for its WAL flush (--async-claim-commit); the
   * commits after it still wait for theirs, which covers this one's WAL too.
   */
  public void commitWithoutFlush(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SET LOCAL synchronous_commit = off")) {
      ps.execute();
    }
  }

  /** The queue's jobs that hold a slot of its concurrency limit. */
  public int countLeased(Connection c, String queue) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(COUNT_LEASED_IN_QUEUE)) {
      ps.setString(1, queue);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /**
   * The reason codes of the claim rules that hold the job back now (empty: a claim may take it);
   * empty Optional if there is no such job.
   */
  public Optional<List<String>> heldBackBy(Connection c, UUID id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(HELD_BACK_BY)) {
      ps.setObject(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(List.of((String[]) rs.getArray(1).getArray()));
      }
    }
  }
}
