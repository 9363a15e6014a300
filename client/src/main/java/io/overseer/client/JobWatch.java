package io.overseer.client;

import io.overseer.v1.JobEvent;
import io.overseer.v1.JobServiceGrpc;
import io.overseer.v1.WatchJobRequest;

/**
 * One WatchJob stream as a blocking iterator. It yields the stored events after the requested
 * sequence, then live ones, and ends ({@code hasNext() == false}) after the job's terminal event.
 * {@link #hasNext()} blocks until the next event arrives.
 *
 * <p>Errors surface from {@code hasNext()}/{@code next()} as {@link OverseerException}. The
 * stream is not reconnected; see {@link OverseerClient#watch(String, long,
 * java.util.function.Consumer)} for that. Close it to stop watching early: an abandoned stream
 * otherwise stays open until its job ends or the channel closes.
 */
public final class JobWatch extends ServerStream<JobEvent> {
  JobWatch(JobServiceGrpc.JobServiceBlockingStub stub, WatchJobRequest request) {
    super(() -> stub.watchJob(request));
  }
}
