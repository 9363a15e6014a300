package io.overseer.client.worker;

/**
 * Thrown by a {@link JobHandler} when retrying cannot help (bad input, a permanent refusal): the
 * job fails with {@code retryable=false} and becomes FAILED whatever attempts are left. Any other
 * exception fails the attempt retryably.
 */
public class NonRetryableException extends Exception {
  public NonRetryableException(String message) {
    super(message);
  }

  public NonRetryableException(String message, Throwable cause) {
    super(message, cause);
  }
}
