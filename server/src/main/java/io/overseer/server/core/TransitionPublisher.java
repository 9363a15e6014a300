package io.overseer.server.core;

import io.overseer.server.domain.Job;
import io.overseer.server.domain.State;
import io.overseer.server.metrics.JobMetrics;
import io.overseer.server.signal.Signals;
import java.time.Instant;

/**
 * Tells the rest of the node about a committed change of a job: watchers (its event log grew),
 * claimers (a job or a queue slot became free) and metrics. Every writer calls it after commit.
 */
public final class TransitionPublisher {
  private final Signals signals;
  private final JobMetrics metrics;

  public TransitionPublisher(Signals signals, JobMetrics metrics) {
    this.signals = signals;
    this.metrics = metrics;
  }

  public void created(Job job) {
    metrics.created(job);
  }

  /** Claimers of {@code queue} wake when its job becomes claimable (now, or at its run_at). */
  public void claimableAt(String queue, Instant runAt) {
    signals.jobsReadyAt(queue, runAt);
  }

  public void claimed(Job job) {
    metrics.claimed(job, job.updateTime());
    signals.eventAppended(job.id(), job.lastSequence());
  }

  /** RUNNING ended: re-queued (claimable at its run_at), or terminal (its queue slot is free). */
  public void attemptEnded(Job job, String reason) {
    metrics.attemptEnded(job, reason);
    signals.eventAppended(job.id(), job.lastSequence());
    if (job.state() == State.QUEUED) {
      signals.jobsReadyAt(job.queue(), job.runAt());
    } else {
      signals.jobsReady(job.queue()); // a queue limit may have room now
    }
  }

  public void cancelledQueued(Job job) {
    metrics.cancelledQueued(job);
    signals.eventAppended(job.id(), job.lastSequence());
  }

  /** An event without a state change: progress, a cancel request, an asset, a stall. */
  public void eventAppended(Job job) {
    signals.eventAppended(job.id(), job.lastSequence());
  }

  public void stalled(Job job) {
    metrics.stalled(job);
    signals.eventAppended(job.id(), job.lastSequence());
  }
}
