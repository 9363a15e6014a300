package io.overseer.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.overseer.server.domain.Job;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts and times job transitions by queue and type, and logs each at debug. Called after the
 * transition committed, by whoever made it (caller, worker or maintenance).
 */
public class JobMetrics {
  /** For tests and tools that need no metrics. */
  public static final JobMetrics NONE = new JobMetrics(null);

  private static final Logger log = LoggerFactory.getLogger("io.overseer.server.transitions");
  private final MeterRegistry registry;

  public JobMetrics(MeterRegistry registry) {
    this.registry = registry;
  }

  public void created(Job job) {
    log.debug("job {} created: {} in queue {}", job.id(), job.type(), job.queue());
    count("overseer.jobs.submitted", job); // not "created": Prometheus reserves the _created suffix
  }

  /** A claim, with the time the job waited since it became claimable. */
  public void claimed(Job job, Instant claimedAt) {
    log.debug("job {} {} -> {} (attempt {}, worker {})", job.id(), job.previousState(), job.state(), job.attempt(), job.workerId());
    count("overseer.jobs.claimed", job);
    if (registry != null) {
      Duration waited = Duration.between(job.runAt().isAfter(job.createTime()) ? job.runAt() : job.createTime(), claimedAt);
      if (job.attempt() > 1) {
        waited = Duration.between(job.runAt(), claimedAt);
      }
      Timer.builder("overseer.job.queue.wait")
          .description("time from a job becoming claimable to its claim")
          .tags("queue", job.queue())
          .publishPercentileHistogram()
          .register(registry)
          .record(waited.isNegative() ? Duration.ZERO : waited);
    }
  }

  /**
   * A job ended: finished, cancelled, or re-queued (a retry, an orphan whose lease expired, or a
   * claim nobody received). The reason is the job's error message.
   */
  public void ended(Job job) {
    log.debug("job {} {} -> {} ({})", job.id(), job.previousState(), job.state(), job.errorMessage());
    switch (job.state()) {
      case COMPLETED, PARTIAL -> count("overseer.jobs.completed", job);
      case FAILED -> count("overseer.jobs.failed", job);
      case CANCELLED -> count("overseer.jobs.cancelled", job);
      case QUEUED -> count("lease expired".equals(job.errorMessage()) ? "overseer.jobs.orphaned" : "overseer.jobs.retried", job);
      default -> { }
    }
    if (registry != null && job.state().isTerminal() && job.startTime() != null && job.finishTime() != null) {
      Timer.builder("overseer.job.run")
          .description("time from the first claim to the terminal state")
          .tags("queue", job.queue(), "type", job.type())
          .publishPercentileHistogram()
          .register(registry)
          .record(Duration.between(job.startTime(), job.finishTime()));
    }
  }

  /** A running job whose progress has not moved for its type's stall threshold. */
  public void stalled(Job job) {
    log.info("job {} ({}) stalled: no progress since its last change", job.id(), job.type());
    count("overseer.jobs.stalled", job);
  }

  private void count(String name, Job job) {
    if (registry != null) {
      Counter.builder(name).tags("queue", job.queue(), "type", job.type()).register(registry).increment();
    }
  }
}
