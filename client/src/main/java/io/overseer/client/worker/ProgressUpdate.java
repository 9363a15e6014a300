package io.overseer.client.worker;

import io.overseer.v1.HeartbeatRequest;

/** A progress report waiting for the next heartbeat; null fields are left unchanged. */
record ProgressUpdate(Integer percent, String stage, String message) {

  /** {@code newer}'s fields win where set; either may be null. */
  static ProgressUpdate merge(ProgressUpdate older, ProgressUpdate newer) {
    if (older == null) {
      return newer;
    }
    if (newer == null) {
      return older;
    }
    return new ProgressUpdate(
        newer.percent != null ? newer.percent : older.percent,
        newer.stage != null ? newer.stage : older.stage,
        newer.message != null ? newer.message : older.message);
  }

  void applyTo(HeartbeatRequest.Builder request) {
    if (percent != null) {
      request.setProgress(percent);
    }
    if (stage != null) {
      request.setStage(stage);
    }
    if (message != null) {
      request.setMessage(message);
    }
  }
}
