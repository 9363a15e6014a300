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

  /**
   * A job left its state by an ending or a released claim: re-queued (claimable at its run_at),
   * or terminal (if it held a lease, a slot of its queue's limit is free).
   */
  public void ended(Job job) {
    metrics.ended(job);
    signals.eventAppended(job.id(), job.lastSequence());
    if (State.CLAIMABLE.contains(job.state())) {
      signals.jobsReadyAt(job.queue(), job.runAt());
    } else if (job.previousState() != null && job.previousState().isLeased()) {
      signals.jobsReady(job.queue()); // its queue's limit may have room now
    }
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
