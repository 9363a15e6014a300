package io.overseer.server.store;

import static io.overseer.server.store.Rows.allJobs;
import static io.overseer.server.store.Rows.atMostOneJob;

import io.overseer.server.domain.Endpoint;
import io.overseer.server.domain.Job;
import io.overseer.server.domain.JobEvent.EventKind;
import io.overseer.server.domain.JobStateMachine;
import io.overseer.server.domain.State;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The SQL of leased jobs: heartbeats, the one statement that ends jobs, and the scans that find
 * leases maintenance must end. Claims are in {@link ClaimRepository}.
 *
 * <p>A lease is fenced by its token: every worker write matches {@code lease_token = ?} and, for
 * live leases, {@code lease_expires_at > now()} on the database clock. A new claim writes a new
 * token, so an older attempt's token can never match again.
 */
public final class LeaseRepository {
  /** The leased states, for scans on the jobs_running index (V6: {@code lease_ms > 0}). */
  private static final String LEASED = StateSql.in("state", State.LEASED) + " AND lease_ms > 0";

  private static final String HEARTBEAT =
      "WITH input AS (SELECT ?::int AS progress, ?::text AS stage, ?::text AS message,"
          + " ?::bigint AS lease_ms),"
          + " cur AS (SELECT j.id, coalesce(i.progress, j.progress) AS new_progress,"
          + " coalesce(i.stage, j.stage) AS new_stage, coalesce(i.message, j.message) AS new_message,"
          + " (coalesce(i.progress, j.progress), coalesce(i.stage, j.stage),"
          + " coalesce(i.message, j.message)) IS DISTINCT FROM (j.progress, j.stage, j.message)"
          + " AS changed, coalesce(i.lease_ms, j.lease_ms) AS extend_ms"
          + " FROM jobs j, input i WHERE j.id = ? AND j.state = ANY(?::text[]) AND j.lease_token = ?"
          + " AND j.lease_expires_at > now() FOR UPDATE OF j),"
          + " t AS (UPDATE jobs j SET progress = cur.new_progress, stage = cur.new_stage,"
          + " message = cur.new_message, lease_expires_at = now() + cur.extend_ms * interval '1 millisecond',"
          + " update_time = CASE WHEN cur.changed THEN now() ELSE j.update_time END,"
          + " last_sequence = j.last_sequence + cur.changed::int"
          + " FROM cur WHERE j.id = cur.id RETURNING j.*, cur.changed)"
          + EventInsert.of(EventKind.PROGRESS).where("t.changed").andReturnJobs();

  /**
   * Ends a batch of jobs, each by its own compare-and-set: its from-states, and its lease as the
   * ending requires. The from-states come in per row (as text) rather than as constants, so that
   * the planner cannot join through a partial index of a state (reading all of it, dead entries
   * included) when stale statistics say it is empty; each job is fetched by id.
   */
  private static final String END_ALL =
      "WITH input AS (SELECT * FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::boolean[],"
          + " ?::text[], ?::text[], ?::text[], ?::int[], ?::bigint[], ?::boolean[], ?::boolean[], ?::boolean[],"
          + " ?::text[], ?::text[], ?::boolean[])"
          + " AS u(id, sources, token, lease, cancel_requested, target, result, message, progress, delay_ms,"
          + " keep_token, cancelled, terminal, actor, worker, failed_retryable)),"
          + " t AS (UPDATE jobs j SET previous_state = j.state, state = i.target,"
          + " result = coalesce(i.result::jsonb, j.result), error_message = i.message,"
          + " progress = coalesce(i.progress, j.progress),"
          + " run_at = CASE WHEN i.delay_ms IS NULL THEN j.run_at ELSE now() + i.delay_ms * interval '1 millisecond' END,"
          + " lease_token = CASE WHEN i.keep_token THEN j.lease_token END, lease_expires_at = NULL,"
          + " cancel_requested = j.cancel_requested OR i.cancelled,"
          + " cancel_requested_at = CASE WHEN i.cancelled THEN coalesce(j.cancel_requested_at, now()) ELSE j.cancel_requested_at END,"
          + " finish_time = CASE WHEN i.terminal THEN now() END, update_time = now(),"
          + " failed_retryable = i.failed_retryable,"
          + " last_sequence = j.last_sequence + 1"
          + " FROM input i WHERE j.id = i.id AND j.state = ANY(string_to_array(i.sources, ','))"
          + " AND (CASE i.lease WHEN 'LIVE' THEN j.lease_token = i.token AND j.lease_expires_at > now()"
          + " WHEN 'EXPIRED' THEN j.lease_token = i.token AND j.lease_expires_at <= now()"
          + " WHEN 'ANY' THEN j.lease_token = i.token ELSE true END)"
          + " AND (i.cancel_requested IS NULL OR j.cancel_requested = i.cancel_requested)"
          + " RETURNING j.*, i.actor AS event_actor, i.worker AS event_worker)"
          + EventInsert.of(EventKind.STATE_CHANGED)
              .message("t.error_message")
              .actor("t.event_actor")
              .workerId("coalesce(t.event_worker, t.worker_id)")
              .andReturnJobs();

  private static final String GENERIC_PLAN = "SET LOCAL plan_cache_mode = force_generic_plan";

  private static final String EXPIRED_LEASES =
      "SELECT * FROM jobs WHERE " + LEASED + " AND lease_expires_at <= now() ORDER BY lease_expires_at LIMIT ?";

  private static final String TIMED_OUT =
      "SELECT * FROM jobs WHERE " + StateSql.in("state", State.TIMED) + " AND lease_ms > 0 AND timeout_ms IS NOT NULL"
          + " AND attempt_started_at + timeout_ms * interval '1 millisecond' <= now() LIMIT ?";

  private static final String CANCEL_GRACE_EXPIRED =
      "SELECT * FROM jobs WHERE " + StateSql.in("state", JobStateMachine.sources(State.CANCELLED, State.LEASED))
          + " AND lease_ms > 0 AND cancel_requested AND cancel_requested_at + ? * interval '1 millisecond' <= now() LIMIT ?";

  private static final String STOP_GRACE_EXPIRED =
      "SELECT * FROM jobs WHERE " + StateSql.in("state", Set.of(State.STOPPING))
          + " AND lease_ms > 0 AND stop_requested_at + ? * interval '1 millisecond' <= now() LIMIT ?";

  /**
   * A leased job's service is up: SERVING at its endpoints, under the live lease. The event's
   * message names them.
   */
  private static final String SERVE =
      "WITH t AS (UPDATE jobs SET previous_state = state, state = ?, endpoints = ?::jsonb,"
          + " message = CASE WHEN ? = '' THEN message ELSE ? END, update_time = now(),"
          + " last_sequence = last_sequence + 1"
          + " WHERE id = ? AND state = ANY(?::text[]) AND lease_token = ? AND lease_expires_at > now()"
          + " RETURNING *)"
          + EventInsert.of(EventKind.STATE_CHANGED).message("?").andReturnJobs();

  /** Which lease an ending requires. */
  public enum LeaseCondition {
    /** A worker call: the token's lease must not have expired. */
    LIVE,
    /** Orphan recovery: the token's lease must have expired (a heartbeat may have just extended it). */
    EXPIRED,
    /** Timeouts and forced cancels: the token's attempt is over whatever its lease. */
    ANY,
    /** The job holds no lease (a queued job cancelled): the token is not looked at. */
    NONE
  }

  /**
   * One job to end: a compare-and-set on {@code from} (the states it may be in), its lease by
   * {@code lease}, and, unless null, the cancel flag the decision was made on.
   *
   * @param resultJson null keeps the stored result
   * @param message the error message written to the job, and its event's message
   * @param retryDelayMs for a target a claim takes from: claimable after this long; else ignored
   * @param keepToken the worker ended it: its token stays, so the same call may be repeated
   * @param workerId the event's worker id; null: the job's own worker
   * @param failedRetryable a worker's FailJob: its retryable flag, kept with the job so that only
   *     the same call repeated gets the finished job back; else null
   */
  public record Ending(
      UUID id,
      Set<State> from,
      String leaseToken,
      LeaseCondition lease,
      Boolean cancelRequested,
      State target,
      String resultJson,
      String message,
      long retryDelayMs,
      boolean keepToken,
      String actor,
      String workerId,
      Boolean failedRetryable) {
    /** Whether the job keeps this token: a worker ended it for good, and may repeat the call. */
    public boolean keepsToken() {
      return keepToken && target.isTerminal();
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
      int i = 0;
      Rows.setInt(ps, ++i, progress);
      ps.setString(++i, stage);
      ps.setString(++i, message);
      Rows.setLong(ps, ++i, leaseMs);
      ps.setObject(++i, id);
      ps.setArray(++i, StateSql.array(c, State.LEASED));
      ps.setString(++i, leaseToken);
      ps.setString(++i, actor);
      return atMostOneJob(ps);
    }
  }

  /**
   * Applies the endings whose compare-and-set holds, in one statement, with a STATE_CHANGED event
   * each; returns the jobs that changed (each with its {@code previousState}). Input is sorted by
   * id so that two batches lock shared rows in the same order. Run it in a transaction: it plans
   * generically (a custom plan, PostgreSQL's choice since it knows each batch's length, cost more
   * to plan than to run; the generic plan fetches each job by id just the same).
   */
  public List<Job> endAll(Connection c, List<Ending> endings) throws SQLException {
    List<Ending> sorted = new ArrayList<>(endings);
    sorted.sort(Comparator.comparing(Ending::id));
    int n = sorted.size();
    Object[] ids = new Object[n];
    String[] sources = new String[n];
    String[] tokens = new String[n];
    String[] leases = new String[n];
    Boolean[] cancelFlags = new Boolean[n];
    String[] targets = new String[n];
    String[] results = new String[n];
    String[] messages = new String[n];
    Integer[] progress = new Integer[n];
    Long[] delays = new Long[n];
    Boolean[] keepTokens = new Boolean[n];
    Boolean[] cancelled = new Boolean[n];
    Boolean[] terminal = new Boolean[n];
    String[] actors = new String[n];
    String[] workers = new String[n];
    Boolean[] failedRetryable = new Boolean[n];
    for (int k = 0; k < n; k++) {
      Ending e = sorted.get(k);
      ids[k] = e.id();
      sources[k] = StateSql.joined(e.from());
      tokens[k] = e.leaseToken();
      leases[k] = e.lease().name();
      cancelFlags[k] = e.cancelRequested();
      targets[k] = e.target().name();
      results[k] = e.resultJson();
      messages[k] = e.message();
      progress[k] = e.target() == State.COMPLETED ? 100 : null;
      delays[k] = State.CLAIMABLE.contains(e.target()) ? e.retryDelayMs() : null;
      keepTokens[k] = e.keepsToken();
      cancelled[k] = e.target() == State.CANCELLED;
      terminal[k] = e.target().isTerminal();
      actors[k] = e.actor();
      workers[k] = e.workerId();
      failedRetryable[k] = e.failedRetryable();
    }
    try (PreparedStatement generic = c.prepareStatement(GENERIC_PLAN)) {
      generic.execute();
    }
    try (PreparedStatement ps = c.prepareStatement(END_ALL)) {
      int i = 0;
      ps.setArray(++i, c.createArrayOf("uuid", ids));
      ps.setArray(++i, c.createArrayOf("text", sources));
      ps.setArray(++i, c.createArrayOf("text", tokens));
      ps.setArray(++i, c.createArrayOf("text", leases));
      ps.setArray(++i, c.createArrayOf("bool", cancelFlags));
      ps.setArray(++i, c.createArrayOf("text", targets));
      ps.setArray(++i, c.createArrayOf("text", results));
      ps.setArray(++i, c.createArrayOf("text", messages));
      ps.setArray(++i, c.createArrayOf("int4", progress));
      ps.setArray(++i, c.createArrayOf("int8", delays));
      ps.setArray(++i, c.createArrayOf("bool", keepTokens));
      ps.setArray(++i, c.createArrayOf("bool", cancelled));
      ps.setArray(++i, c.createArrayOf("bool", terminal));
      ps.setArray(++i, c.createArrayOf("text", actors));
      ps.setArray(++i, c.createArrayOf("text", workers));
      ps.setArray(++i, c.createArrayOf("bool", failedRetryable));
      return allJobs(ps);
    }
  }

  /** RUNNING → SERVING under a live lease; empty if the lease or the state did not allow it. */
  public Optional<Job> serve(Connection c, UUID id, String leaseToken, List<Endpoint> endpoints, String message,
      String eventMessage, String actor) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(SERVE)) {
      int i = 0;
      ps.setString(++i, State.SERVING.name());
      ps.setString(++i, Rows.endpointsJson(endpoints));
      ps.setString(++i, message);
      ps.setString(++i, message);
      ps.setObject(++i, id);
      ps.setArray(++i, StateSql.array(c, JobStateMachine.sources(State.SERVING, State.LEASED)));
      ps.setString(++i, leaseToken);
      ps.setString(++i, eventMessage);
      ps.setString(++i, actor);
      return atMostOneJob(ps);
    }
  }

  public List<Job> stopGraceExpired(Connection c, long graceMs, int limit) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(STOP_GRACE_EXPIRED)) {
      ps.setLong(1, graceMs);
      ps.setInt(2, limit);
      return allJobs(ps);
    }
  }

  public List<Job> expiredLeases(Connection c, int limit) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(EXPIRED_LEASES)) {
      ps.setInt(1, limit);
      return allJobs(ps);
    }
  }

  public List<Job> timedOut(Connection c, int limit) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(TIMED_OUT)) {
      ps.setInt(1, limit);
      return allJobs(ps);
    }
  }

  public List<Job> cancelGraceExpired(Connection c, long graceMs, int limit) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(CANCEL_GRACE_EXPIRED)) {
      ps.setLong(1, graceMs);
      ps.setInt(2, limit);
      return allJobs(ps);
    }
  }
}
