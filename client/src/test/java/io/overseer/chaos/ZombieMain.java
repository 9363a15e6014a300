package io.overseer.chaos;

import com.google.protobuf.Duration;
import io.overseer.client.OverseerClient;
import io.overseer.client.OverseerException;
import io.overseer.client.Structs;
import io.overseer.client.worker.JobContext;
import io.overseer.client.worker.JobOutcome;
import io.overseer.client.worker.JobResult;
import io.overseer.client.worker.Worker;
import io.overseer.client.worker.WorkerListener;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.HeartbeatRequest;
import io.overseer.v1.Job;
import io.overseer.v1.Lease;
import io.overseer.v1.WorkerServiceGrpc;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The worker a zombie test pauses with SIGSTOP, driven by lines on stdin. Two kinds of lease:
 *
 * <ul>
 *   <li>raw: {@code claim QUEUE} claims one job with the plain stub and heartbeats it
 *       every third of the lease ({@code claimed ID} on stdout); {@code complete ID} then sends one
 *       heartbeat and a CompleteJob with that lease, whatever happened meanwhile, and prints
 *       {@code result ID HEARTBEAT_STATUS COMPLETE_STATUS};
 *   <li>runtime: a {@link Worker} on queue {@code runtime-queue} whose handler prints {@code
 *       started ID} and waits for {@code complete ID}; the runtime's outcome is printed as {@code
 *       outcome ID OUTCOME}.
 * </ul>
 *
 * A status is {@code OK} or {@code CODE/REASON}. Args: target, id, runtime-queue, lease-ms.
 */
public final class ZombieMain {
  private static final Map<String, CountDownLatch> runtimeJobs = new ConcurrentHashMap<>();
  private static final Map<String, Lease> rawLeases = new ConcurrentHashMap<>();
  private static long leaseMs;
  private static final Map<String, ScheduledFuture<?>> beats = new ConcurrentHashMap<>();
  private static final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new java.util.HashMap<>();
    for (String arg : args) {
      a.put(arg.substring(0, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
    }
    ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(3)));
    OverseerClient client = OverseerClient.builder().target(a.get("target")).deadline(java.time.Duration.ofSeconds(10)).build();
    WorkerServiceGrpc.WorkerServiceBlockingStub stub = client.workerStub();
    leaseMs = Long.parseLong(a.get("lease-ms"));
    Worker.builder()
        .client(client)
        .workerId(a.get("id") + "-runtime")
        .queues(a.get("runtime-queue"))
        .leaseDuration(java.time.Duration.ofMillis(leaseMs))
        .claimWait(java.time.Duration.ofSeconds(5))
        .handler("zombie", ZombieMain::handle)
        .listener(new WorkerListener() {
          @Override
          public void jobFinished(JobContext job, JobOutcome outcome, Job finalJob, Throwable error) {
            say("outcome " + job.jobId() + " " + outcome);
          }
        })
        .build()
        .start();
    say("ready");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    String line;
    while ((line = in.readLine()) != null) {
      String[] cmd = line.trim().split(" ");
      if (cmd[0].equals("claim")) {
        claim(stub, a.get("id"), cmd[1]);
      } else if (cmd[0].equals("complete")) {
        complete(stub, cmd[1]);
      }
    }
    Runtime.getRuntime().halt(0);
  }

  private static JobResult handle(JobContext ctx) throws InterruptedException {
    CountDownLatch go = new CountDownLatch(1);
    runtimeJobs.put(ctx.jobId(), go);
    say("started " + ctx.jobId() + " " + ctx.attempt());
    go.await(); // until "complete ID", or the runtime interrupts us (lease lost)
    return JobResult.of(Map.of("by", "zombie"));
  }

  private static void claim(WorkerServiceGrpc.WorkerServiceBlockingStub stub, String workerId, String queue) {
    try {
      var leases = stub.claimJobs(ClaimJobsRequest.newBuilder()
          .setWorkerId(workerId).addQueues(queue).setMaxJobs(1)
          .setWait(Duration.newBuilder().setSeconds(5))
          .setLeaseDuration(duration(leaseMs)).build()).getLeasesList();
      if (leases.isEmpty()) {
        say("claimed none");
        return;
      }
      Lease lease = leases.get(0);
      String id = lease.getJob().getId();
      rawLeases.put(id, lease);
      beats.put(id, timer.scheduleAtFixedRate(() -> status(() -> heartbeat(stub, lease)), leaseMs / 3, leaseMs / 3, TimeUnit.MILLISECONDS));
      say("claimed " + id);
    } catch (RuntimeException e) {
      say("claimed error " + status(() -> {
        throw e;
      }));
    }
  }

  private static void complete(WorkerServiceGrpc.WorkerServiceBlockingStub stub, String id) {
    CountDownLatch go = runtimeJobs.remove(id);
    if (go != null) {
      go.countDown();
      return;
    }
    Lease lease = rawLeases.remove(id);
    beats.remove(id).cancel(false);
    String heartbeat = status(() -> heartbeat(stub, lease));
    String completed = status(() -> stub.completeJob(CompleteJobRequest.newBuilder()
        .setJobId(id).setLeaseToken(lease.getLeaseToken())
        .setResult(Structs.toStruct(Map.of("by", "zombie"))).build()));
    say("result " + id + " " + heartbeat + " " + completed);
  }

  private static Object heartbeat(WorkerServiceGrpc.WorkerServiceBlockingStub stub, Lease lease) {
    return stub.heartbeat(HeartbeatRequest.newBuilder().setJobId(lease.getJob().getId())
        .setLeaseToken(lease.getLeaseToken()).setLeaseDuration(duration(leaseMs))
        .build());
  }

  private static String status(Runnable call) {
    try {
      call.run();
      return "OK";
    } catch (RuntimeException e) {
      OverseerException error = OverseerException.from(e);
      return error.code() + "/" + error.reason();
    }
  }

  private static Duration duration(long ms) {
    return Duration.newBuilder().setSeconds(ms / 1000).setNanos((int) (ms % 1000) * 1_000_000).build();
  }

  private static synchronized void say(String line) {
    System.out.println(line);
    System.out.flush();
  }
}
