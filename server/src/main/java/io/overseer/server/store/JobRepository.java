package io.overseer.server.store;

import static io.overseer.server.store.Rows.allJobs;
import static io.overseer.server.store.Rows.atMostOneJob;

import io.overseer.server.domain.Job;
import io.overseer.server.domain.JobEvent.EventKind;
import io.overseer.server.domain.NewJob;
import io.overseer.server.domain.State;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The SQL of the job aggregate on the caller side: creating, reading, listing and requesting a
 * cancel. Claims are in {@link ClaimRepository}; heartbeats and every ending (completion, failure,
 * retry, expiry, cancel) in {@link LeaseRepository}. Every write that changes a job appends its
 * event in the same statement ({@link EventInsert}).
 */
public final class JobRepository {

  private static final String INSERT_BATCH =
      "WITH t AS (INSERT INTO jobs (id, type, queue, state, params, priority, max_attempts,"
          + " timeout_ms, run_at, owner, labels, idempotency_key)"
          + " SELECT u.id, u.type, u.queue, ?, u.params::jsonb, u.priority, u.max_attempts,"
          + " u.timeout_ms, greatest(coalesce(u.run_at, now()), now()), ?, u.labels::jsonb, u.idem"
          + " FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::int[], ?::int[],"
          + " ?::bigint[], ?::timestamptz[], ?::text[], ?::text[])"
          + " AS u(id, type, queue, params, priority, max_attempts, timeout_ms, run_at, labels, idem)"
          // rows go in in key order, so concurrent batches sharing keys take the unique-index
          // locks in one order and wait for each other instead of deadlocking
          + " ORDER BY u.idem COLLATE \"C\""
          + " ON CONFLICT (owner, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING"
          + " RETURNING *)"
          + EventInsert.of(EventKind.STATE_CHANGED).message("'created'").actor("t.owner").workerId("''").andReturnJobs();

  private static final String FIND_BY_KEY =
      "SELECT *, params = ?::jsonb AS same_params FROM jobs WHERE owner = ? AND idempotency_key = ?";

  /** The jobs of many keys at once; k_ord is the 1-based position in the arrays. */
  private static final String FIND_BY_KEYS =
      "SELECT j.*, j.params = k.k_params::jsonb AS same_params, k.k_ord"
          + " FROM unnest(?::text[], ?::text[]) WITH ORDINALITY AS k(k_idem, k_params, k_ord)"
          + " JOIN jobs j ON j.owner = ? AND j.idempotency_key = k.k_idem";

  private static final String HAS_RESULT = "SELECT result = ?::jsonb FROM jobs WHERE id = ?";

  private static final String FIND =
      "SELECT * FROM jobs WHERE id = ? AND (?::text IS NULL OR owner = ?)";

  private static final String LIST =
      "SELECT * FROM jobs"
          + " WHERE (?::text IS NULL OR owner = ?)"
          + " AND (cardinality(?::text[]) = 0 OR state = ANY(?::text[]))"
          + " AND (?::text IS NULL OR type = ?)"
          + " AND (?::text IS NULL OR queue = ?)"
          + " AND labels @> ?::jsonb"
          + " AND (?::timestamptz IS NULL OR (create_time, id) < (?::timestamptz, ?::uuid))"
          + " ORDER BY create_time DESC, id DESC LIMIT ?";

  private static final String REQUEST_CANCEL =
      "WITH t AS (UPDATE jobs SET cancel_requested = true, cancel_requested_at = now(),"
          + " update_time = now(), last_sequence = last_sequence + 1"
          + " WHERE id = ? AND state = ANY(?::text[]) AND attempt = ? AND NOT cancel_requested"
          + " RETURNING *)"
          + EventInsert.of(EventKind.CANCEL_REQUESTED).message("?").workerId("''").andReturnJobs();

  /** A serving job asked to stop: STOPPING, with the request's time for the stop grace period. */
  private static final String REQUEST_STOP =
      "WITH t AS (UPDATE jobs SET previous_state = state, state = ?, stop_requested = true,"
          + " stop_requested_at = now(), update_time = now(), last_sequence = last_sequence + 1"
          + " WHERE id = ? AND state = ANY(?::text[]) AND attempt = ? RETURNING *)"
          + EventInsert.of(EventKind.STATE_CHANGED).message("?").workerId("''").andReturnJobs();

  private static final String COUNT_QUEUED =
      "SELECT count(*) FROM jobs WHERE owner = ? AND " + StateSql.in("state", State.CLAIMABLE)
          + " AND NOT cancel_requested"; // index jobs_owner_queued

  /** A job found by its idempotency key, and whether its params equal the new request's. */
  public record KeyedJob(Job job, boolean sameParams) {}

  /** Filters of ListJobs; null means "any". {@code after} is the keyset cursor. */
  public record ListQuery(
      String ownerScope,
      List<State> states,
      String type,
      String queue,
      Map<String, String> labels,
      Instant afterCreateTime,
      UUID afterId,
      int limit) {}

  /** Inserts all jobs in one statement; the result lacks the ones whose idempotency key was used. */
  public List<Job> insertBatch(Connection c, String owner, List<NewJob> jobs) throws SQLException {
    int n = jobs.size();
    Object[] ids = new Object[n];
    String[] types = new String[n];
    String[] queues = new String[n];
    String[] params = new String[n];
    Integer[] priorities = new Integer[n];
    Integer[] maxAttempts = new Integer[n];
    Long[] timeouts = new Long[n];
    java.sql.Timestamp[] runAts = new java.sql.Timestamp[n];
    String[] labels = new String[n];
    String[] keys = new String[n];
    for (int k = 0; k < n; k++) {
      NewJob j = jobs.get(k);
      ids[k] = j.id();
      types[k] = j.type();
      queues[k] = j.queue();
      params[k] = j.paramsJson();
      priorities[k] = j.priority();
      maxAttempts[k] = j.maxAttempts();
      timeouts[k] = j.timeout() == null ? null : j.timeout().toMillis();
      runAts[k] = j.runAt() == null ? null : java.sql.Timestamp.from(j.runAt());
      labels[k] = Rows.labelsJson(j.labels());
      keys[k] = j.idempotencyKey();
    }
    try (PreparedStatement ps = c.prepareStatement(INSERT_BATCH)) {
      int i = 0;
      ps.setString(++i, State.QUEUED.name());
      ps.setString(++i, owner);
      ps.setArray(++i, c.createArrayOf("uuid", ids));
      ps.setArray(++i, c.createArrayOf("text", types));
      ps.setArray(++i, c.createArrayOf("text", queues));
      ps.setArray(++i, c.createArrayOf("text", params));
      ps.setArray(++i, c.createArrayOf("int4", priorities));
      ps.setArray(++i, c.createArrayOf("int4", maxAttempts));
      ps.setArray(++i, c.createArrayOf("int8", timeouts));
      ps.setArray(++i, c.createArrayOf("timestamptz", runAts));
      ps.setArray(++i, c.createArrayOf("text", labels));
      ps.setArray(++i, c.createArrayOf("text", keys));
      return allJobs(ps);
    }
  }

  public Optional<KeyedJob> findByIdempotencyKey(
      Connection c, String owner, String key, String paramsJson) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(FIND_BY_KEY)) {
      ps.setString(1, paramsJson);
      ps.setString(2, owner);
      ps.setString(3, key);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next()
            ? Optional.of(new KeyedJob(Rows.job(rs), rs.getBoolean("same_params")))
            : Optional.empty();
      }
    }
  }

  /**
   * {@link #findByIdempotencyKey} for many jobs in one query: the position in {@code jobs} of each
   * one whose key the owner already used, and that job. Jobs without a key are skipped.
   */
  public Map<Integer, KeyedJob> findByIdempotencyKeys(Connection c, String owner, List<NewJob> jobs)
      throws SQLException {
    String[] keys = new String[jobs.size()];
    String[] params = new String[jobs.size()];
    for (int k = 0; k < jobs.size(); k++) {
      keys[k] = jobs.get(k).idempotencyKey();
      params[k] = jobs.get(k).paramsJson();
    }
    Map<Integer, KeyedJob> found = new java.util.HashMap<>();
    try (PreparedStatement ps = c.prepareStatement(FIND_BY_KEYS)) {
      ps.setArray(1, c.createArrayOf("text", keys));
      ps.setArray(2, c.createArrayOf("text", params));
      ps.setString(3, owner);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          found.put((int) rs.getLong("k_ord") - 1, new KeyedJob(Rows.job(rs), rs.getBoolean("same_params")));
        }
      }
    }
    return found;
  }

  /** The owner's QUEUED jobs, for the per-owner quota (index jobs_owner_queued). */
  public long countQueued(Connection c, String owner) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(COUNT_QUEUED)) {
      ps.setString(1, owner);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** SERVING → STOPPING for the attempt read; empty if the job changed since. */
  public Optional<Job> requestStop(Connection c, UUID id, int attempt, String reason, String actor) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(REQUEST_STOP)) {
      int i = 0;
      ps.setString(++i, State.STOPPING.name());
      ps.setObject(++i, id);
      ps.setArray(++i, StateSql.array(c, io.overseer.server.domain.JobStateMachine.sources(State.STOPPING, State.LEASED)));
      ps.setInt(++i, attempt);
      ps.setString(++i, reason);
      ps.setString(++i, actor);
      return atMostOneJob(ps);
    }
  }

  /** Whether the job's stored result equals {@code resultJson} as JSON (key order and spacing aside). */
  public boolean hasResult(Connection c, UUID id, String resultJson) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(HAS_RESULT)) {
      ps.setString(1, resultJson);
      ps.setObject(2, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }

  /** The job, if it exists and {@code ownerScope} (null: any owner) may see it. */
  public Optional<Job> find(Connection c, UUID id, String ownerScope) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(FIND)) {
      ps.setObject(1, id);
      ps.setString(2, ownerScope);
      ps.setString(3, ownerScope);
      return atMostOneJob(ps);
    }
  }

  public List<Job> list(Connection c, ListQuery q) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(LIST)) {
      String[] states = q.states().stream().map(State::name).toArray(String[]::new);
      int i = 0;
      ps.setString(++i, q.ownerScope());
      ps.setString(++i, q.ownerScope());
      ps.setArray(++i, c.createArrayOf("text", states));
      ps.setArray(++i, c.createArrayOf("text", states));
      ps.setString(++i, q.type());
      ps.setString(++i, q.type());
      ps.setString(++i, q.queue());
      ps.setString(++i, q.queue());
      ps.setString(++i, Rows.labelsJson(q.labels()));
      Rows.setInstant(ps, ++i, q.afterCreateTime());
      Rows.setInstant(ps, ++i, q.afterCreateTime());
      ps.setObject(++i, q.afterId());
      ps.setInt(++i, q.limit());
      return allJobs(ps);
    }
  }

  /**
   * Flags a leased attempt for cancellation (its worker acknowledges, or maintenance ends it after
   * the grace period); empty if the attempt ended, left {@code from} or was already flagged.
   */
  public Optional<Job> requestCancel(Connection c, UUID id, Set<State> from, int attempt, String reason, String actor)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(REQUEST_CANCEL)) {
      int i = 0;
      ps.setObject(++i, id);
      ps.setArray(++i, StateSql.array(c, from));
      ps.setInt(++i, attempt);
      ps.setString(++i, reason);
      ps.setString(++i, actor);
      return atMostOneJob(ps);
    }
  }
}
