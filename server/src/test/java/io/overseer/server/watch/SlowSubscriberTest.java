package io.overseer.server.watch;

import static io.overseer.server.watch.WatchFixtures.claim;
import static io.overseer.server.watch.WatchFixtures.complete;
import static io.overseer.server.watch.WatchFixtures.create;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.server.watch.WatchFixtures.Watcher;
import io.overseer.v1.HeartbeatRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobEventKind;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import io.overseer.v1.WorkerServiceGrpc.WorkerServiceBlockingStub;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A subscriber that reads nothing costs the server no memory. Its job produces 100,000 progress
 * events (heartbeats through the WorkerService, as a worker sends them) while two subscribers
 * request no message at all: one over TCP to node A (so the transport's flow control pushes
 * back), one in-process on node B, which takes the heartbeats. Both nodes share the database and
 * run in the test JVM, whose used heap after GC must grow by less than 16 MiB (and so must the
 * direct memory of gRPC's Netty, where queued TCP writes would go). Then the
 * subscribers read, and each gets every event once, in order, and the OK end.
 *
 * <p>The silent period is the spec's minute (and at least until every event is stored);
 * {@code -Doverseer.slowSubscriber.seconds=N} shortens it while iterating;
 * {@code -Doverseer.slowSubscriber.events}
 * (default 100,000) and {@code -Doverseer.slowSubscriber.threads} (heartbeat threads, default 2)
 * tune the rest.
 */
/** Tagged heavy: 100,000 heartbeats take minutes on a database that fsyncs each commit. */
@Tag("heavy")
@Timeout(600)
class SlowSubscriberTest {
  private static final long SILENT_SECONDS = Long.getLong("overseer.slowSubscriber.seconds", 60);
  private static final int EVENTS = Integer.getInteger("overseer.slowSubscriber.events", 100_000);
  private static final long MAX_GROWTH = 16L << 20;
  private static final int WARM_UP = 2_000;
  private static final int THREADS = Integer.getInteger("overseer.slowSubscriber.threads", 2);

  @Test
  void silentSubscriberDoesNotGrowTheHeapThenReceivesEverythingInOrder() throws Exception {
    ManagedChannel subscriberChannel = null;
    try (TestDatabase db = TestDatabase.create();
        TestServer node = TestServer.tcp(db);
        TestServer workerNode = TestServer.inProcess(db)) {
      Job job = create(node, "firehose"); // 1
      Lease lease = claim(node, "firehose", "w-firehose"); // 2
      // the subscriber has a connection of its own, as another client would
      subscriberChannel = NettyChannelBuilder.forTarget(node.target()).usePlaintext().build();
      Order order = new Order(job.getId());
      Watcher subscriber = Watcher.start(subscriberChannel, job.getId(), 0, false, 0, order::check);
      // and one on the node that takes the heartbeats (in-process transport: no transport buffer at all)
      Order localOrder = new Order(job.getId());
      Watcher local = Watcher.start(workerNode.channel(), job.getId(), 0, false, 0, localOrder::check);
      long silentUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(SILENT_SECONDS);

      long t0 = System.nanoTime();
      heartbeats(workerNode, lease, 0, WARM_UP); // warms up the code paths, pools and caches measured below
      long before = usedHeapAfterGc();
      long directBefore = nettyDirectMemory();
      heartbeats(workerNode, lease, WARM_UP, EVENTS);
      long produced = System.nanoTime();
      long idle = silentUntil - System.nanoTime();
      if (idle > 0) {
        // the subscribers do nothing for the rest of their silent period (a bounded wait, not a synchronisation)
        new CountDownLatch(1).await(idle, TimeUnit.NANOSECONDS);
      }
      long after = usedHeapAfterGc();
      long directAfter = nettyDirectMemory();
      for (Watcher w : List.of(subscriber, local)) {
        assertEquals(0, w.count(), "the subscriber has read nothing so far");
        assertTrue(!w.ended(), "and its stream is still open");
      }
      long growth = after - before;
      System.out.printf(Locale.ROOT,
          "SlowSubscriberTest: %d heartbeats in %d ms (%.0f/s); silent %d s; used heap after GC %.1f -> %.1f MiB (growth %.2f MiB);"
              + " Netty direct memory %.1f -> %.1f MiB%n",
          EVENTS, ms(produced - t0), EVENTS * 1e9 / (produced - t0), ms(System.nanoTime() - t0) / 1000, mib(before), mib(after),
          mib(growth), mib(directBefore), mib(directAfter));
      assertTrue(growth < MAX_GROWTH, "used heap grew by " + mib(growth) + " MiB while the subscribers read nothing");
      if (directBefore >= 0) { // queued transport writes would sit in Netty's direct buffers rather than the heap
        assertTrue(directAfter - directBefore < MAX_GROWTH,
            "Netty direct memory grew by " + mib(directAfter - directBefore) + " MiB while the subscribers read nothing");
      }

      long reading = System.nanoTime();
      subscriber.request(Integer.MAX_VALUE);
      local.request(Integer.MAX_VALUE);
      complete(node, lease); // EVENTS + 3
      for (Watcher w : List.of(subscriber, local)) {
        Status end = w.awaitEnd(Duration.ofMinutes(3)).getStatus();
        Order o = w == local ? localOrder : order;
        assertNull(o.problem, o.problem);
        assertEquals(Status.Code.OK, end.getCode(), end.toString());
        assertEquals(EVENTS + 3, w.count(), "created, claimed, every heartbeat's event, completed");
        assertEquals(EVENTS + 3, w.lastSequence());
        assertEquals(EVENTS, o.messages.cardinality(), "each heartbeat's event exactly once");
        assertEquals(JobState.JOB_STATE_COMPLETED, o.last.getState());
      }
      System.out.printf(Locale.ROOT, "SlowSubscriberTest: both caught up on %d events in %d ms%n", EVENTS + 3, ms(System.nanoTime() - reading));
    } finally {
      if (subscriberChannel != null) {
        subscriberChannel.shutdownNow();
      }
    }
  }

  /**
   * Heartbeats {@code from..to-1} from a few threads, each with a new message (so each writes one
   * PROGRESS event). They go to an in-process node: the quickest way through the API, as they
   * all serialise on the job's row anyway.
   */
  private static void heartbeats(TestServer workerNode, Lease lease, int from, int to) throws Exception {
    AtomicInteger next = new AtomicInteger(from);
    ExecutorService threads = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<Object>> done = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        done.add(threads.submit(() -> {
          WorkerServiceBlockingStub workers = workerNode.workers();
          for (int i = next.getAndIncrement(); i < to; i = next.getAndIncrement()) {
            workers.heartbeat(HeartbeatRequest.newBuilder().setJobId(lease.getJob().getId()).setLeaseToken(lease.getLeaseToken())
                .setProgress((int) (i * 100L / EVENTS)).setMessage("beat " + i)
                .setLeaseDuration(com.google.protobuf.Duration.newBuilder().setSeconds(600)) // outlives the silent period
                .build());
          }
          return null;
        }));
      }
      for (Future<Object> f : done) {
        f.get(10, TimeUnit.MINUTES);
      }
    } finally {
      threads.shutdownNow();
    }
  }

  /** Checks the stream on the fly (it is too long to keep): sequences 1, 2, 3, … and each message once. */
  private static final class Order {
    final String jobId;
    final BitSet messages = new BitSet(EVENTS);
    long expected = 1;
    JobEvent last;
    volatile String problem;

    Order(String jobId) {
      this.jobId = jobId;
    }

    void check(JobEvent e) {
      if (problem != null) {
        return;
      }
      if (e.getSequence() != expected || !e.getJobId().equals(jobId)) {
        problem = "expected sequence " + expected + " of " + jobId + ", got " + e.getSequence() + " of " + e.getJobId();
      } else if (e.getKind() == JobEventKind.JOB_EVENT_KIND_PROGRESS) {
        int n = Integer.parseInt(e.getMessage().substring("beat ".length()));
        if (messages.get(n)) {
          problem = "heartbeat " + n + " seen twice";
        }
        messages.set(n);
      }
      expected++;
      last = e;
    }
  }

  /** Used heap after full collections (the least of a few samples). */
  private static long usedHeapAfterGc() {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long least = Long.MAX_VALUE;
    for (int i = 0; i < 4; i++) {
      System.gc();
      least = Math.min(least, memory.getHeapMemoryUsage().getUsed());
    }
    return least;
  }

  /** Direct memory held by grpc-netty-shaded's Netty, -1 if it does not count it. */
  private static long nettyDirectMemory() {
    return io.grpc.netty.shaded.io.netty.util.internal.PlatformDependent.usedDirectMemory();
  }

  private static double mib(long bytes) {
    return bytes / (1024.0 * 1024.0);
  }

  private static long ms(long nanos) {
    return nanos / 1_000_000;
  }
}
