package io.overseer.server.store;

import io.overseer.server.domain.Job;
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
import java.util.UUID;

/**
 * The SQL of the job aggregate on the caller side: creating, reading, listing and cancelling.
 * Worker-side transitions are in {@link LeaseRepository}.
 *
 * <p>Every write that changes a job appends its event in the same statement (a data-modifying
 * CTE), numbered {@code last_sequence + 1}: the row lock taken by the UPDATE serialises writers of
 * one job, so sequences are gapless and ordered.
 */
public final class JobRepository {

  /**
   * Appends the event of the changed rows in {@code t}; parameters: kind, previous state, message,
   * actor, worker id (null: the job's own worker, for calls made by that worker).
   */
  static final String APPEND_EVENT_AND_RETURN =
      ", ev AS (INSERT INTO job_events (job_id, sequence, kind, state, previous_state, progress,"
          + " stage, message, actor, worker_id, time)"
          + " SELECT id, last_sequence, ?, state, ?, progress, stage, ?, ?, coalesce(?, worker_id), update_time FROM t)"
          + " SELECT * FROM t";

  private static final String INSERT_BATCH =
      "WITH t AS (INSERT INTO jobs (id, type, queue, state, params, priority, max_attempts,"
          + " timeout_ms, run_at, owner, labels, idempotency_key)"
          + " SELECT u.id, u.type, u.queue, 'QUEUED', u.params::jsonb, u.priority, u.max_attempts,"
          + " u.timeout_ms, greatest(coalesce(u.run_at, now()), now()), ?, u.labels::jsonb, u.idem"
          + " FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::int[], ?::int[],"
          + " ?::bigint[], ?::timestamptz[], ?::text[], ?::text[])"
          + " AS u(id, type, queue, params, priority, max_attempts, timeout_ms, run_at, labels, idem)"
          // rows go in in key order, so concurrent batches sharing keys take the unique-index
          // locks in one order and wait for each other instead of deadlocking
          + " ORDER BY u.idem COLLATE \"C\""
          + " ON CONFLICT (owner, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING"
          + " RETURNING *)"
          + APPEND_EVENT_AND_RETURN;

  private static final String FIND_BY_KEY =
      "SELECT *, params = ?::jsonb AS same_params FROM jobs WHERE owner = ? AND idempotency_key = ?";

  /** The jobs of many keys at once; k_ord is the 1-based position in the arrays. */
  private static final String FIND_BY_KEYS =
      "SELECT j.*, j.params = k.k_params::jsonb AS same_params, k.k_ord"
          + " FROM unnest(?::text[], ?::text[]) WITH ORDINALITY AS k(k_idem, k_params, k_ord)"
          + " JOIN jobs j ON j.owner = ? AND j.idempotency_key = k.k_idem";

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

  private static final String CANCEL_QUEUED =
      "WITH t AS (UPDATE jobs SET state = 'CANCELLED', cancel_requested = true,"
          + " cancel_requested_at = now(), error_message = ?, finish_time = now(),"
          + " update_time = now(), last_sequence = last_sequence + 1"
          + " WHERE id = ? AND state = 'QUEUED' RETURNING *)"
          + APPEND_EVENT_AND_RETURN;

  private static final String REQUEST_CANCEL =
      "WITH t AS (UPDATE jobs SET cancel_requested = true, cancel_requested_at = now(),"
          + " update_time = now(), last_sequence = last_sequence + 1"
          + " WHERE id = ? AND state = 'RUNNING' AND attempt = ? AND NOT cancel_requested"
          + " RETURNING *)"
          + APPEND_EVENT_AND_RETURN;

  private static final String COUNT_QUEUED =
      "SELECT count(*) FROM jobs WHERE owner = ? AND state = 'QUEUED' AND NOT cancel_requested"; // index jobs_owner_queued

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
      bindCreationEvent(ps, i, owner);
      return all(ps);
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

  /** The job, if it exists and {@code ownerScope} (null: any owner) may see it. */
  public Optional<Job> find(Connection c, UUID id, String ownerScope) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(FIND)) {
      ps.setObject(1, id);
      ps.setString(2, ownerScope);
      ps.setString(3, ownerScope);
      return one(ps);
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
      return all(ps);
    }
  }

  /** QUEUED → CANCELLED; empty if the job was no longer QUEUED. */
  public Optional<Job> cancelQueued(Connection c, UUID id, String reason, String actor)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(CANCEL_QUEUED)) {
      ps.setString(1, reason);
      ps.setObject(2, id);
      bindEvent(ps, 2, "STATE_CHANGED", State.QUEUED, reason, actor, "");
      return one(ps);
    }
  }

  /** Flags a RUNNING attempt for cancellation; empty if the attempt ended or was already flagged. */
  public Optional<Job> requestCancel(Connection c, UUID id, int attempt, String reason, String actor)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(REQUEST_CANCEL)) {
      ps.setObject(1, id);
      ps.setInt(2, attempt);
      bindEvent(ps, 2, "CANCEL_REQUESTED", null, reason, actor, "");
      return one(ps);
    }
  }

  private static void bindCreationEvent(PreparedStatement ps, int after, String owner)
      throws SQLException {
    bindEvent(ps, after, "STATE_CHANGED", null, "created", owner, "");
  }

  /** Binds the five parameters of {@link #APPEND_EVENT_AND_RETURN} after index {@code after}. */
  static void bindEvent(
      PreparedStatement ps,
      int after,
      String kind,
      State previous,
      String message,
      String actor,
      String workerId)
      throws SQLException {
    ps.setString(after + 1, kind);
    ps.setString(after + 2, previous == null ? null : previous.name());
    ps.setString(after + 3, message);
    ps.setString(after + 4, actor);
    ps.setString(after + 5, workerId);
  }

  /** At most one row: a compare-and-set that matched more than one row is a bug. */
  static Optional<Job> one(PreparedStatement ps) throws SQLException {
    List<Job> rows = all(ps);
    if (rows.size() > 1) {
      throw new IllegalStateException("expected at most one job row, got " + rows.size());
    }
    return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
  }

  static List<Job> all(PreparedStatement ps) throws SQLException {
    List<Job> rows = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        rows.add(Rows.job(rs));
      }
    }
    return rows;
  }
}
