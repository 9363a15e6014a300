package io.overseer.server.store;

import static io.overseer.server.store.JobRepository.APPEND_EVENT_AND_RETURN;
import static io.overseer.server.store.JobRepository.all;
import static io.overseer.server.store.JobRepository.bindEvent;
import static io.overseer.server.store.JobRepository.one;

import io.overseer.server.domain.Job;
import io.overseer.server.domain.State;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The SQL of the job aggregate on the worker side: claims, heartbeats, completions, failures and
 * the revocations done by maintenance.
 *
 * <p>A lease is fenced by its token: every worker write matches {@code lease_token = ?} and, for
 * live leases, {@code lease_expires_at > now()} on the database clock. A new claim writes a new
 * token, so an older attempt's token can never match again.
 */
public final class LeaseRepository {

  /**
   * The claim. Times are the statement's, not the transaction's ({@code now()}): a claim of a
   * limited queue runs after waiting for the queue's lock, and its lease, start time and event
   * time must not predate that wait (nor the event before it).
   */
  /**
   * The claim, with the queue condition as a parameter of the text: each variant lets PostgreSQL
   * read a claimable-set index in claim order and stop after LIMIT rows (a generic
   * {@code cardinality(?) = 0 OR queue = ANY(?)} made it read and sort the whole backlog).
   */
  private static String claim(String queueCondition) {
    return "WITH picked AS (SELECT id FROM jobs"
        + " WHERE state = 'QUEUED' AND run_at <= statement_timestamp()"
        + queueCondition
        + " AND (cardinality(?::text[]) = 0 OR type = ANY(?::text[]))"
        + " ORDER BY priority DESC, run_at, seq LIMIT ? FOR UPDATE SKIP LOCKED),"
        + " t AS (UPDATE jobs j SET state = 'RUNNING', attempt = j.attempt + 1,"
        + " progress = 0, stage = '', message = '', error_message = '', worker_id = ?,"
        + " lease_token = (j.attempt + 1) || '.' || replace(gen_random_uuid()::text, '-', ''),"
        + " lease_ms = ?, lease_expires_at = statement_timestamp() + ? * interval '1 millisecond',"
        + " attempt_started_at = statement_timestamp(), start_time = coalesce(j.start_time, statement_timestamp()),"
        + " update_time = statement_timestamp(), last_sequence = j.last_sequence + 1"
        // no state test here: picked's rows are locked, so still QUEUED, and a test of state
        // would let the planner join through the claimable index (reading all of it) when its
        // statistics say the queue is empty, instead of fetching each picked row by id
        + " FROM picked WHERE j.id = picked.id RETURNING j.*)"
        + APPEND_EVENT_AND_RETURN
        + " ORDER BY priority DESC, run_at, seq";
  }

  /** Every queue but the excluded ones (index jobs_claimable). */
  private static final String CLAIM_ANY_QUEUE = claim(" AND NOT (queue = ANY(?::text[]))");
  /** One queue (index jobs_claimable_by_queue). */
  private static final String CLAIM_ONE_QUEUE = claim(" AND queue = ?");
  /** Several queues. */
  private static final String CLAIM_SOME_QUEUES = claim(" AND queue = ANY(?::text[])");

  /**
   * Undoes a claim whose caller went away before it got the leases: QUEUED again, claimable at
   * once, and the attempt it never ran is given back.
   */
  private static final String RELEASE =
      "WITH t AS (UPDATE jobs SET state = 'QUEUED', attempt = attempt - 1,"
          + " start_time = CASE WHEN attempt = 1 THEN NULL ELSE start_time END,"
          + " lease_token = NULL, lease_expires_at = NULL, attempt_started_at = NULL,"
          + " update_time = now(), last_sequence = last_sequence + 1"
          + " WHERE id = ? AND state = 'RUNNING' AND lease_token = ? RETURNING *)"
          + APPEND_EVENT_AND_RETURN;

  private static final String LOCK_QUEUE =
      "SELECT pg_advisory_xact_lock(hashtext('overseer.queue-limit'), hashtext(?))";

  private static final String COUNT_RUNNING =
      "SELECT count(*) FROM jobs WHERE state = 'RUNNING' AND lease_ms > 0 AND queue = ?"; // jobs_running (V6)

  private static final String HEARTBEAT =
      "WITH input AS (SELECT ?::int AS progress, ?::text AS stage, ?::text AS message,"
          + " ?::bigint AS lease_ms),"
          + " cur AS (SELECT j.id, coalesce(i.progress, j.progress) AS new_progress,"
          + " coalesce(i.stage, j.stage) AS new_stage, coalesce(i.message, j.message) AS new_message,"
          + " (coalesce(i.progress, j.progress), coalesce(i.stage, j.stage),"
          + " coalesce(i.message, j.message)) IS DISTINCT FROM (j.progress, j.stage, j.message)"
          + " AS changed, coalesce(i.lease_ms, j.lease_ms) AS extend_ms"
          + " FROM jobs j, input i WHERE j.id = ? AND j.state = 'RUNNING' AND j.lease_token = ?"
          + " AND j.lease_expires_at > now() FOR UPDATE OF j),"
          + " t AS (UPDATE jobs j SET progress = cur.new_progress, stage = cur.new_stage,"
          + " message = cur.new_message, lease_expires_at = now() + cur.extend_ms * interval '1 millisecond',"
          + " update_time = CASE WHEN cur.changed THEN now() ELSE j.update_time END,"
          + " last_sequence = j.last_sequence + cur.changed::int"
          + " FROM cur WHERE j.id = cur.id RETURNING j.*, cur.changed),"
          + " ev AS (INSERT INTO job_events (job_id, sequence, kind, state, previous_state, progress,"
          + " stage, message, actor, worker_id, time)"
          + " SELECT id, last_sequence, 'PROGRESS', state, NULL, progress, stage, message, ?, worker_id,"
          + " update_time FROM t WHERE changed)"
          + " SELECT * FROM t";

  /**
   * Completes a batch, each job under its own live lease; the event names each call's actor. The
   * state each job must be in (RUNNING) comes in with the input rather than as a constant, so
   * that the planner cannot join through the running-jobs index (reading all of it, dead entries
   * included) when stale statistics say nothing runs; each job is fetched by id.
   */
  private static final String COMPLETE_ALL =
      "WITH input AS (SELECT * FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])"
          + " AS u(id, token, target, result, error, actor, live)),"
          + " t AS (UPDATE jobs j SET state = i.target, result = i.result::jsonb, error_message = i.error,"
          + " progress = CASE WHEN i.target = 'COMPLETED' THEN 100 ELSE j.progress END, lease_expires_at = NULL,"
          + " finish_time = now(), update_time = now(), last_sequence = j.last_sequence + 1"
          + " FROM input i WHERE j.id = i.id AND j.state = i.live AND j.lease_token = i.token"
          + " AND j.lease_expires_at > now() RETURNING j.*, i.actor AS event_actor),"
          + " ev AS (INSERT INTO job_events (job_id, sequence, kind, state, previous_state, progress, stage,"
          + " message, actor, worker_id, time) SELECT id, last_sequence, 'STATE_CHANGED', state, 'RUNNING',"
          + " progress, stage, error_message, event_actor, worker_id, update_time FROM t)"
          + " SELECT * FROM t";

  private static final String GENERIC_PLAN = "SET LOCAL plan_cache_mode = force_generic_plan";

  /** The lease condition of {@link #END_ATTEMPT}, one per {@link LeaseCondition}. */
  private static final String END_ATTEMPT =
      "WITH t AS (UPDATE jobs SET state = ?, error_message = ?,"
          + " run_at = CASE WHEN ? = 'QUEUED' THEN now() + ? * interval '1 millisecond' ELSE run_at END,"
          + " lease_token = CASE WHEN ? THEN lease_token ELSE NULL END, lease_expires_at = NULL,"
          + " finish_time = CASE WHEN ? = 'QUEUED' THEN NULL ELSE now() END,"
          + " update_time = now(), last_sequence = last_sequence + 1"
          + " WHERE id = ? AND state = 'RUNNING' AND lease_token = ? AND cancel_requested = ?"
          + " AND (CASE ? WHEN 'LIVE' THEN lease_expires_at > now()"
          + " WHEN 'EXPIRED' THEN lease_expires_at <= now() ELSE true END)"
          + " RETURNING *)"
          + APPEND_EVENT_AND_RETURN;

  private static final String EXPIRED_LEASES =
      "SELECT * FROM jobs WHERE state = 'RUNNING' AND lease_ms > 0 AND lease_expires_at <= now()"
          + " ORDER BY lease_expires_at LIMIT ?";

  private static final String TIMED_OUT =
      "SELECT * FROM jobs WHERE state = 'RUNNING' AND lease_ms > 0 AND timeout_ms IS NOT NULL"
          + " AND attempt_started_at + timeout_ms * interval '1 millisecond' <= now() LIMIT ?";

  private static final String CANCEL_GRACE_EXPIRED =
      "SELECT * FROM jobs WHERE state = 'RUNNING' AND lease_ms > 0 AND cancel_requested"
          + " AND cancel_requested_at + ? * interval '1 millisecond' <= now() LIMIT ?";

  /** Which lease an attempt-ending write requires. */
  public enum LeaseCondition {
    /** A worker call: the lease must not have expired. */
    LIVE,
    /** Orphan recovery: the lease must have expired (a heartbeat may have just extended it). */
    EXPIRED,
    /** Timeouts and forced cancels: the attempt itself is over whatever its lease. */
    ANY
  }

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
      String[] types = q.types().toArray(String[]::new);
      int i = 0;
      if (q.queues().isEmpty()) {
        ps.setArray(++i, c.createArrayOf("text", q.excludedQueues().toArray(String[]::new)));
      } else if (q.queues().size() == 1) {
        ps.setString(++i, q.queues().get(0));
      } else {
        ps.setArray(++i, c.createArrayOf("text", q.queues().toArray(String[]::new)));
      }
      ps.setArray(++i, c.createArrayOf("text", types));
      ps.setArray(++i, c.createArrayOf("text", types));
      ps.setInt(++i, q.limit());
      ps.setString(++i, q.workerId());
      ps.setLong(++i, q.leaseMs());
      ps.setLong(++i, q.leaseMs());
      bindEvent(ps, i, "STATE_CHANGED", State.QUEUED, "claimed", q.actor(), q.workerId());
      return all(ps); // in claim order: the statement sorts its result
    }
  }

  /** Re-queues a claimed job whose lease never reached its worker; empty if it changed since. */
  public Optional<Job> release(Connection c, Job claimed, String reason, String actor) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(RELEASE)) {
      ps.setObject(1, claimed.id());
      ps.setString(2, claimed.leaseToken());
      bindEvent(ps, 2, "STATE_CHANGED", State.RUNNING, reason, actor, null);
      return one(ps);
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

  /** Serialises claimers of one limited queue until the transaction ends, on every node. */
  public void lockQueue(Connection c, String queue) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(LOCK_QUEUE)) {
      ps.setString(1, queue);
      ps.executeQuery().close();
    }
  }

  public int countRunning(Connection c, String queue) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(COUNT_RUNNING)) {
      ps.setString(1, queue);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /**
   * Extends a live lease and records progress (a PROGRESS event only when something changed).
   * Null progress, stage, message or leaseMs keep the current value. Empty if the lease is lost.
   */
  public Optional<Job> heartbeat(
      Connection c,
      UUID id,
      String leaseToken,
      Integer progress,
      String stage,
      String message,
      Long leaseMs,
      String actor)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(HEARTBEAT)) {
      Rows.setInt(ps, 1, progress);
      ps.setString(2, stage);
      ps.setString(3, message);
      Rows.setLong(ps, 4, leaseMs);
      ps.setObject(5, id);
      ps.setString(6, leaseToken);
      ps.setString(7, actor);
      return one(ps);
    }
  }

  /** A worker's CompleteJob: COMPLETED or PARTIAL. */
  public record Completion(UUID id, String leaseToken, State target, String resultJson, String errorMessage, String actor) {}

  /**
   * RUNNING → COMPLETED or PARTIAL for each completion whose lease is live, in one statement (so
   * one commit); the result holds the jobs that changed. Input is sorted by id so that two batches
   * lock shared rows in the same order.
   */
  public List<Job> completeAll(Connection c, List<Completion> batch) throws SQLException {
    List<Completion> sorted = new ArrayList<>(batch);
    sorted.sort(java.util.Comparator.comparing(Completion::id));
    int n = sorted.size();
    Object[] ids = new Object[n];
    String[] tokens = new String[n];
    String[] targets = new String[n];
    String[] results = new String[n];
    String[] errors = new String[n];
    String[] actors = new String[n];
    String[] live = new String[n]; // one value for every row, passed per row: see COMPLETE_ALL
    Arrays.fill(live, State.RUNNING.name());
    for (int k = 0; k < n; k++) {
      Completion x = sorted.get(k);
      ids[k] = x.id();
      tokens[k] = x.leaseToken();
      targets[k] = x.target().name();
      results[k] = x.resultJson();
      errors[k] = x.errorMessage();
      actors[k] = x.actor();
    }
    // a custom plan (PostgreSQL's choice: it knows each batch's length) cost more to plan than
    // to run; the generic plan fetches each job by id just the same
    try (PreparedStatement generic = c.prepareStatement(GENERIC_PLAN)) {
      generic.execute();
    }
    try (PreparedStatement ps = c.prepareStatement(COMPLETE_ALL)) {
      ps.setArray(1, c.createArrayOf("uuid", ids));
      ps.setArray(2, c.createArrayOf("text", tokens));
      ps.setArray(3, c.createArrayOf("text", targets));
      ps.setArray(4, c.createArrayOf("text", results));
      ps.setArray(5, c.createArrayOf("text", errors));
      ps.setArray(6, c.createArrayOf("text", actors));
      ps.setArray(7, c.createArrayOf("text", live));
      return all(ps);
    }
  }

  /**
   * Ends a running attempt without success: re-queued after {@code retryDelayMs}, FAILED or
   * CANCELLED. A compare-and-set on the attempt's token, its cancel flag and the lease condition;
   * empty if any of them changed. The token is kept only when the worker itself ended the job, so
   * that it may repeat the same call.
   */
  public Optional<Job> endAttempt(
      Connection c,
      Job attempt,
      LeaseCondition condition,
      State target,
      String errorMessage,
      long retryDelayMs,
      boolean keepToken,
      String actor,
      String workerId)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(END_ATTEMPT)) {
      int i = 0;
      ps.setString(++i, target.name());
      ps.setString(++i, errorMessage);
      ps.setString(++i, target.name());
      ps.setLong(++i, retryDelayMs);
      ps.setBoolean(++i, keepToken && target != State.QUEUED);
      ps.setString(++i, target.name());
      ps.setObject(++i, attempt.id());
      ps.setString(++i, attempt.leaseToken());
      ps.setBoolean(++i, attempt.cancelRequested());
      ps.setString(++i, condition.name());
      bindEvent(ps, i, "STATE_CHANGED", State.RUNNING, errorMessage, actor, workerId);
      return one(ps);
    }
  }

  public List<Job> expiredLeases(Connection c, int limit) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(EXPIRED_LEASES)) {
      ps.setInt(1, limit);
      return all(ps);
    }
  }

  public List<Job> timedOut(Connection c, int limit) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(TIMED_OUT)) {
      ps.setInt(1, limit);
      return all(ps);
    }
  }

  public List<Job> cancelGraceExpired(Connection c, long graceMs, int limit) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(CANCEL_GRACE_EXPIRED)) {
      ps.setLong(1, graceMs);
      ps.setInt(2, limit);
      return all(ps);
    }
  }
}
