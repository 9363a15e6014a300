package io.overseer.chaos.model;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.overseer.client.OverseerClient;
import io.overseer.server.testing.Poll;
import io.overseer.v1.AddAssetRequest;
import io.overseer.v1.Asset;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.ClaimJobsResponse;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.FailJobRequest;
import io.overseer.v1.HeartbeatRequest;
import io.overseer.v1.HeartbeatResponse;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobEventKind;
import io.overseer.v1.JobState;
import io.overseer.v1.AppendJobLogsRequest;
import io.overseer.v1.AppendJobLogsResponse;
import io.overseer.v1.Endpoint;
import io.overseer.v1.ListJobLogsRequest;
import io.overseer.v1.ListJobLogsResponse;
import io.overseer.v1.LogLine;
import io.overseer.v1.Lease;
import io.overseer.v1.ReportServingRequest;
import io.overseer.v1.StopJobRequest;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;

/**
 * The single steps of one model-test client, each on one locked job: create, claim, heartbeat,
 * complete, fail (retryable or not), add an asset, cancel, observe. Each step says beforehand what
 * the model is certain of, sends the call, checks the answer against that, and then reads the job
 * and its events back into the model (which checks the invariants).
 */
class ModelSteps {
  /** The leased states as the jobs table names them. */
  static final java.util.Set<String> LEASED_NAMES = java.util.Set.of("RUNNING", "SERVING", "STOPPING");

  static final String[] QUEUES = {"m0", "m1"};

  final ModelWorld w;
  final OverseerClient client;
  final OverseerClient other; // another channel (to the other node), for races and cross-node reads
  final Random r;
  final Connection sql;
  final String workerId;

  ModelSteps(ModelWorld w, OverseerClient client, OverseerClient other, Random r, Connection sql, String workerId) {
    this.w = w;
    this.client = client;
    this.other = other;
    this.r = r;
    this.sql = sql;
    this.workerId = workerId;
  }

  void create() {
    create(QUEUES[r.nextInt(QUEUES.length)], true);
  }

  /**
   * Creates a job on {@code queue}: of type {@code model}, sometimes with a timeout or a run_at
   * shortly ahead, when {@code varied}; else a plain one of type {@code race}.
   */
  JobModel create(String queue, boolean varied) {
    CreateJobRequest.Builder b = CreateJobRequest.newBuilder().setType(varied ? "model" : "race").setQueue(queue)
        .setMaxAttempts(1 + r.nextInt(3)).setParams(RandomJobs.struct(r, 1));
    if (varied && r.nextInt(5) == 0) {
      b.setTimeout(com.google.protobuf.Duration.newBuilder().setSeconds(3));
    }
    if (varied && r.nextInt(10) == 0) {
      b.setRunAt(RandomJobs.after(Duration.ofMillis(300)));
    }
    Attempted<Job> res = Attempted.of(() -> client.create(b.build()));
    if (!res.ok()) {
      w.violation("CreateJob failed: " + res.outcome());
      return null;
    }
    Job job = res.value();
    if (job.getState() != JobState.JOB_STATE_QUEUED || job.getAttempt() != 0) {
      w.violation("job " + job.getId() + ": created " + job.getState() + " attempt " + job.getAttempt());
    }
    JobModel m = new JobModel(w, job);
    m.lock.lock();
    try {
      w.jobs.add(m);
      w.observe(client, m);
    } finally {
      m.lock.unlock();
    }
    w.count("create");
    return m;
  }

  void claim() {
    ClaimJobsRequest.Builder b = claimRequest();
    long leaseMs = b.getLeaseDuration().getSeconds() * 1000 + b.getLeaseDuration().getNanos() / 1_000_000;
    int q = r.nextInt(4);
    if (q < 2) {
      b.addQueues(QUEUES[q]);
    } else if (q == 2) {
      b.addQueues(QUEUES[0]).addQueues(QUEUES[1]);
    } else {
      b.addTypes("model"); // every queue, but not the claim races' jobs
    }
    if (r.nextInt(4) == 0) {
      b.setWait(com.google.protobuf.Duration.newBuilder().setNanos(200_000_000));
    }
    Attempted<ClaimJobsResponse> res = Attempted.of(() -> client.workerStub().claimJobs(b.build()));
    if (!res.ok()) {
      w.violation("ClaimJobs failed: " + res.outcome());
      return;
    }
    w.count(res.value().getLeasesCount() == 0 ? "claim_empty" : "claim");
    for (Lease lease : res.value().getLeasesList()) {
      recordClaim(lease, leaseMs, res);
    }
  }

  /** A claim of up to 3 jobs with a lease of 2 to 6 s. */
  ClaimJobsRequest.Builder claimRequest() {
    long leaseMs = 2000 + r.nextInt(4000);
    return ClaimJobsRequest.newBuilder().setWorkerId(workerId).setMaxJobs(1 + r.nextInt(3))
        .setLeaseDuration(com.google.protobuf.Duration.newBuilder().setSeconds(leaseMs / 1000).setNanos((int) (leaseMs % 1000) * 1_000_000));
  }

  void recordClaim(Lease lease, long leaseMs, Attempted<?> res) {
    recordClaimAs(lease, leaseMs, res, workerId);
  }

  void recordClaimAs(Lease lease, long leaseMs, Attempted<?> res) {
    recordClaimAs(lease, leaseMs, res, lease.getJob().getWorkerId());
  }

  private void recordClaimAs(Lease lease, long leaseMs, Attempted<?> res, String claimer) {
    String id = lease.getJob().getId();
    int attempt = lease.getJob().getAttempt();
    w.claimed(id, attempt, res.returned());
    JobModel[] found = new JobModel[1];
    if (!Poll.eventually(Duration.ofSeconds(10), Duration.ofMillis(1), () -> (found[0] = w.find(id)) != null)) {
      w.violation("job " + id + " was claimed but never created by the test");
      return;
    }
    JobModel m = found[0];
    m.lock.lock();
    try {
      Instant expiresAt = RandomJobs.instant(lease.getLeaseExpireTime());
      Duration lease0 = Duration.ofMillis(leaseMs);
      if (expiresAt.plusMillis(5).isBefore(res.sent().plus(lease0)) || expiresAt.minusMillis(5).isAfter(res.returned().plus(lease0))) {
        w.violation("job " + id + ": lease expires at " + expiresAt + ", not " + leaseMs + " ms after the claim");
      }
      if (lease.getJob().getState() != JobState.JOB_STATE_RUNNING || !lease.getJob().getWorkerId().equals(claimer)) {
        w.violation("job " + id + ": claimed but " + lease.getJob().getState() + " by " + lease.getJob().getWorkerId());
      }
      JobModel.Lease l = new JobModel.Lease(attempt, lease.getLeaseToken(), res.sent(), res.sent().plus(lease0), res.returned().plus(lease0));
      l.leaseMs = leaseMs;
      if (m.leases.put(attempt, l) != null) {
        w.violation("job " + id + ": a second lease for attempt " + attempt);
      }
      w.observe(client, m);
    } finally {
      m.lock.unlock();
    }
  }

  void heartbeat(JobModel j, JobModel.Lease l, Duration extension) {
    boolean certain = j.certainlyLive(ModelWorld.MARGIN) && j.liveLease() == l; // about the lease used
    boolean dead = j.certainlyDead(l);
    HeartbeatRequest.Builder b = HeartbeatRequest.newBuilder().setJobId(j.id).setLeaseToken(l.token);
    if (r.nextBoolean()) {
      b.setProgress(r.nextInt(101));
    }
    if (r.nextInt(3) == 0) {
      b.setStage(new String[] {"preparing", "running", "collecting"}[r.nextInt(3)]);
    }
    if (r.nextInt(3) == 0) {
      b.setMessage("step " + r.nextInt(5));
    }
    if (extension != null) {
      b.setLeaseDuration(com.google.protobuf.Duration.newBuilder().setSeconds(extension.getSeconds()).setNanos(extension.getNano()));
    }
    Job before = j.last;
    boolean changes = (b.hasProgress() && b.getProgress() != before.getProgress())
        || (b.hasStage() && !b.getStage().equals(before.getStage())) || (b.hasMessage() && !b.getMessage().equals(before.getMessage()));
    Attempted<HeartbeatResponse> res = Attempted.of(() -> client.workerStub().heartbeat(b.build()));
    if (res.ok()) {
      workerCallSucceeded(j, l, "Heartbeat", res, dead);
      Duration ext = extension != null ? extension : Duration.ofMillis(l.leaseMs);
      l.expiresAfter = res.sent().plus(ext);
      l.expiredBy = res.returned().plus(ext);
      if (certain && res.value().getCancelRequested() != j.cancelRequested) {
        w.violation("job " + j.id + ": heartbeat says cancel_requested " + res.value().getCancelRequested());
      }
    } else {
      leaseRefused(j, l, "Heartbeat", res, certain);
    }
    List<JobEvent> fresh = w.observe(client, j);
    long progress = fresh.stream().filter(e -> e.getKind() == JobEventKind.JOB_EVENT_KIND_PROGRESS).count();
    if (progress != (res.ok() && changes ? 1 : 0)) {
      w.violation("job " + j.id + ": a heartbeat (" + res.outcome() + ", changes " + changes + ") wrote " + progress + " PROGRESS events");
    }
  }

  void complete(JobModel j, JobModel.Lease l) {
    boolean partial = r.nextInt(3) == 0;
    boolean certain = j.certainlyLive(ModelWorld.MARGIN) && j.liveLease() == l; // about the lease used
    boolean dead = j.certainlyDead(l);
    Attempted<Job> res = Attempted.of(() -> client.workerStub().completeJob(completion(j, l, partial)));
    checkFinish(j, l, partial ? "PARTIAL" : "COMPLETE", null, res, certain, dead);
    w.observe(client, j);
  }

  CompleteJobRequest completion(JobModel j, JobModel.Lease l, boolean partial) {
    CompleteJobRequest.Builder b = CompleteJobRequest.newBuilder().setJobId(j.id).setLeaseToken(l.token).setPartial(partial)
        .setResult(Struct.newBuilder().putFields("by", Value.newBuilder().setStringValue(workerId).build()));
    return partial ? b.setErrorMessage("half of it").build() : b.build();
  }

  void fail(JobModel j, JobModel.Lease l) {
    boolean certain = j.certainlyLive(ModelWorld.MARGIN) && j.liveLease() == l; // about the lease used
    boolean dead = j.certainlyDead(l);
    boolean retryable = r.nextBoolean();
    Attempted<Job> res = Attempted.of(() -> client.workerStub().failJob(failure(j, l, retryable)));
    checkFinish(j, l, "FAIL", retryable, res, certain, dead);
    w.observe(client, j);
  }

  FailJobRequest failure(JobModel j, JobModel.Lease l, boolean retryable) {
    FailJobRequest.Builder b = FailJobRequest.newBuilder().setJobId(j.id).setLeaseToken(l.token).setRetryable(retryable)
        .setErrorMessage(retryable ? "flaky" : "broken");
    if (r.nextInt(3) == 0) {
      b.setRetryAfter(com.google.protobuf.Duration.newBuilder().setNanos(r.nextInt(300) * 1_000_000));
    }
    return b.build();
  }

  /**
   * Checks a CompleteJob or FailJob answer: OK for a certainly live lease, and for the lease that
   * finished the job repeating its call; LEASE_LOST for a certainly dead one; the resulting state.
   */
  void checkFinish(JobModel j, JobModel.Lease l, String call, Boolean retryable, Attempted<Job> res, boolean certain, boolean dead) {
    // the fields a repeat must match: the result names the client that sent it (see completion)
    String signature = call.equals("FAIL") ? "FAIL:" + retryable : call + ":" + workerId;
    JobState from = JobModel.LEASED.contains(j.state) ? j.state : JobState.JOB_STATE_RUNNING;
    boolean repeat = j.terminal() && l.token.equals(j.finishedByToken) && JobModel.sameFinish(signature, j.finishedSignature);
    String what = "job " + j.id + ": " + call + " with the token of attempt " + l.attempt;
    if (repeat) {
      if (!res.ok() || res.value().getState() != j.state) {
        w.violation(what + " repeated by the lease that finished it: " + res.outcome() + " instead of the finished job");
      }
      w.count("repeat_ok");
      return;
    }
    if (!res.ok()) {
      leaseRefused(j, l, call, res, certain);
      return;
    }
    workerCallSucceeded(j, l, call, res, dead);
    JobState expected =
        call.equals("COMPLETE") ? JobState.JOB_STATE_COMPLETED
            : call.equals("PARTIAL") ? JobState.JOB_STATE_PARTIAL
            : JobModel.afterFailedAttempt(from, retryable, j.cancelRequested, l.attempt, j.maxAttempts);
    if (res.value().getState() != expected) {
      w.violation(what + " ended the job " + res.value().getState() + ", the model says " + expected);
    }
    if (JobModel.TERMINAL.contains(res.value().getState())) {
      if (j.finishedByToken != null && (!j.finishedByToken.equals(l.token) || !JobModel.sameFinish(signature, j.finishedSignature))) {
        w.violation(what + " finished the job, which " + j.finishedSignature + " had finished already");
        w.count("finished_twice");
      }
      j.finishedByToken = l.token;
      j.finishedBy = call;
      j.finishedSignature = signature;
    }
  }

  void addAsset(JobModel j, JobModel.Lease l) {
    boolean certain = j.certainlyLive(ModelWorld.MARGIN) && j.liveLease() == l; // about the lease used
    boolean dead = j.certainlyDead(l);
    int before = client.assets(j.id).size();
    AddAssetRequest request = AddAssetRequest.newBuilder().setJobId(j.id).setLeaseToken(l.token).setAssetType("log")
        .setUri("s3://bucket/" + j.id + "/" + r.nextInt(1000)).setSizeBytes(r.nextInt(1 << 20)).setContentType("text/plain").build();
    Attempted<Asset> res = Attempted.of(() -> client.workerStub().addAsset(request));
    if (res.ok()) {
      workerCallSucceeded(j, l, "AddAsset", res, dead);
    } else {
      leaseRefused(j, l, "AddAsset", res, certain);
    }
    List<JobEvent> fresh = w.observe(client, j);
    long added = fresh.stream().filter(e -> e.getKind() == JobEventKind.JOB_EVENT_KIND_ASSET_ADDED).count();
    int after = client.assets(j.id).size();
    if (added != (res.ok() ? 1 : 0) || after != before + added) {
      w.violation("job " + j.id + ": AddAsset " + res.outcome() + " left " + added + " ASSET_ADDED events and " + (after - before) + " new assets");
    }
  }

  void cancel(JobModel j) {
    JobState before = j.state;
    boolean certain = j.certainlyLive(ModelWorld.MARGIN);
    JobModel.Lease lease = j.liveLease();
    boolean wasRequested = j.cancelRequested;
    Attempted<Job> res = Attempted.of(() -> client.cancel(j.id, "model says stop"));
    String what = "job " + j.id + ": CancelJob of a " + before + " job";
    if (j.terminal()) {
      boolean named = res.error() != null && before.name().equals("JOB_STATE_" + res.error().metadata().get("state"));
      if (!res.invalidTransition() || !named) {
        w.violation(what + " answered " + res.outcome() + " instead of INVALID_TRANSITION naming its state");
      }
    } else if (res.ok()) {
      Job job = res.value();
      boolean queuedOk = job.getState() == JobState.JOB_STATE_CANCELLED || (job.getState() == JobState.JOB_STATE_RUNNING && job.getCancelRequested());
      boolean leasedBefore = before == JobState.JOB_STATE_RUNNING || before == JobState.JOB_STATE_SERVING;
      if (before == JobState.JOB_STATE_QUEUED && !queuedOk) {
        w.violation(what + " left it " + job.getState());
      }
      if (leasedBefore && certain && (job.getState() != before || !job.getCancelRequested())) {
        w.observe(client, j);
        if (lostToTime(j, lease)) {
          late(j, lease, "CancelJob left it " + job.getState());
        } else {
          w.violation(what + " with a live lease left it " + job.getState() + " cancel_requested " + job.getCancelRequested());
        }
      }
      if (job.getCancelRequested() && !wasRequested && JobModel.LEASED.contains(job.getState())) {
        j.cancelRequestedAfter = res.sent();
      }
    } else if (before == JobState.JOB_STATE_STOPPING && res.invalidTransition()) {
      // a stopping service may not be cancelled: it is completed or fails
    } else if (before == JobState.JOB_STATE_QUEUED || !res.invalidTransition()) {
      w.violation(what + " answered " + res.outcome());
    } else if (certain) {
      w.observe(client, j);
      if (lostToTime(j, lease)) {
        late(j, lease, "CancelJob answered " + res.outcome());
      } else {
        w.violation(what + " with a live lease answered " + res.outcome());
      }
    }
    w.observe(client, j);
    if (res.invalidTransition() && !j.terminal() && j.state != JobState.JOB_STATE_STOPPING) {
      w.violation(what + ": INVALID_TRANSITION but the job is " + j.state);
    }
    w.count("cancel");
  }

  /**
   * AppendJobLogs with the job's lease: stored after the job's lines, numbered on without a gap,
   * when the lease is live; LEASE_LOST with nothing stored when it is not.
   */
  void appendLogs(JobModel j, JobModel.Lease l) {
    boolean certain = j.certainlyLive(ModelWorld.MARGIN) && j.liveLease() == l; // about the lease used
    boolean dead = j.certainlyDead(l);
    int n = 1 + r.nextInt(5);
    AppendJobLogsRequest.Builder b = AppendJobLogsRequest.newBuilder().setJobId(j.id).setLeaseToken(l.token);
    for (int i = 0; i < n; i++) {
      b.addLines(LogLine.newBuilder().setStream(r.nextBoolean() ? "stdout" : "stderr").setText(workerId + " line " + i));
    }
    long before = storedLogLines(j);
    Attempted<AppendJobLogsResponse> res = Attempted.of(() -> client.workerStub().appendJobLogs(b.build()));
    if (res.ok()) {
      workerCallSucceeded(j, l, "AppendJobLogs", res, dead);
    } else {
      leaseRefused(j, l, "AppendJobLogs", res, certain);
    }
    long after = storedLogLines(j);
    if (after != before + (res.ok() ? n : 0) || (res.ok() && res.value().getLastSequence() != after)) {
      w.violation("job " + j.id + ": AppendJobLogs of " + n + " lines " + res.outcome() + " took the log from " + before + " to " + after
          + " lines" + (res.ok() ? " (last_sequence " + res.value().getLastSequence() + ")" : ""));
    }
    w.observe(client, j);
    w.count("append_logs");
  }

  /** The job's log lines, checked to be numbered 1..n without a gap; returns n. */
  long storedLogLines(JobModel j) {
    long expected = 1;
    String token = "";
    do {
      ListJobLogsResponse page = client.jobStub().listJobLogs(
          ListJobLogsRequest.newBuilder().setId(j.id).setPageSize(1000).setPageToken(token).build());
      for (LogLine line : page.getLinesList()) {
        if (line.getSequence() != expected) {
          w.violation("job " + j.id + ": log line " + line.getSequence() + " where " + expected + " was due");
        }
        expected = line.getSequence() + 1;
      }
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return expected - 1;
  }

  /** ReportServing with the job's lease: SERVING from RUNNING; the same report repeated while serving. */
  void serve(JobModel j, JobModel.Lease l) {
    JobState before = j.state;
    boolean certain = j.certainlyLive(ModelWorld.MARGIN) && j.liveLease() == l; // about the lease used
    boolean dead = j.certainlyDead(l);
    ReportServingRequest request = ReportServingRequest.newBuilder().setJobId(j.id).setLeaseToken(l.token)
        .addEndpoints(Endpoint.newBuilder().setName("http").setUri("http://model.invalid/" + j.id)).build();
    Attempted<Job> res = Attempted.of(() -> client.workerStub().reportServing(request));
    String what = "job " + j.id + ": ReportServing of a " + before + " job";
    if (res.ok()) {
      workerCallSucceeded(j, l, "ReportServing", res, dead);
      if (res.value().getState() != JobState.JOB_STATE_SERVING || res.value().getEndpointsCount() != 1) {
        w.violation(what + " left it " + res.value().getState() + " with " + res.value().getEndpointsCount() + " endpoints");
      }
    } else if (res.invalidTransition()) {
      if (before != JobState.JOB_STATE_STOPPING && certain) {
        w.violation(what + " with a live lease answered " + res.outcome());
      }
    } else {
      leaseRefused(j, l, "ReportServing", res, certain);
    }
    w.observe(client, j);
    w.count("serve");
  }

  /**
   * StopJob: a serving job STOPPING; a stopping one unchanged; one that never served cancelled as
   * CancelJob would; a terminal one INVALID_TRANSITION naming its state.
   */
  void stop(JobModel j) {
    JobState before = j.state;
    boolean certain = j.certainlyLive(ModelWorld.MARGIN);
    if (before == JobState.JOB_STATE_SERVING && j.stopRequestedAfter == null) {
      j.stopRequestedAfter = Instant.now(); // no later than the call is sent: the grace runs from here at the earliest
    }
    if (before == JobState.JOB_STATE_RUNNING && !j.cancelRequested && j.cancelRequestedAfter == null) {
      j.cancelRequestedAfter = Instant.now();
    }
    Attempted<Job> res = Attempted.of(() -> client.jobStub().stopJob(StopJobRequest.newBuilder().setId(j.id).setReason("model says stop").build()));
    String what = "job " + j.id + ": StopJob of a " + before + " job";
    if (j.terminal()) {
      boolean named = res.error() != null && before.name().equals("JOB_STATE_" + res.error().metadata().get("state"));
      if (!res.invalidTransition() || !named) {
        w.violation(what + " answered " + res.outcome() + " instead of INVALID_TRANSITION naming its state");
      }
    } else if (res.ok()) {
      JobState after = res.value().getState();
      boolean expected = switch (before) {
        case JOB_STATE_SERVING, JOB_STATE_STOPPING -> after == JobState.JOB_STATE_STOPPING;
        case JOB_STATE_RUNNING -> after == JobState.JOB_STATE_RUNNING && res.value().getCancelRequested();
        case JOB_STATE_QUEUED -> after == JobState.JOB_STATE_CANCELLED || (after == JobState.JOB_STATE_RUNNING && res.value().getCancelRequested());
        default -> false;
      };
      if (!expected && certain) {
        w.observe(client, j);
        if (!lostToTime(j, j.liveLease())) {
          w.violation(what + " left it " + after + " cancel_requested " + res.value().getCancelRequested());
        }
      }
    } else if (!res.invalidTransition() || (certain && before != JobState.JOB_STATE_STOPPING)) {
      w.violation(what + " answered " + res.outcome());
    }
    w.observe(client, j);
    w.count("stop");
  }

  /**
   * Whether {@code l}'s attempt was lost to time (call after observing): the server ended it itself
   * (lease expired, timed out, forced cancel), or its lease has expired on the database's clock.
   * A certain prediction about a live lease that failed this way was only late: the machine stalled
   * past {@link ModelWorld#MARGIN}.
   */
  boolean lostToTime(JobModel j, JobModel.Lease l) {
    io.overseer.v1.JobEvent end = j.endOfAttempt(l.attempt);
    if (end != null) {
      return end.getActor().equals("system");
    }
    ModelWorld.Row row = w.row(sql, j.id);
    return row != null && LEASED_NAMES.contains(row.state()) && l.token.equals(row.leaseToken()) && row.leaseExpired();
  }

  /** A worker call succeeded: it must not have used a dead lease; recorded for the final check. */
  void workerCallSucceeded(JobModel j, JobModel.Lease l, String call, Attempted<?> res, boolean dead) {
    if (dead) {
      w.violation("job " + j.id + ": " + call + " succeeded with the dead token of attempt " + l.attempt
          + " (job " + j.state + " attempt " + j.attempt + ")");
    }
    w.succeeded(j.id, l.attempt, call, res.sent());
    w.count("worker_ok");
  }

  /**
   * A worker call was refused: it must be LEASE_LOST naming the job, and the lease must really be
   * gone (the job moved on, or its lease expired on the database's clock). A refusal the model
   * thought impossible is then only a late prediction (the machine stalled past the margin).
   */
  void leaseRefused(JobModel j, JobModel.Lease l, String call, Attempted<?> res, boolean certain) {
    String what = "job " + j.id + ": " + call + " with the token of attempt " + l.attempt;
    if (!res.leaseLost() || !j.id.equals(res.error().metadata().get("job_id"))) {
      w.violation(what + " answered " + res.outcome() + " instead of LEASE_LOST naming the job");
      return;
    }
    ModelWorld.Row row = w.row(sql, j.id);
    boolean gone = row == null || !LEASED_NAMES.contains(row.state()) || !l.token.equals(row.leaseToken()) || row.leaseExpired();
    if (!gone) {
      w.violation(what + " was refused LEASE_LOST while its lease was live (it expires at " + row.leaseExpiresAt() + ")");
    } else if (row != null && l.token.equals(row.leaseToken()) && row.leaseExpiresAt() != null
        && row.leaseExpiresAt().plusMillis(2).isBefore(l.expiresAfter)) {
      w.violation(what + ": the lease expired at " + row.leaseExpiresAt() + ", before " + l.expiresAfter);
    }
    if (certain) {
      late(j, l, call + " refused LEASE_LOST");
    } else {
      w.count("lease_lost");
    }
  }

  /** A certain prediction failed only because the machine stalled past the margin: counted and told. */
  void late(JobModel j, JobModel.Lease l, String what) {
    w.count("late_prediction");
    io.overseer.v1.JobEvent end = l == null ? null : j.endOfAttempt(l.attempt);
    System.out.println("[model] late prediction, job " + j.id + ": " + what + " at " + Instant.now()
        + (l == null ? "" : "; lease bound " + l.expiresAfter + ", started after " + l.startedAfter + ", timeout " + j.timeout
            + ", cancel after " + j.cancelRequestedAfter + ", end " + (end == null ? "-" : end.getMessage() + " at " + RandomJobs.instant(end.getTime()))));
  }
}
