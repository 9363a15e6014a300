package io.overseer.client.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.overseer.client.OverseerClient;
import io.overseer.client.Structs;
import io.overseer.client.testing.Errors;
import io.overseer.client.testing.FakeOverseer;
import io.overseer.server.testing.Poll;
import io.overseer.v1.AddAssetRequest;
import io.overseer.v1.Asset;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.FailJobRequest;
import io.overseer.v1.HeartbeatRequest;
import io.overseer.v1.HeartbeatResponse;
import io.overseer.v1.Job;
import io.overseer.v1.Lease;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@Timeout(30)
class WorkerTest {
  private static final long WAIT = 10; // seconds: generous bounds, never sleeps

  record Finished(JobContext ctx, JobOutcome outcome, Job job, Throwable error) {}

  private FakeOverseer server;
  private OverseerClient client;
  private Worker worker;
  private final BlockingQueue<Finished> finished = new LinkedBlockingQueue<>();

  @BeforeEach
  void start() throws Exception {
    server = new FakeOverseer();
    client = server.client();
  }

  @AfterEach
  void stop() throws Exception {
    if (worker != null) {
      worker.shutdown(Duration.ofSeconds(5));
    }
    client.close();
    server.close();
  }

  private Worker startWorker(int concurrency, JobHandler handler) {
    return startWorker(concurrency, Duration.ofMillis(10), handler);
  }

  private Worker startWorker(int concurrency, Duration progressInterval, JobHandler handler) {
    return startWorker(concurrency, 0, progressInterval, handler);
  }

  private Worker startWorker(
      int concurrency, int prefetch, Duration progressInterval, JobHandler handler) {
    worker = Worker.builder()
        .client(client)
        .workerId("test-worker")
        .queues("default")
        .concurrency(concurrency)
        .prefetch(prefetch)
        .leaseDuration(Duration.ofSeconds(3))
        .heartbeatInterval(Duration.ofMillis(50))
        .progressInterval(progressInterval)
        .claimWait(Duration.ofMillis(200))
        .handler("demo", handler)
        .listener(new WorkerListener() {
          @Override
          public void jobFinished(JobContext ctx, JobOutcome outcome, Job job, Throwable error) {
            finished.add(new Finished(ctx, outcome, job, error));
          }
        })
        .build()
        .start();
    return worker;
  }

  private Finished nextFinished() throws InterruptedException {
    Finished f = finished.poll(WAIT, TimeUnit.SECONDS);
    assertNotNull(f, "no job finished in time");
    return f;
  }

  @Test
  void completesWithTheHandlersResult() throws Exception {
    startWorker(1, ctx -> JobResult.of(Map.of("echo", ctx.paramsMap().get("n"))));
    Lease lease = server.workers.offer("demo", Map.of("n", 7));

    Finished f = nextFinished();
    assertEquals(JobOutcome.COMPLETED, f.outcome());
    CompleteJobRequest done = server.workers.completions.poll(WAIT, TimeUnit.SECONDS);
    assertEquals(lease.getJob().getId(), done.getJobId());
    assertEquals(lease.getLeaseToken(), done.getLeaseToken());
    assertEquals(Map.of("echo", 7L), Structs.toMap(done.getResult()));
    assertFalse(done.getPartial());

    ClaimJobsRequest claim = server.workers.claims.poll(WAIT, TimeUnit.SECONDS);
    assertEquals("test-worker", claim.getWorkerId());
    assertEquals(java.util.List.of("demo"), claim.getTypesList());
    assertEquals(java.util.List.of("default"), claim.getQueuesList());
    assertEquals(1, claim.getMaxJobs());
    assertEquals(3, claim.getLeaseDuration().getSeconds());
  }

  @Test
  void partialAndNullResults() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    startWorker(1, ctx -> calls.incrementAndGet() == 1
        ? JobResult.partial(Map.of("rows", 5), "3 files missing")
        : null);
    server.workers.offer("demo", Map.of());
    CompleteJobRequest partial = server.workers.completions.poll(WAIT, TimeUnit.SECONDS);
    assertTrue(partial.getPartial());
    assertEquals("3 files missing", partial.getErrorMessage());
    assertEquals(JobOutcome.PARTIAL, nextFinished().outcome());

    server.workers.offer("demo", Map.of());
    CompleteJobRequest empty = server.workers.completions.poll(WAIT, TimeUnit.SECONDS);
    assertFalse(empty.getPartial());
    assertEquals(0, empty.getResult().getFieldsCount());
    assertEquals(JobOutcome.COMPLETED, nextFinished().outcome());
  }

  @Test
  void exceptionsFailRetryablyUnlessNonRetryable() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    startWorker(1, ctx -> {
      if (calls.incrementAndGet() == 1) {
        throw new IllegalStateException("disk full");
      }
      throw new NonRetryableException("bad input");
    });
    server.workers.offer("demo", Map.of());
    FailJobRequest first = server.workers.failures.poll(WAIT, TimeUnit.SECONDS);
    assertTrue(first.getRetryable());
    assertEquals("disk full", first.getErrorMessage());
    Finished f1 = nextFinished();
    assertEquals(JobOutcome.RETRYING, f1.outcome());
    assertInstanceOf(IllegalStateException.class, f1.error());

    server.workers.offer("demo", Map.of());
    FailJobRequest second = server.workers.failures.poll(WAIT, TimeUnit.SECONDS);
    assertFalse(second.getRetryable());
    assertEquals("bad input", second.getErrorMessage());
    assertEquals(JobOutcome.FAILED, nextFinished().outcome());
  }

  @Test
  void progressRidesOnHeartbeatsAndAbsentFieldsStayAbsent() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    startWorker(1, ctx -> {
      ctx.progress(10, "preparing", "getting ready");
      ctx.progress(50, "running", "half way");
      release.await();
      return null;
    });
    server.workers.offer("demo", Map.of());

    HeartbeatRequest withProgress = null;
    HeartbeatRequest plain = null;
    while (withProgress == null || plain == null) {
      HeartbeatRequest beat = server.workers.heartbeats.poll(WAIT, TimeUnit.SECONDS);
      assertNotNull(beat, "heartbeats stopped");
      if (beat.hasProgress() && beat.getProgress() == 50) {
        assertEquals("running", beat.getStage());
        assertEquals("half way", beat.getMessage());
        withProgress = beat;
      } else if (withProgress != null && !beat.hasProgress()) {
        assertFalse(beat.hasStage());
        assertFalse(beat.hasMessage());
        plain = beat;
      }
    }
    assertEquals(3, plain.getLeaseDuration().getSeconds());
    release.countDown();
    assertEquals(JobOutcome.COMPLETED, nextFinished().outcome());
  }

  @Test
  void everyStageIsRecordedAndProgressWithinAStageCoalesces() throws Exception {
    CountDownLatch firstSent = new CountDownLatch(1);
    server.workers.heartbeatBehavior = request -> {
      firstSent.countDown();
      return HeartbeatResponse.getDefaultInstance();
    };
    // a long coalescing window: without stage changes only the first report would go out
    startWorker(1, Duration.ofSeconds(30), ctx -> {
      ctx.progress(0, "preparing", "p");
      firstSent.await();
      for (int i = 1; i <= 50; i++) {
        ctx.progress(i, "running", "step " + i);
      }
      ctx.progress(95, "collecting", "c");
      ctx.progress(96, "collecting", "c2");
      return null;
    });
    server.workers.offer("demo", Map.of());
    assertEquals(JobOutcome.COMPLETED, nextFinished().outcome());

    java.util.List<String> reports = new java.util.ArrayList<>();
    for (HeartbeatRequest beat : server.workers.heartbeats) {
      if (beat.hasStage()) {
        reports.add(beat.getStage() + " " + beat.getProgress() + " " + beat.getMessage());
      }
    }
    // the last report of each stage arrives, in order, before the job's result
    assertEquals(java.util.List.of("preparing 0 p", "running 50 step 50", "collecting 96 c2"),
        reports);
  }

  @Test
  void cancelRequestInterruptsTheHandlerAndIsAcknowledged() throws Exception {
    server.workers.heartbeatBehavior =
        request -> HeartbeatResponse.newBuilder().setCancelRequested(true).build();
    startWorker(1, ctx -> {
      new CountDownLatch(1).await(); // only an interrupt gets out of here
      return null;
    });
    server.workers.offer("demo", Map.of());

    FailJobRequest ack = server.workers.failures.poll(WAIT, TimeUnit.SECONDS);
    assertEquals("cancelled", ack.getErrorMessage());
    assertFalse(ack.getRetryable());
    Finished f = nextFinished();
    assertEquals(JobOutcome.CANCELLED, f.outcome());
    assertTrue(f.ctx().isCancelled());
    assertInstanceOf(InterruptedException.class, f.error());
  }

  @Test
  void lostLeaseAbandonsTheJobWithoutReporting() throws Exception {
    server.workers.heartbeatBehavior = request -> {
      throw Errors.leaseLost(request.getJobId());
    };
    startWorker(1, ctx -> {
      new CountDownLatch(1).await();
      return JobResult.empty();
    });
    server.workers.offer("demo", Map.of());

    Finished f = nextFinished();
    assertEquals(JobOutcome.LEASE_LOST, f.outcome());
    assertTrue(f.ctx().isCancelled());
    // a report would have reached the server before the listener heard of the outcome
    assertNull(server.workers.completions.poll());
    assertNull(server.workers.failures.poll());
  }

  @Test
  void transientCompletionErrorsAreRetriedAndOthersAreNot() throws Exception {
    server.workers.completeErrors.add(Status.UNAVAILABLE.asRuntimeException());
    startWorker(1, ctx -> JobResult.of(Map.of("ok", true)));
    server.workers.offer("demo", Map.of());
    Finished f = nextFinished();
    assertEquals(JobOutcome.COMPLETED, f.outcome());
    CompleteJobRequest first = server.workers.completions.poll(WAIT, TimeUnit.SECONDS);
    assertEquals(first, server.workers.completions.poll(WAIT, TimeUnit.SECONDS), "same report");

    server.workers.completeErrors.add(Status.INTERNAL.asRuntimeException());
    server.workers.offer("demo", Map.of());
    assertEquals(JobOutcome.UNREPORTED, nextFinished().outcome());
    assertNotNull(server.workers.completions.poll(WAIT, TimeUnit.SECONDS));
    assertNull(server.workers.completions.poll(), "INTERNAL is not retried");
  }

  @Test
  void reportsThatPileUpWhileACallIsOutGoTogether() throws Exception {
    HeldBatch held = new HeldBatch();
    startWorker(4, ctx -> JobResult.empty());
    server.workers.offer("demo", Map.of());
    held.awaitSent();
    for (int i = 0; i < 3; i++) {
      server.workers.offer("demo", Map.of());
    }
    Poll.until(Duration.ofSeconds(WAIT), "three reports waiting behind the held call",
        () -> worker.completionsWaiting() == 3);
    held.release.countDown();
    for (int i = 0; i < 4; i++) {
      assertEquals(JobOutcome.COMPLETED, nextFinished().outcome());
    }
    assertEquals(1, server.workers.batches.poll().getRequestsCount());
    assertEquals(3, server.workers.batches.poll().getRequestsCount(), "one call for the reports that piled up");
    assertNull(server.workers.batches.poll());
  }

  /**
   * With one handler, a finished job's slot serves the next job while its report is out, up to
   * concurrency + prefetch reports out (the held call's and those waiting behind it); the job
   * whose report would be one more keeps its handler and its claim budget.
   */
  @ParameterizedTest(name = "prefetch {0}")
  @ValueSource(ints = {0, 1})
  void aFinishedJobsSlotServesTheNextJobWhileUpToTheBudgetOfReportsIsOut(int prefetch)
      throws Exception {
    int reportsOut = 1 + prefetch;
    HeldBatch held = new HeldBatch();
    AtomicInteger started = new AtomicInteger();
    startWorker(1, prefetch, Duration.ofMillis(10), ctx -> {
      started.incrementAndGet();
      return JobResult.empty();
    });
    for (int i = 0; i < reportsOut + 2; i++) {
      server.workers.offer("demo", Map.of());
    }
    held.awaitSent();
    // jobs run while the first report is held, until reportsOut are out and one more finished;
    // its report waits for room, holding the handler (and the prefetched job behind it)
    Poll.until(Duration.ofSeconds(WAIT), "the reports out and one more job finished",
        () -> started.get() == reportsOut + 1 && worker.completionsWaiting() == reportsOut - 1);
    Poll.holdsFor(Duration.ofMillis(300), "no more jobs while " + reportsOut + " reports are out",
        () -> started.get() == reportsOut + 1 && worker.completionsWaiting() == reportsOut - 1
            && worker.activeJobs() <= reportsOut + 1 + prefetch);
    held.release.countDown();
    for (int i = 0; i < reportsOut + 2; i++) {
      assertEquals(JobOutcome.COMPLETED, nextFinished().outcome());
    }
    assertEquals(reportsOut + 2, started.get());
  }

  @Test
  void aFailedBatchCallIsRetriedPerReport() throws Exception {
    server.workers.beforeBatch.add(() -> {
      throw Status.UNAVAILABLE.withDescription("node restarting").asRuntimeException();
    });
    startWorker(1, ctx -> JobResult.empty());
    Lease lease = server.workers.offer("demo", Map.of());
    assertEquals(JobOutcome.COMPLETED, nextFinished().outcome());
    assertEquals(lease.getJob().getId(), server.workers.completions.poll(WAIT, TimeUnit.SECONDS).getJobId());
    assertEquals(2, server.workers.batches.size(), "the failed call and its retry");
  }

  @Test
  void fallsBackToCompleteJobOnAServerWithoutBatches() throws Exception {
    server.workers.batchCompletion = false;
    startWorker(2, ctx -> JobResult.of(Map.of("ok", true)));
    for (int i = 0; i < 3; i++) {
      server.workers.offer("demo", Map.of());
    }
    for (int i = 0; i < 3; i++) {
      assertEquals(JobOutcome.COMPLETED, nextFinished().outcome());
    }
    for (int i = 0; i < 3; i++) {
      assertNotNull(server.workers.completions.poll(WAIT, TimeUnit.SECONDS));
    }
    assertEquals(0, server.workers.batches.size(), "no batch was accepted");
  }

  /** Holds the fake server's next BatchCompleteJobs call until {@code release} counts down. */
  private final class HeldBatch {
    final CountDownLatch sent = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);

    HeldBatch() {
      server.workers.beforeBatch.add(() -> {
        sent.countDown();
        await(release);
      });
    }

    void awaitSent() throws InterruptedException {
      assertTrue(sent.await(WAIT, TimeUnit.SECONDS), "the first report was not sent");
    }
  }

  private static void await(CountDownLatch latch) {
    try {
      if (!latch.await(WAIT, TimeUnit.SECONDS)) {
        throw new AssertionError("never released");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void neverRunsOrClaimsMoreThanTheConcurrency() throws Exception {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger mostRunning = new AtomicInteger();
    CountDownLatch twoRunning = new CountDownLatch(2);
    CountDownLatch gate = new CountDownLatch(1);
    startWorker(2, ctx -> {
      mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
      twoRunning.countDown();
      gate.await();
      running.decrementAndGet();
      return null;
    });
    for (int i = 0; i < 5; i++) {
      server.workers.offer("demo", Map.of("i", i));
    }
    assertTrue(twoRunning.await(WAIT, TimeUnit.SECONDS));
    gate.countDown();
    for (int i = 0; i < 5; i++) {
      assertEquals(JobOutcome.COMPLETED, nextFinished().outcome());
    }
    assertEquals(2, mostRunning.get());
    for (ClaimJobsRequest claim : server.workers.claims) {
      assertTrue(claim.getMaxJobs() >= 1 && claim.getMaxJobs() <= 2, "max_jobs " + claim);
    }
  }

  @Test
  void prefetchedJobsWaitLeasedAndHeartbeatedThenStartInClaimOrder() throws Exception {
    BlockingQueue<Object> startedOrder = new LinkedBlockingQueue<>();
    CountDownLatch gate = new CountDownLatch(1);
    startWorker(1, 2, Duration.ofMillis(10), ctx -> {
      startedOrder.add(ctx.params().getFieldsOrThrow("i").getNumberValue());
      gate.await();
      return null;
    });
    Lease[] offered = new Lease[5];
    for (int i = 0; i < offered.length; i++) {
      offered[i] = server.workers.offer("demo", Map.of("i", i));
    }
    // one running and two waiting: the claim budget (concurrency + prefetch) is spent
    Poll.until(Duration.ofSeconds(WAIT), "three jobs claimed", () -> worker.activeJobs() == 3);
    String waiting = offered[2].getJob().getId();
    Poll.until(Duration.ofSeconds(WAIT), "a waiting job's lease is heartbeated",
        () -> server.workers.heartbeats.stream().anyMatch(h -> h.getJobId().equals(waiting)));
    Poll.holdsFor(Duration.ofMillis(200), "no more than the budget is claimed",
        () -> server.workers.claimable.size() == 2 && startedOrder.size() == 1);
    for (ClaimJobsRequest claim : server.workers.claims) {
      assertTrue(claim.getMaxJobs() >= 1 && claim.getMaxJobs() <= 3, "max_jobs " + claim);
    }

    gate.countDown();
    for (int i = 0; i < offered.length; i++) {
      assertEquals(JobOutcome.COMPLETED, nextFinished().outcome());
    }
    assertEquals(List.of(0.0, 1.0, 2.0, 3.0, 4.0), List.copyOf(startedOrder));
  }

  @Test
  void aJobCancelledWhileItWaitsForAHandlerNeverStarts() throws Exception {
    CountDownLatch firstStarted = new CountDownLatch(1);
    CountDownLatch gate = new CountDownLatch(1);
    AtomicInteger handlerRuns = new AtomicInteger();
    startWorker(1, 1, Duration.ofMillis(10), ctx -> {
      handlerRuns.incrementAndGet();
      firstStarted.countDown();
      gate.await();
      return null;
    });
    server.workers.offer("demo", Map.of("i", 0));
    assertTrue(firstStarted.await(WAIT, TimeUnit.SECONDS));
    String waiting = server.workers.offer("demo", Map.of("i", 1)).getJob().getId();
    server.workers.heartbeatBehavior = request -> HeartbeatResponse.newBuilder()
        .setCancelRequested(request.getJobId().equals(waiting)).build();

    FailJobRequest ack = server.workers.failures.poll(WAIT, TimeUnit.SECONDS);
    assertNotNull(ack, "the waiting job was not acknowledged as cancelled");
    assertEquals(waiting, ack.getJobId());
    assertEquals("cancelled", ack.getErrorMessage());
    Finished cancelled = nextFinished();
    assertEquals(JobOutcome.CANCELLED, cancelled.outcome());
    assertEquals(waiting, cancelled.ctx().jobId());

    gate.countDown();
    assertEquals(JobOutcome.COMPLETED, nextFinished().outcome());
    assertEquals(1, handlerRuns.get(), "the cancelled job's handler ran");
  }

  @Test
  void shutdownHandsBackAWaitingJobAtOnceWithoutStartingIt() throws Exception {
    CountDownLatch firstStarted = new CountDownLatch(1);
    CountDownLatch firstMayReturn = new CountDownLatch(1);
    AtomicInteger handlerRuns = new AtomicInteger();
    startWorker(1, 1, Duration.ofMillis(10), ctx -> {
      handlerRuns.incrementAndGet();
      firstStarted.countDown();
      try {
        new CountDownLatch(1).await(); // until the shutdown interrupts it
      } catch (InterruptedException e) {
        firstMayReturn.await(); // and then holds its thread until the test lets go
        throw e;
      }
      return null;
    });
    server.workers.offer("demo", Map.of("i", 0));
    String waiting = server.workers.offer("demo", Map.of("i", 1)).getJob().getId();
    assertTrue(firstStarted.await(WAIT, TimeUnit.SECONDS));
    Poll.until(Duration.ofSeconds(WAIT), "the second job claimed", () -> worker.activeJobs() == 2);

    Thread stopper = new Thread(() -> worker.shutdown(Duration.ofMillis(100)));
    stopper.start();
    // the waiting job goes back while the only handler thread is still busy
    FailJobRequest handedBack = server.workers.failures.poll(WAIT, TimeUnit.SECONDS);
    assertNotNull(handedBack, "the waiting job was not handed back");
    assertEquals(waiting, handedBack.getJobId());
    assertTrue(handedBack.getRetryable());
    assertTrue(handedBack.getErrorMessage().contains("shut down"), handedBack.getErrorMessage());

    firstMayReturn.countDown();
    stopper.join();
    assertNotNull(server.workers.failures.poll(WAIT, TimeUnit.SECONDS), "first job handed back");
    for (int i = 0; i < 2; i++) {
      assertEquals(JobOutcome.RETRYING, nextFinished().outcome());
    }
    assertEquals(1, handlerRuns.get(), "the waiting job's handler ran");
    assertEquals(0, worker.activeJobs());
  }

  @Test
  void shutdownHandsBackJobsThatOutliveTheTimeout() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    startWorker(1, ctx -> {
      started.countDown();
      new CountDownLatch(1).await();
      return null;
    });
    server.workers.offer("demo", Map.of());
    assertTrue(started.await(WAIT, TimeUnit.SECONDS));

    assertFalse(worker.shutdown(Duration.ofMillis(100)));

    FailJobRequest handedBack = server.workers.failures.poll(WAIT, TimeUnit.SECONDS);
    assertTrue(handedBack.getRetryable());
    assertTrue(handedBack.getErrorMessage().contains("shut down"), handedBack.getErrorMessage());
    assertEquals(JobOutcome.RETRYING, nextFinished().outcome());
    assertEquals(0, worker.activeJobs());
  }

  @Test
  void shutdownLetsRunningJobsFinish() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch gate = new CountDownLatch(1);
    startWorker(1, ctx -> {
      started.countDown();
      gate.await();
      return JobResult.of(Map.of("done", true));
    });
    server.workers.offer("demo", Map.of());
    assertTrue(started.await(WAIT, TimeUnit.SECONDS));
    Thread opener = new Thread(gate::countDown);
    opener.start();
    assertTrue(worker.shutdown(Duration.ofSeconds(WAIT)));
    assertEquals(JobOutcome.COMPLETED, nextFinished().outcome());
    assertNotNull(server.workers.completions.poll());
  }

  @Test
  void assetsCarryTheJobAndLease() throws Exception {
    BlockingQueue<Asset> added = new LinkedBlockingQueue<>();
    startWorker(1, ctx -> {
      added.add(ctx.addAsset("report", "file:///tmp/r.txt", 12, "text/plain", "sha256:00"));
      return null;
    });
    Lease lease = server.workers.offer("demo", Map.of());
    assertEquals(JobOutcome.COMPLETED, nextFinished().outcome());
    AddAssetRequest request = server.workers.assets.poll(WAIT, TimeUnit.SECONDS);
    assertEquals(lease.getJob().getId(), request.getJobId());
    assertEquals(lease.getLeaseToken(), request.getLeaseToken());
    assertEquals(12, request.getSizeBytes());
    assertEquals("report", added.poll().getAssetType());
  }

  @Test
  void assetsSurviveAnUnavailableServerButNotAnAmbiguousDeadline() throws Exception {
    server.workers.assetErrors.add(Status.UNAVAILABLE.asRuntimeException());
    startWorker(1, ctx -> {
      ctx.addAsset("report", "file:///tmp/r.txt", 1, "text/plain", "");
      return null;
    });
    server.workers.offer("demo", Map.of());
    assertEquals(JobOutcome.COMPLETED, nextFinished().outcome());
    assertEquals(2, server.workers.assets.size(), "retried once");

    server.workers.assets.clear();
    server.workers.assetErrors.add(Status.DEADLINE_EXCEEDED.asRuntimeException());
    server.workers.offer("demo", Map.of());
    Finished f = nextFinished();
    assertEquals(JobOutcome.RETRYING, f.outcome());
    assertEquals(1, server.workers.assets.size(), "not retried: it may have been recorded");
  }
}
