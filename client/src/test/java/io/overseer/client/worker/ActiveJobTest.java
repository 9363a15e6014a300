package io.overseer.client.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.v1.Job;
import io.overseer.v1.Lease;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ActiveJobTest {
  private static ActiveJob job() {
    WorkerSettings settings = new WorkerSettings("w", List.of(), List.of("demo"), 1, 0,
        Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofMillis(250), Duration.ofSeconds(1),
        Duration.ofSeconds(10), Duration.ofSeconds(30));
    Lease lease = Lease.newBuilder().setLeaseToken("t")
        .setJob(Job.newBuilder().setId("j").setType("demo")).build();
    return new ActiveJob(lease, settings, null);
  }

  @Test
  void aStopAfterTheHandlerReturnedDoesNotChangeTheOutcome() {
    ActiveJob job = job();
    AtomicInteger hooks = new AtomicInteger();
    job.onStop(hooks::incrementAndGet);
    job.bindHandlerThread();
    job.unbindHandlerThread();

    job.stopForShutdown(); // e.g. the shutdown timed out while the report waited for a thread

    assertEquals(ActiveJob.StopReason.NONE, job.stopReason());
    assertEquals(0, hooks.get());
  }

  @Test
  void theFirstStopWinsAndRunsTheHookOnce() {
    ActiveJob job = job();
    AtomicInteger hooks = new AtomicInteger();
    job.onStop(hooks::incrementAndGet);

    job.requestCancel();
    job.stopForShutdown();

    assertEquals(ActiveJob.StopReason.CANCEL_REQUESTED, job.stopReason());
    assertEquals(1, hooks.get());
    job.bindHandlerThread(); // a stopped job's handler starts interrupted
    assertTrue(Thread.interrupted());
    job.unbindHandlerThread();
  }
}
