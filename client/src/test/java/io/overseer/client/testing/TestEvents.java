package io.overseer.client.testing;

import io.overseer.v1.JobEvent;
import io.overseer.v1.JobEventKind;
import io.overseer.v1.JobState;

/** Builds job events for tests. */
public final class TestEvents {
  private TestEvents() {}

  public static JobEvent state(String jobId, long seq, JobState from, JobState to, String message) {
    return JobEvent.newBuilder()
        .setJobId(jobId)
        .setSequence(seq)
        .setKind(JobEventKind.JOB_EVENT_KIND_STATE_CHANGED)
        .setPreviousState(from)
        .setState(to)
        .setMessage(message)
        .setActor("system")
        .build();
  }

  public static JobEvent progress(String jobId, long seq, int percent, String stage, String message) {
    return JobEvent.newBuilder()
        .setJobId(jobId)
        .setSequence(seq)
        .setKind(JobEventKind.JOB_EVENT_KIND_PROGRESS)
        .setState(JobState.JOB_STATE_RUNNING)
        .setProgress(percent)
        .setStage(stage)
        .setMessage(message)
        .setActor("anonymous")
        .setWorkerId("w1")
        .build();
  }
}
