package io.overseer.chaos.model;

import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobEventKind;
import io.overseer.v1.JobState;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What the test knows of one job: the replay of its event log (checked against the simple model
 * of SPEC.md's state table at every observation), the leases the test's workers hold on it, and
 * what the last response said. Guarded by {@link #lock}: the test's steps on a job take turns,
 * while claims and the server's maintenance change it on their own.
 */
final class JobModel {
  static final Set<JobState> TERMINAL =
      EnumSet.of(JobState.JOB_STATE_COMPLETED, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_PARTIAL, JobState.JOB_STATE_CANCELLED);
  /** A worker holds these under a lease. */
  static final Set<JobState> LEASED =
      EnumSet.of(JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_SERVING, JobState.JOB_STATE_STOPPING);
  private static final Map<JobState, Set<JobState>> ALLOWED =
      Map.of(
          JobState.JOB_STATE_QUEUED, EnumSet.of(JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_CANCELLED),
          JobState.JOB_STATE_RUNNING, EnumSet.of(JobState.JOB_STATE_COMPLETED, JobState.JOB_STATE_PARTIAL,
              JobState.JOB_STATE_FAILED, JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_CANCELLED, JobState.JOB_STATE_SERVING),
          JobState.JOB_STATE_SERVING, EnumSet.of(JobState.JOB_STATE_STOPPING, JobState.JOB_STATE_COMPLETED,
              JobState.JOB_STATE_PARTIAL, JobState.JOB_STATE_FAILED, JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_CANCELLED),
          JobState.JOB_STATE_STOPPING, EnumSet.of(JobState.JOB_STATE_COMPLETED, JobState.JOB_STATE_PARTIAL,
              JobState.JOB_STATE_FAILED));

  /** A lease a worker of the test got, with bounds on its expiry from the test's own clock. */
  static final class Lease {
    final int attempt;
    final String token;
    final Instant startedAfter; // the claim was sent then: the attempt started later
    long leaseMs; // the claim's lease duration, which a heartbeat extends by when it names none
    Instant expiresAfter; // the granting call was sent then, plus the lease: it expires later
    Instant expiredBy; // the granting call returned then, plus the lease: it has expired by then

    Lease(int attempt, String token, Instant startedAfter, Instant expiresAfter, Instant expiredBy) {
      this.attempt = attempt;
      this.token = token;
      this.startedAfter = startedAfter;
      this.expiresAfter = expiresAfter;
      this.expiredBy = expiredBy;
    }
  }

  final String id;
  final int maxAttempts;
  final Duration timeout; // null: none
  final ReentrantLock lock = new ReentrantLock();
  final Map<Integer, Lease> leases = new java.util.concurrent.ConcurrentHashMap<>(); // read by other jobs' stale steps
  private final ModelWorld world;
  private final List<JobEvent> events = new ArrayList<>();

  // the replay of the event log
  JobState state = JobState.JOB_STATE_UNSPECIFIED;
  int attempt;
  boolean cancelRequested;
  Instant cancelRequestedAfter; // the cancel was sent then
  int endedAttempts; // attempts 1..endedAttempts are over
  boolean cancelInThisAttempt;
  boolean stopRequested;
  Instant stopRequestedAfter; // StopJob was sent then
  Job last; // the last job read

  /** The lease that finished the job by the worker's own call, and which call: COMPLETE, PARTIAL, FAIL. */
  String finishedByToken;
  String finishedBy;
  /** The finishing call's fields (call, result's author or retryable): only the same call may be repeated. */
  String finishedSignature;

  JobModel(ModelWorld world, Job created) {
    this.world = world;
    this.id = created.getId();
    this.maxAttempts = created.getMaxAttempts();
    this.timeout = created.hasTimeout() ? Duration.ofSeconds(created.getTimeout().getSeconds(), created.getTimeout().getNanos()) : null;
  }

  boolean terminal() {
    return TERMINAL.contains(state);
  }

  /** The lease of the current attempt, if a worker of the test holds it and it has not ended. */
  Lease liveLease() {
    if (!LEASED.contains(state) || attempt <= endedAttempts) {
      return null;
    }
    return leases.get(attempt);
  }

  /**
   * Whether the current attempt's lease is live beyond doubt until {@code margin} from now: held,
   * not expired, not timed out, and no forced cancel due, by the test's lower bounds.
   */
  boolean certainlyLive(Duration margin) {
    Lease l = liveLease();
    if (l == null) {
      return false;
    }
    Instant until = Instant.now().plus(margin);
    if (!until.isBefore(l.expiresAfter)) {
      return false;
    }
    if (timeout != null && state == JobState.JOB_STATE_RUNNING && !until.isBefore(l.startedAfter.plus(timeout))) {
      return false; // a timeout bounds the time until serving
    }
    if (state == JobState.JOB_STATE_STOPPING
        && (stopRequestedAfter == null || !until.isBefore(stopRequestedAfter.plus(ModelWorld.STOP_GRACE)))) {
      return false;
    }
    return !cancelRequested || (cancelRequestedAfter != null && until.isBefore(cancelRequestedAfter.plus(ModelWorld.CANCEL_GRACE)));
  }

  /** Whether {@code token} certainly is no live lease any more: its attempt ended, or its time ran out. */
  boolean certainlyDead(Lease l) {
    if (l.attempt <= endedAttempts || l.attempt < attempt || terminal()) {
      return true;
    }
    return Instant.now().isAfter(l.expiredBy.plusMillis(20));
  }

  /** A random lease of the test that certainly is dead, or null. */
  Lease deadLease(java.util.Random r) {
    List<Lease> dead = new ArrayList<>();
    for (Lease l : leases.values()) {
      if (certainlyDead(l)) {
        dead.add(l);
      }
    }
    return dead.isEmpty() ? null : dead.get(r.nextInt(dead.size()));
  }

  /**
   * Checks a fresh read of the job and its whole event log against what was seen before and the
   * state table, and replays the new events. Returns the new events.
   */
  List<JobEvent> observe(Job job, List<JobEvent> log) {
    String where = "job " + id;
    if (log.size() < events.size()) {
      world.violation(where + ": the event log shrank from " + events.size() + " to " + log.size());
      return List.of();
    }
    for (int i = 0; i < events.size(); i++) {
      if (!events.get(i).equals(log.get(i))) {
        world.violation(where + ": event " + (i + 1) + " changed: " + events.get(i) + " became " + log.get(i));
      }
    }
    List<JobEvent> fresh = new ArrayList<>(log.subList(events.size(), log.size()));
    for (JobEvent e : fresh) {
      replay(where, e);
      events.add(e);
    }
    if (job.getState() != state) {
      world.violation(where + ": the job is " + job.getState() + " but its last STATE_CHANGED event says " + state);
    }
    if (job.getAttempt() != attempt) {
      world.violation(where + ": the job is at attempt " + job.getAttempt() + " but its events count " + attempt);
    }
    if (job.getCancelRequested() != cancelRequested) {
      world.violation(where + ": cancel_requested is " + job.getCancelRequested() + ", its events say " + cancelRequested);
    }
    if (job.getStopRequested() != stopRequested) {
      world.violation(where + ": stop_requested is " + job.getStopRequested() + ", its events say " + stopRequested);
    }
    if (job.getState() == JobState.JOB_STATE_COMPLETED && job.getProgress() != 100) {
      world.violation(where + ": COMPLETED with progress " + job.getProgress());
    }
    if (last != null && TERMINAL.contains(last.getState())
        && (!last.getFinishTime().equals(job.getFinishTime()) || last.getState() != job.getState())) {
      world.violation(where + ": a terminal job changed: " + last.getState() + " became " + job.getState());
    }
    last = job;
    return fresh;
  }

  private void replay(String where, JobEvent e) {
    int expected = events.size() + 1;
    if (e.getSequence() != expected) {
      world.violation(where + ": event sequence " + e.getSequence() + " where " + expected + " was due (gap or disorder)");
    }
    if (terminal()) {
      world.violation(where + ": event " + e.getSequence() + " (" + e.getKind() + ") after the terminal state " + state);
    }
    if (e.getKind() != JobEventKind.JOB_EVENT_KIND_STATE_CHANGED) {
      if (e.getState() != state || !LEASED.contains(state)) {
        world.violation(where + ": " + e.getKind() + " event in state " + e.getState() + " while the job was " + state);
      }
      if (e.getKind() == JobEventKind.JOB_EVENT_KIND_CANCEL_REQUESTED) {
        cancelRequested = true;
        cancelInThisAttempt = true;
      }
      return;
    }
    JobState from = e.getPreviousState();
    JobState to = e.getState();
    if (from != state) {
      world.violation(where + ": event " + e.getSequence() + " goes from " + from + " but the job was " + state);
    }
    if (state == JobState.JOB_STATE_UNSPECIFIED) {
      if (to != JobState.JOB_STATE_QUEUED || e.getSequence() != 1) {
        world.violation(where + ": the first event is not the creation (QUEUED): " + e);
      }
    } else if (!ALLOWED.getOrDefault(state, Set.of()).contains(to)) {
      world.violation(where + ": transition " + state + " -> " + to + " is not in the state table");
    }
    boolean release = state == JobState.JOB_STATE_RUNNING && to == JobState.JOB_STATE_QUEUED && e.getMessage().startsWith("claim abandoned");
    if (LEASED.contains(state) && !LEASED.contains(to)) {
      attemptEnded(where, e, to, release);
    }
    if (to == JobState.JOB_STATE_STOPPING) {
      stopRequested = true;
    }
    if (to == JobState.JOB_STATE_RUNNING) {
      attempt++;
      cancelInThisAttempt = false;
      if (attempt > maxAttempts) {
        world.violation(where + ": attempt " + attempt + " of at most " + maxAttempts);
      }
    }
    if (state == JobState.JOB_STATE_QUEUED && to == JobState.JOB_STATE_CANCELLED) {
      cancelRequested = true;
    }
    state = to;
  }

  /** The running attempt ended with {@code e}: checks it against the rules for how attempts end. */
  private void attemptEnded(String where, JobEvent e, JobState to, boolean release) {
    if (release) {
      attempt--;
      return;
    }
    endedAttempts = attempt;
    boolean bySystem = e.getActor().equals("system");
    boolean stopping = state == JobState.JOB_STATE_STOPPING; // may neither be cancelled nor re-queued
    if (cancelInThisAttempt && to != JobState.JOB_STATE_CANCELLED && to != JobState.JOB_STATE_COMPLETED && to != JobState.JOB_STATE_PARTIAL
        && !(stopping && to == JobState.JOB_STATE_FAILED)) {
      world.violation(where + ": attempt " + attempt + " was asked to cancel but ended " + to + " (" + e.getMessage() + ")");
    }
    if (to == JobState.JOB_STATE_QUEUED && attempt >= maxAttempts) {
      world.violation(where + ": re-queued after attempt " + attempt + " of " + maxAttempts);
    }
    if (bySystem && to == JobState.JOB_STATE_FAILED && attempt < maxAttempts && !stopping) {
      world.violation(where + ": the server failed attempt " + attempt + " of " + maxAttempts + " instead of retrying");
    }
    Lease l = leases.get(attempt);
    if (bySystem && l != null) {
      Instant at = RandomJobs.instant(e.getTime());
      Instant notBefore =
          switch (e.getMessage()) {
            case "lease expired" -> l.expiresAfter;
            case "timed out" -> timeout == null || state != JobState.JOB_STATE_RUNNING ? null : l.startedAfter.plus(timeout);
            case "stop grace period expired" -> stopRequestedAfter == null ? null : stopRequestedAfter.plus(ModelWorld.STOP_GRACE);
            case "cancel grace period expired" -> cancelRequestedAfter == null ? null : cancelRequestedAfter.plus(ModelWorld.CANCEL_GRACE);
            default -> null;
          };
      if (notBefore == null) {
        world.violation(where + ": the server ended attempt " + attempt + " for no reason it may have: " + e);
      } else if (at.plusMillis(2).isBefore(notBefore)) {
        world.violation(where + ": the server ended attempt " + attempt + " (" + e.getMessage() + ") at " + at + ", before " + notBefore);
      }
    }
  }

  /** The STATE_CHANGED event that ended attempt {@code n}, or null. */
  JobEvent endOfAttempt(int n) {
    int running = 0;
    for (JobEvent e : events) {
      if (e.getKind() != JobEventKind.JOB_EVENT_KIND_STATE_CHANGED) {
        continue;
      }
      if (e.getState() == JobState.JOB_STATE_RUNNING) {
        running++;
      } else if (LEASED.contains(e.getPreviousState()) && !LEASED.contains(e.getState()) && running == n) {
        return e;
      }
    }
    return null;
  }

  /**
   * Whether a finishing call repeats the one that finished the job: the same call with the same
   * fields (its signature: the call, and the result's author or the retryable flag).
   */
  static boolean sameFinish(String signature, String finishedSignature) {
    return signature.equals(finishedSignature);
  }

  /**
   * Where a failed attempt in state {@code from} goes (SPEC: a requested cancel wins, then a retry
   * while attempts are left; a stopping service may be neither, so it fails).
   */
  static JobState afterFailedAttempt(JobState from, boolean retryable, boolean cancelRequested, int attempt, int maxAttempts) {
    if (from == JobState.JOB_STATE_STOPPING) {
      return JobState.JOB_STATE_FAILED;
    }
    if (cancelRequested) {
      return JobState.JOB_STATE_CANCELLED;
    }
    return retryable && attempt < maxAttempts ? JobState.JOB_STATE_QUEUED : JobState.JOB_STATE_FAILED;
  }

  int eventCount() {
    return events.size();
  }
}
