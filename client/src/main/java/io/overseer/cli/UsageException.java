package io.overseer.cli;

/** A mistake in the command line found while running it; reported as INVALID_ARGUMENT. */
final class UsageException extends RuntimeException {
  UsageException(String message) {
    super(message);
  }

  UsageException(String message, Throwable cause) {
    super(message, cause);
  }
}
