package io.overseer.cli;

/** A mistake in the command line found while running it; reported as INVALID_ARGUMENT. */
public final class UsageException extends RuntimeException {
  public UsageException(String message) {
    super(message);
  }

  public UsageException(String message, Throwable cause) {
    super(message, cause);
  }
}
