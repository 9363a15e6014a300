package io.overseer.server.store;

import io.overseer.server.domain.JobEvent.EventKind;

/**
 * The fragment every write that changes a job appends to its statement: a data-modifying CTE
 * {@code ev} inserting one event per changed row of the CTE {@code t}, numbered with the row's new
 * {@code last_sequence}. The UPDATE that produced {@code t} holds the row lock and raised
 * {@code last_sequence} by one, so one job's events are gapless and in order; and the event
 * exists only if its statement changed its job.
 *
 * <p>Each column is an SQL expression over {@code t} (or a {@code ?}); the defaults take the row's
 * own values. Expressions are statement text written in this package, never input.
 */
final class EventInsert {
  private final EventKind kind;
  private String previousState;
  private String message = "t.message";
  private String actor = "?";
  private String workerId = "t.worker_id";
  private String assetId = "NULL";
  private String time = "t.update_time";
  private String from = "t";
  private String where = "";

  private EventInsert(EventKind kind) {
    this.kind = kind;
    // a state change names the state the row was in (see V7); other events change no state
    this.previousState = kind == EventKind.STATE_CHANGED ? "t.previous_state" : "NULL";
  }

  static EventInsert of(EventKind kind) {
    return new EventInsert(kind);
  }

  EventInsert message(String expr) {
    this.message = expr;
    return this;
  }

  /** Default {@code ?}: the principal, bound by the caller. */
  EventInsert actor(String expr) {
    this.actor = expr;
    return this;
  }

  /** Default: the job's worker ({@code t.worker_id}). */
  EventInsert workerId(String expr) {
    this.workerId = expr;
    return this;
  }

  EventInsert assetId(String expr) {
    this.assetId = expr;
    return this;
  }

  EventInsert time(String expr) {
    this.time = expr;
    return this;
  }

  /** The FROM list when the event also reads another CTE (e.g. {@code "t, a"}). */
  EventInsert from(String expr) {
    this.from = expr;
    return this;
  }

  /** Only the rows of {@code t} for which this holds get an event. */
  EventInsert where(String condition) {
    this.where = " WHERE " + condition;
    return this;
  }

  /** {@code , ev AS (INSERT …)}: put it after {@code WITH t AS (… RETURNING …)}. */
  String sql() {
    return ", ev AS (INSERT INTO job_events (job_id, sequence, kind, state, previous_state, progress,"
        + " stage, message, actor, worker_id, asset_id, time)"
        + " SELECT t.id, t.last_sequence, '" + kind.name() + "', t.state, " + previousState
        + ", t.progress, t.stage, " + message + ", " + actor + ", " + workerId + ", " + assetId + ", " + time
        + " FROM " + from + where + ")";
  }

  /** {@link #sql()} followed by {@code SELECT * FROM t}: the statement returns the changed jobs. */
  String andReturnJobs() {
    return sql() + " SELECT * FROM t";
  }
}
