package io.overseer.server.watch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.HeartbeatRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobServiceGrpc;
import io.overseer.v1.Lease;
import io.overseer.v1.ListJobEventsRequest;
import io.overseer.v1.ListJobEventsResponse;
import io.overseer.v1.WatchJobRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/** Shared helpers of the WatchJob tests: worker actions through the raw stubs, and a watcher. */
final class WatchFixtures {
  private WatchFixtures() {}

  static Job create(TestServer node, String type) {
    return node.jobs().createJob(CreateJobRequest.newBuilder().setType(type).build());
  }

  /** Claims the one queued job of {@code type} as worker {@code workerId}. */
  static Lease claim(TestServer node, String type, String workerId) {
    List<Lease> leases =
        node.workers()
            .claimJobs(ClaimJobsRequest.newBuilder().setWorkerId(workerId).addTypes(type).build())
            .getLeasesList();
    assertEquals(1, leases.size(), "one claimable job of type " + type);
    return leases.get(0);
  }

  static HeartbeatRequest.Builder beat(Lease lease) {
    return HeartbeatRequest.newBuilder().setJobId(lease.getJob().getId()).setLeaseToken(lease.getLeaseToken());
  }

  static void heartbeat(TestServer node, Lease lease, int progress, String stage) {
    node.workers().heartbeat(beat(lease).setProgress(progress).setStage(stage).build());
  }

  static Job complete(TestServer node, Lease lease) {
    return node.workers()
        .completeJob(CompleteJobRequest.newBuilder().setJobId(lease.getJob().getId()).setLeaseToken(lease.getLeaseToken()).build());
  }

  /** Every stored event of a job, through ListJobEvents. */
  static List<JobEvent> storedEvents(TestServer node, String jobId) {
    List<JobEvent> all = new ArrayList<>();
    String token = "";
    do {
      ListJobEventsResponse page =
          node.jobs().listJobEvents(ListJobEventsRequest.newBuilder().setId(jobId).setPageSize(1000).setPageToken(token).build());
      all.addAll(page.getEventsList());
      token = page.getNextPageToken();
    } while (!token.isEmpty());
    return all;
  }

  static ErrorInfo errorInfo(Status status, io.grpc.Metadata trailers) {
    return detail(status, trailers, ErrorInfo.class);
  }

  static BadRequest badRequest(Status status, io.grpc.Metadata trailers) {
    return detail(status, trailers, BadRequest.class);
  }

  private static <T extends com.google.protobuf.Message> T detail(Status status, io.grpc.Metadata trailers, Class<T> type) {
    com.google.rpc.Status rich = StatusProto.fromStatusAndTrailers(status, trailers);
    if (rich != null) {
      for (Any any : rich.getDetailsList()) {
        if (any.is(type)) {
          try {
            return any.unpack(type);
          } catch (InvalidProtocolBufferException e) {
            throw new AssertionError(e);
          }
        }
      }
    }
    throw new AssertionError("no " + type.getSimpleName() + " in " + status + " / " + rich);
  }

  /**
   * One WatchJob call on the async stub: records what arrives, in order, and how it ends. With
   * {@code initialRequest} 0 it reads nothing until {@link #request} (manual flow control).
   */
  static final class Watcher implements ClientResponseObserver<WatchJobRequest, JobEvent> {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final List<JobEvent> events = new ArrayList<>();
    private final List<Long> arrivals = new ArrayList<>(); // System.nanoTime() of each kept event
    private final boolean keep;
    private final int initialRequest;
    private final Consumer<JobEvent> check;
    private final CompletableFuture<StatusRuntimeException> end = new CompletableFuture<>();
    private volatile ClientCallStreamObserver<WatchJobRequest> call;
    private long count;
    private JobEvent last;

    private Watcher(boolean keep, int initialRequest, Consumer<JobEvent> check) {
      this.keep = keep;
      this.initialRequest = initialRequest;
      this.check = check;
    }

    /** Starts watching with automatic flow control, keeping every event. */
    static Watcher start(Channel channel, String jobId, long afterSequence) {
      return start(channel, jobId, afterSequence, true, -1);
    }

    /** {@code initialRequest} < 0: automatic flow control; else manual, starting with that many. */
    static Watcher start(Channel channel, String jobId, long afterSequence, boolean keep, int initialRequest) {
      return start(channel, jobId, afterSequence, keep, initialRequest, e -> {});
    }

    /** As above; {@code check} sees each event, in order, on arrival (under the watcher's lock). */
    static Watcher start(
        Channel channel, String jobId, long afterSequence, boolean keep, int initialRequest, Consumer<JobEvent> check) {
      Watcher w = new Watcher(keep, initialRequest, check);
      JobServiceGrpc.newStub(channel)
          .watchJob(WatchJobRequest.newBuilder().setId(jobId).setAfterSequence(afterSequence).build(), w);
      return w;
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<WatchJobRequest> requestStream) {
      call = requestStream;
      if (initialRequest >= 0) {
        requestStream.disableAutoRequestWithInitial(initialRequest);
      }
    }

    @Override
    public void onNext(JobEvent e) {
      lock.lock();
      try {
        if (keep) {
          events.add(e);
          arrivals.add(System.nanoTime());
        }
        count++;
        last = e;
        check.accept(e);
        arrived.signalAll();
      } finally {
        lock.unlock();
      }
    }

    @Override
    public void onError(Throwable t) {
      end.complete(t instanceof StatusRuntimeException s ? s : Status.fromThrowable(t).asRuntimeException());
      signal();
    }

    @Override
    public void onCompleted() {
      end.complete(Status.OK.asRuntimeException());
      signal();
    }

    private void signal() {
      lock.lock();
      try {
        arrived.signalAll();
      } finally {
        lock.unlock();
      }
    }

    void request(int n) {
      call.request(n);
    }

    void cancel() {
      call.cancel("the watcher goes away", null);
    }

    List<JobEvent> events() {
      lock.lock();
      try {
        return List.copyOf(events);
      } finally {
        lock.unlock();
      }
    }

    long count() {
      lock.lock();
      try {
        return count;
      } finally {
        lock.unlock();
      }
    }

    /** The sequence of the last event received, 0 if none. */
    long lastSequence() {
      lock.lock();
      try {
        return last == null ? 0 : last.getSequence();
      } finally {
        lock.unlock();
      }
    }

    boolean ended() {
      return end.isDone();
    }

    /** Waits until at least {@code n} events arrived; fails at the deadline or if the call ended first. */
    void awaitCount(long n, Duration timeout) throws InterruptedException {
      long nanos = timeout.toNanos();
      lock.lock();
      try {
        while (count < n) {
          if (end.isDone()) {
            fail("the watch ended (" + end.getNow(null).getStatus() + ") after " + count + " events, expected " + n);
          }
          if (nanos <= 0) {
            fail("only " + count + " of " + n + " events within " + timeout);
          }
          nanos = arrived.awaitNanos(nanos);
        }
      } finally {
        lock.unlock();
      }
    }

    /** Waits until an event at or past {@code sequence} arrived; returns its System.nanoTime() of arrival. */
    long awaitSequence(long sequence, Duration timeout) throws InterruptedException {
      return awaitSequence(sequence, timeout, "the watcher");
    }

    /** As above; {@code who} names the watcher in a failure. */
    long awaitSequence(long sequence, Duration timeout, String who) throws InterruptedException {
      long nanos = timeout.toNanos();
      lock.lock();
      try {
        while (last == null || last.getSequence() < sequence) {
          if (end.isDone()) {
            fail(who + ": the watch ended (" + end.getNow(null).getStatus() + ") before sequence " + sequence);
          }
          if (nanos <= 0) {
            fail(who + ": sequence " + sequence + " not received within " + timeout + " (last " + (last == null ? 0 : last.getSequence()) + ")");
          }
          nanos = arrived.awaitNanos(nanos);
        }
        for (int i = 0; i < events.size(); i++) {
          if (events.get(i).getSequence() >= sequence) {
            return arrivals.get(i);
          }
        }
        return System.nanoTime();
      } finally {
        lock.unlock();
      }
    }

    /** How the call ended (Status.OK for a clean end). */
    StatusRuntimeException awaitEnd(Duration timeout) throws InterruptedException {
      try {
        return end.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        throw new AssertionError("the watch did not end within " + timeout + " (" + count() + " events)");
      } catch (ExecutionException e) {
        throw new AssertionError(e);
      }
    }
  }
}
