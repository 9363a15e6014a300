package io.overseer.client;

import io.overseer.v1.JobServiceGrpc;
import io.overseer.v1.LogLine;
import io.overseer.v1.WatchJobLogsRequest;

/**
 * One WatchJobLogs stream as a blocking iterator: the stored lines after the requested sequence,
 * then live ones; it ends ({@code hasNext() == false}) once the job is terminal and every line was
 * sent. {@link #hasNext()} blocks until the next line arrives.
 *
 * <p>Errors surface from {@code hasNext()}/{@code next()} as {@link OverseerException}. The stream
 * is not reconnected; see {@link OverseerClient#watchJobLogs(String, long,
 * java.util.function.Consumer)} for that. Close it to stop early.
 */
public final class JobLogWatch extends ServerStream<LogLine> {
  JobLogWatch(JobServiceGrpc.JobServiceBlockingStub stub, WatchJobLogsRequest request) {
    super(() -> stub.watchJobLogs(request));
  }
}
