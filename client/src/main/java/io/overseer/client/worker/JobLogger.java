package io.overseer.client.worker;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;

/**
 * An SLF4J {@link org.slf4j.Logger} that writes to the job's log ({@link JobContext#logger()}):
 * INFO on stdout, WARN and ERROR on stderr, each line {@code LEVEL message}; a throwable's stack
 * trace follows, one log line per frame. DEBUG and TRACE are off. Batched like {@link
 * JobContext#log}: it never waits for the network.
 */
final class JobLogger extends LegacyAbstractLogger {
  private static final long serialVersionUID = 1L;
  private final transient JobLog log;

  JobLogger(String jobId, JobLog log) {
    this.name = "job " + jobId;
    this.log = log;
  }

  @Override
  public boolean isTraceEnabled() {
    return false;
  }

  @Override
  public boolean isDebugEnabled() {
    return false;
  }

  @Override
  public boolean isInfoEnabled() {
    return true;
  }

  @Override
  public boolean isWarnEnabled() {
    return true;
  }

  @Override
  public boolean isErrorEnabled() {
    return true;
  }

  @Override
  protected String getFullyQualifiedCallerName() {
    return null;
  }

  @Override
  protected void handleNormalizedLoggingCall(Level level, Marker marker, String pattern, Object[] arguments, Throwable throwable) {
    String stream = level == Level.INFO ? "stdout" : "stderr";
    log.append(stream, level + " " + MessageFormatter.basicArrayFormat(pattern, arguments));
    if (throwable != null) {
      StringWriter trace = new StringWriter();
      throwable.printStackTrace(new PrintWriter(trace));
      trace.toString().lines().forEach(line -> log.append(stream, line));
    }
  }
}
