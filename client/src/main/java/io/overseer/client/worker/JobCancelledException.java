package io.overseer.client.worker;

/**
 * Thrown by {@link JobContext#checkCancelled()} once the job was cancelled, its lease was lost or
 * the worker is stopping. The runtime knows why and reports the job accordingly.
 */
public class JobCancelledException extends Exception {
  public JobCancelledException(String message) {
    super(message);
  }
}
