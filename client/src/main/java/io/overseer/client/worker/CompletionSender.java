package io.overseer.client.worker;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.overseer.v1.BatchCompleteJobsRequest;
import io.overseer.v1.BatchCompleteJobsResponse;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CompleteJobResult;
import io.overseer.v1.Job;
import io.overseer.v1.WorkerServiceGrpc;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends a worker's CompleteJob reports. The reports that pile up while a call is out go together
 * in one BatchCompleteJobs call (for many short jobs: one RPC, and on the server one commit,
 * instead of one each); a lone report goes at once, there is no timer. Each report is answered on
 * its own, as a CompleteJob call would have been: its job, or the same error. Against a server
 * without BatchCompleteJobs (UNIMPLEMENTED) it sends one CompleteJob per report from then on.
 *
 * <p>One sender thread makes the calls; the handler threads wait for their own answers.
 */
final class CompletionSender implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CompletionSender.class);
  /** The server's limit of requests per batch. */
  static final int MAX_BATCH = 1000;

  private record Pending(CompleteJobRequest request, CompletableFuture<Job> result) {}

  private final WorkerServiceGrpc.WorkerServiceBlockingStub stub;
  private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Thread sender;
  private volatile boolean oneByOne;
  private volatile boolean closed;

  CompletionSender(WorkerServiceGrpc.WorkerServiceBlockingStub stub, String workerId) {
    this.stub = stub;
    this.sender = new Thread(this::sendLoop, "overseer-complete-" + workerId);
    sender.setDaemon(true);
    sender.start();
  }

  /** CompleteJob, maybe batched with others: the job, or throws what CompleteJob would throw. */
  Job complete(CompleteJobRequest request) {
    if (oneByOne) {
      return stub.completeJob(request);
    }
    Pending p = new Pending(request, new CompletableFuture<>());
    queue.add(p);
    if (closed) {
      failLeftovers(); // the sender may have drained the queue before this report arrived
    }
    try {
      return p.result().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw Status.CANCELLED.withDescription("interrupted while reporting").asRuntimeException();
    } catch (ExecutionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    }
  }

  /** Reports waiting for the next call. */
  int waiting() {
    return queue.size();
  }

  private void sendLoop() {
    List<Pending> batch = new ArrayList<>();
    while (!closed) {
      try {
        batch.add(queue.take());
      } catch (InterruptedException e) {
        break;
      }
      queue.drainTo(batch, MAX_BATCH - 1);
      try {
        send(batch);
      } catch (RuntimeException e) { // never leave a handler thread waiting
        batch.forEach(p -> p.result().completeExceptionally(e));
      }
      batch.clear();
    }
    failLeftovers();
  }

  private void send(List<Pending> batch) {
    if (oneByOne) {
      batch.forEach(this::sendAlone);
      return;
    }
    BatchCompleteJobsRequest.Builder request = BatchCompleteJobsRequest.newBuilder();
    batch.forEach(p -> request.addRequests(p.request()));
    BatchCompleteJobsResponse response;
    try {
      response = stub.batchCompleteJobs(request.build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() == Status.Code.UNIMPLEMENTED) {
        log.info("the server has no BatchCompleteJobs; sending one CompleteJob per job");
        oneByOne = true;
        batch.forEach(this::sendAlone);
      } else {
        batch.forEach(p -> p.result().completeExceptionally(e));
      }
      return;
    }
    if (response.getResultsCount() != batch.size()) {
      throw Status.INTERNAL
          .withDescription("BatchCompleteJobs answered " + response.getResultsCount() + " results for " + batch.size() + " requests")
          .asRuntimeException();
    }
    for (int i = 0; i < batch.size(); i++) {
      CompleteJobResult r = response.getResults(i);
      if (r.hasJob()) {
        batch.get(i).result().complete(r.getJob());
      } else {
        batch.get(i).result().completeExceptionally(StatusProto.toStatusRuntimeException(r.getError()));
      }
    }
  }

  private void sendAlone(Pending p) {
    try {
      p.result().complete(stub.completeJob(p.request()));
    } catch (RuntimeException e) {
      p.result().completeExceptionally(e);
    }
  }

  private void failLeftovers() {
    for (Pending p; (p = queue.poll()) != null; ) {
      p.result().completeExceptionally(Status.UNAVAILABLE.withDescription("the worker stopped").asRuntimeException());
    }
  }

  /** Stops the sender; reports still waiting fail UNAVAILABLE. Call when no handler runs. */
  @Override
  public void close() {
    closed = true;
    sender.interrupt();
  }
}
