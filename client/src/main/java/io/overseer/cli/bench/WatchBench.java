package io.overseer.cli.bench;

import io.grpc.stub.StreamObserver;
import io.overseer.cli.DurationConverter;
import io.overseer.cli.UsageException;
import io.overseer.client.OverseerClient;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.HeartbeatRequest;
import io.overseer.v1.HeartbeatResponse;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobEventKind;
import io.overseer.v1.JobServiceGrpc;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import io.overseer.v1.WatchJobRequest;
import io.overseer.v1.WorkerServiceGrpc;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Watch fan-out: S jobs claimed with the raw WorkerService stub, each watched by one WatchJob
 * stream (async stubs over a few connections), while heartbeats report progress at a fixed total
 * rate. Latency is the delivery delay: from the Heartbeat call returning to the watcher receiving
 * its PROGRESS event.
 */
@Command(
    name = "watch",
    mixinStandardHelpOptions = true,
    description = {
      "Watch fan-out: --watchers jobs are claimed (raw WorkerService stub) and each is followed"
          + " by one WatchJob stream, spread over --channels connections, while Heartbeat calls"
          + " report progress at --rate events per second in total (round-robin over the jobs,"
          + " at most one call in flight per job).",
      "Latency is the delivery delay, from the Heartbeat call returning to the PROGRESS event"
          + " arriving at its watcher (an event that arrives first counts as 0 ms); the server's"
          + " heap comes from --metrics."
    })
final class WatchBench extends Scenario {
  private static final String MARK = "b#";

  @Option(names = "--watchers", paramLabel = "S", defaultValue = "200",
      description = "Jobs, one WatchJob stream each [${DEFAULT-VALUE}].")
  int watchers;

  @Option(names = "--rate", paramLabel = "R", defaultValue = "0",
      description = "Progress events per second in total; 0: 2 per job per second"
          + " [${DEFAULT-VALUE}].")
  double rate;

  @Option(names = "--duration", paramLabel = "D", defaultValue = "30s",
      converter = DurationConverter.class, description = "Measured time [${DEFAULT-VALUE}].")
  Duration duration;

  @Option(names = "--warmup", paramLabel = "D", defaultValue = "3s",
      converter = DurationConverter.class, description = "Unmeasured time first [${DEFAULT-VALUE}].")
  Duration warmup;

  @Option(names = "--channels", paramLabel = "K", defaultValue = "4",
      description = "Connections the watch streams are spread over [${DEFAULT-VALUE}].")
  int channels;

  @Override
  String name() {
    return "watch";
  }

  @Override
  void validate() {
    requirePositive("--watchers", watchers);
    requirePositive("--channels", channels);
    if (rate < 0 || duration.isZero() || duration.isNegative() || warmup.isNegative()) {
      throw new UsageException("--rate must not be negative, --duration must be positive");
    }
  }

  @Override
  void run(OverseerClient client, ServerMetrics metrics, BenchReport report) throws Exception {
    double totalRate = rate > 0 ? rate : 2.0 * watchers;
    report.settings.put("watchers", watchers);
    report.settings.put("rate", totalRate);
    report.settings.put("duration_s", duration.toMillis() / 1000.0);
    report.settings.put("channels", channels);
    report.latencyOf = "per event, from the Heartbeat call returning to the watcher receiving it";
    Errors errors = new Errors();

    progress("creating and claiming " + watchers + " jobs");
    Set<String> ids = ConcurrentHashMap.newKeySet();
    ids.addAll(enqueue(client, watchers, 1000));
    Map<String, String> leases = claim(client, ids);
    List<String> jobs = new ArrayList<>(leases.keySet());

    List<OverseerClient> connections = new ArrayList<>();
    try {
      for (int i = 0; i < channels; i++) {
        connections.add(connect());
      }
      Samples delivery = new Samples();
      Samples fromSend = new Samples();
      Samples heartbeats = new Samples();
      Rendezvous returned = new Rendezvous(delivery);
      Rendezvous sent = new Rendezvous(fromSend);
      CountDownLatch ready = new CountDownLatch(jobs.size());
      CountDownLatch ended = new CountDownLatch(jobs.size());
      AtomicLong endedOk = new AtomicLong();
      AtomicLong streamErrors = new AtomicLong();
      progress("opening " + jobs.size() + " WatchJob streams over " + channels + " connection(s)");
      for (int i = 0; i < jobs.size(); i++) {
        String id = jobs.get(i);
        JobServiceGrpc.newStub(connections.get(i % channels).channel()).watchJob(
            WatchJobRequest.newBuilder().setId(id).build(), new StreamObserver<>() {
              @Override
              public void onNext(JobEvent event) {
                long now = System.nanoTime();
                if (event.getKind() == JobEventKind.JOB_EVENT_KIND_PROGRESS
                    && event.getMessage().startsWith(MARK)) {
                  String key = id + event.getMessage();
                  returned.to(key, now);
                  sent.to(key, now);
                } else if (event.getKind() == JobEventKind.JOB_EVENT_KIND_STATE_CHANGED
                    && event.getState() == JobState.JOB_STATE_RUNNING) {
                  ready.countDown(); // the stored events are in: the stream is live
                }
              }

              @Override
              public void onError(Throwable t) {
                streamErrors.incrementAndGet();
                errors.add(t);
                ended.countDown();
              }

              @Override
              public void onCompleted() {
                endedOk.incrementAndGet();
                ended.countDown();
              }
            });
      }
      if (!ready.await(60, TimeUnit.SECONDS)) {
        throw new IllegalStateException((ready.getCount()) + " of " + jobs.size()
            + " WatchJob streams did not deliver the job's history within 60 s");
      }

      progress("heartbeats at " + BenchReport.text(totalRate) + " events/s: "
          + (warmup.toMillis() / 1000.0) + " s warm-up, then " + (duration.toMillis() / 1000.0)
          + " s measured");
      WorkerServiceGrpc.WorkerServiceStub worker = client.workerAsyncStub();
      AtomicBoolean[] busy = new AtomicBoolean[jobs.size()];
      long[] sequence = new long[jobs.size()];
      for (int i = 0; i < busy.length; i++) {
        busy[i] = new AtomicBoolean();
      }
      AtomicLong skipped = new AtomicLong();
      AtomicLong sentInWindow = new AtomicLong();
      AtomicLong failedBeats = new AtomicLong();
      long start = System.nanoTime();
      long from = start + warmup.toNanos();
      long until = from + duration.toNanos();
      returned.window(from, until);
      sent.window(from, until);
      ServerMetrics.Window window = null;
      long gap = (long) (1e9 / totalRate);
      for (long i = 0; ; i++) {
        long due = start + i * gap;
        if (due > until) {
          break;
        }
        for (long d = due - System.nanoTime(); d > 0; d = due - System.nanoTime()) {
          LockSupport.parkNanos(d);
        }
        if (window == null && due >= from) {
          window = metrics.begin();
        }
        int j = (int) (i % jobs.size());
        if (!busy[j].compareAndSet(false, true)) {
          skipped.incrementAndGet(); // the previous heartbeat of this job is still in flight
          continue;
        }
        long n = ++sequence[j];
        String id = jobs.get(j);
        String key = id + MARK + n;
        long t0 = System.nanoTime();
        if (t0 >= from && t0 <= until) {
          sentInWindow.incrementAndGet();
        }
        sent.from(key, t0);
        worker.heartbeat(HeartbeatRequest.newBuilder()
            .setJobId(id)
            .setLeaseToken(leases.get(id))
            .setProgress((int) (n % 100))
            .setMessage(MARK + n)
            .build(), new StreamObserver<HeartbeatResponse>() {
              @Override
              public void onNext(HeartbeatResponse response) {
                long now = System.nanoTime();
                returned.from(key, now);
                if (t0 >= from && t0 <= until) {
                  heartbeats.add(now - t0);
                }
              }

              @Override
              public void onError(Throwable t) {
                errors.add(t);
                failedBeats.incrementAndGet();
                sent.forget(key);
                returned.forget(key);
                busy[j].set(false);
              }

              @Override
              public void onCompleted() {
                busy[j].set(false);
              }
            });
      }
      BenchReport.Phase phase = report.phase(jobs.size() + " watchers");
      phase.server = window == null ? metrics.begin().end() : window.end();
      // events still on their way get a few seconds; those never delivered are lost
      long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (sent.pending() > 0 && System.nanoTime() < settle) {
        Thread.sleep(20);
      }
      long lost = sent.pending();
      progress("completing the jobs (the streams end with their terminal event)");
      complete(client, leases, errors);
      if (!ended.await(60, TimeUnit.SECONDS)) {
        report.notes.add(ended.getCount() + " WatchJob stream(s) did not end within 60 s of"
            + " their job completing");
      }

      phase.throughput = false;
      phase.jobs = jobs.size();
      phase.seconds = duration.toNanos() / 1e9;
      phase.latency = delivery.percentiles();
      phase.extra.put("events_per_second", sentInWindow.get() / phase.seconds);
      phase.extra.put("events_delivered", fromSend.count());
      phase.extra.put("events_lost", lost);
      phase.extra.put("delivered_before_heartbeat_returned", returned.early());
      phase.extra.put("beats_skipped_busy", skipped.get());
      phase.extra.put("from_send_ms", BenchReport.latency(fromSend.percentiles()));
      phase.extra.put("heartbeat_ms", BenchReport.latency(heartbeats.percentiles()));
      phase.extra.put("streams_ended_ok", endedOk.get());
      phase.extra.put("stream_errors", streamErrors.get());
      report.headline = phase;
      if (lost > 0) {
        report.errors += lost;
        report.notes.add(lost + " progress event(s) were never delivered to their watcher");
      }
      errors.into(report, "call(s) or stream(s)");
    } finally {
      connections.forEach(OverseerClient::close);
    }
  }

  /** Claims every job in {@code ids}; returns job id to lease token, in claim order. */
  private Map<String, String> claim(OverseerClient client, Set<String> ids) {
    Map<String, String> leases = new LinkedHashMap<>();
    Map<String, String> foreign = new LinkedHashMap<>();
    String workerId = "bench-watch-" + ProcessHandle.current().pid();
    int emptyClaims = 0;
    while (leases.size() < ids.size() && emptyClaims < 3) {
      List<Lease> got = client.workerStub().withDeadlineAfter(30, TimeUnit.SECONDS)
          .claimJobs(ClaimJobsRequest.newBuilder()
              .setWorkerId(workerId)
              .addQueues(queue)
              .addTypes(type)
              .setMaxJobs(Math.min(1000, ids.size() - leases.size()))
              .setWait(com.google.protobuf.Duration.newBuilder().setSeconds(5))
              .setLeaseDuration(com.google.protobuf.Duration.newBuilder().setSeconds(600))
              .build())
          .getLeasesList();
      emptyClaims = got.isEmpty() ? emptyClaims + 1 : 0;
      for (Lease lease : got) {
        (ids.contains(lease.getJob().getId()) ? leases : foreign)
            .put(lease.getJob().getId(), lease.getLeaseToken());
      }
    }
    complete(client, foreign, new Errors());
    if (leases.size() < ids.size()) {
      throw new IllegalStateException("claimed only " + leases.size() + " of the " + ids.size()
          + " jobs created on queue " + queue);
    }
    return leases;
  }

  /** CompleteJob for each lease, up to 64 calls in flight. */
  private static void complete(OverseerClient client, Map<String, String> leases, Errors errors) {
    Semaphore inFlight = new Semaphore(64);
    WorkerServiceGrpc.WorkerServiceStub stub = client.workerAsyncStub();
    for (Map.Entry<String, String> lease : leases.entrySet()) {
      inFlight.acquireUninterruptibly();
      stub.completeJob(CompleteJobRequest.newBuilder()
          .setJobId(lease.getKey()).setLeaseToken(lease.getValue()).build(),
          new StreamObserver<Job>() {
            @Override
            public void onNext(Job job) {}

            @Override
            public void onError(Throwable t) {
              errors.add(t);
              inFlight.release();
            }

            @Override
            public void onCompleted() {
              inFlight.release();
            }
          });
    }
    inFlight.acquireUninterruptibly(64);
  }
}
