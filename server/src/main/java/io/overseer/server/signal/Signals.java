package io.overseer.server.signal;

import io.overseer.server.store.Database;
import io.overseer.server.store.NotifyRepository;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wakes whoever waits for work or events: an in-process signal on this node, and PostgreSQL
 * LISTEN/NOTIFY across nodes. A notification carries only queue names, ids and sequences;
 * receivers read the data from the tables, so a missed notification costs latency, never data
 * (safety polls and a resync after a listener reconnect cover it).
 *
 * <p>A wake-up for work names its queue and wakes only the claimers waiting for that queue (or
 * for every queue); see {@link Waiters} for why none is missed.
 *
 * <p>NOTIFY is sent after commit, by one sender thread that coalesces whatever piled up, so the
 * transactions that change jobs never take PostgreSQL's notify queue lock.
 */
public final class Signals implements AutoCloseable {
  /** Receives notices for jobs (their event log, their log lines), from this node and from others. */
  public interface EventListener {
    void onEvent(UUID jobId, long sequence);

    /** The job's log lines now reach {@code sequence}. */
    default void onLogs(UUID jobId, long sequence) {}

    /** Notifications may have been missed (the listener reconnected): re-read everything. */
    void onResync();
  }

  /** A factory for the dedicated LISTEN connection (kept outside the pool). */
  @FunctionalInterface
  public interface ConnectionFactory {
    Connection open() throws SQLException;
  }

  static final String JOBS_CHANNEL = "overseer_jobs";
  static final String EVENTS_CHANNEL = "overseer_events";
  static final String LOGS_CHANNEL = "overseer_logs";
  /** Under PostgreSQL's 8000-byte payload limit; payload items are ASCII. */
  private static final int MAX_PAYLOAD = 7000;
  /** A queue name a payload can carry (names are validated to [A-Za-z0-9._:-] at creation). */
  private static final Pattern PLAIN_QUEUE = Pattern.compile("[\\x21-\\x7e]{1,256}");
  /** Wake claimers this long after a run_at, for clock granularity between Java and the database. */
  private static final long READY_AT_MARGIN_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
  /** The longest wait a timer is set for; a later run_at is looked at again after it. */
  private static final Duration MAX_TIMER_DELAY = Duration.ofDays(1);
  private static final Logger log = LoggerFactory.getLogger(Signals.class);

  private final String nodeId = UUID.randomUUID().toString().substring(0, 8);
  private final Database database;
  private final NotifyRepository notify;
  private final ConnectionFactory listenConnections;
  private final Waiters waiters = new Waiters();
  private final List<EventListener> eventListeners = new CopyOnWriteArrayList<>();
  private final BlockingQueue<String> outbox = new LinkedBlockingQueue<>();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "overseer-signal-timer"));
  private final Thread sender = daemon(this::sendLoop, "overseer-notify-sender");
  private final Thread listener = daemon(this::listenLoop, "overseer-notify-listener");
  private volatile boolean closed;

  public Signals(Database database, NotifyRepository notify, ConnectionFactory listenConnections) {
    this.database = database;
    this.notify = notify;
    this.listenConnections = listenConnections;
  }

  public void start() {
    sender.start();
    listener.start();
  }

  /** Jobs of {@code queue} may be claimable now: wake its claimers here and on the other nodes. */
  public void jobsReady(String queue) {
    waiters.wake(List.of(queue));
    outbox.add("J" + queue);
  }

  /** Wakes every waiter of this node without telling other nodes (nothing new to claim). */
  public void wakeWaiters() {
    waiters.wakeEveryone();
  }

  /** Jobs of {@code queue} become claimable at {@code at}: wake its claimers then (this node's timer). */
  public void jobsReadyAt(String queue, Instant at) {
    Duration delay = Duration.between(Instant.now(), at);
    if (delay.isNegative() || delay.isZero()) {
      jobsReady(queue);
    } else if (!closed && delay.compareTo(MAX_TIMER_DELAY) > 0) {
      // far off (run_at may be in year 9999, past what a long of nanoseconds holds): look again later
      timer.schedule(() -> jobsReadyAt(queue, at), MAX_TIMER_DELAY.toNanos(), TimeUnit.NANOSECONDS);
    } else if (!closed) {
      // never early: a claimer woken before run_at (even by a fraction of a millisecond, on the
      // database's clock) finds nothing and then sleeps until its safety poll
      timer.schedule(() -> jobsReady(queue), delay.toNanos() + READY_AT_MARGIN_NANOS, TimeUnit.NANOSECONDS);
    }
  }

  /** A job's event log grew to {@code sequence}. */
  public void eventAppended(UUID jobId, long sequence) {
    for (EventListener l : eventListeners) {
      l.onEvent(jobId, sequence);
    }
    outbox.add("E" + jobId + ":" + sequence);
  }

  /** A job's log lines now reach {@code sequence}. */
  public void logsAppended(UUID jobId, long sequence) {
    for (EventListener l : eventListeners) {
      l.onLogs(jobId, sequence);
    }
    outbox.add("L" + jobId + ":" + sequence);
  }

  public void addEventListener(EventListener l) {
    eventListeners.add(l);
  }

  /**
   * The current generation: read it before looking for work, then pass it to {@link
   * #awaitChange} so that a wake-up in between is not missed.
   */
  public long generation() {
    return waiters.generation();
  }

  /**
   * Waits until, after generation {@code seen}, jobs of one of {@code queues} (empty: of any
   * queue) may have become ready or every waiter was woken ({@link #wakeWaiters}, a listener
   * reconnect, close); or the timeout. True if woken.
   */
  public boolean awaitChange(Collection<String> queues, long seen, Duration timeout) throws InterruptedException {
    return waiters.await(queues, seen, timeout);
  }

  public boolean isClosed() {
    return closed;
  }

  /** Drains the outbox into as few NOTIFYs as fit the payload limit. */
  private void sendLoop() {
    List<String> batch = new ArrayList<>();
    while (!closed) {
      try {
        batch.add(outbox.take());
        outbox.drainTo(batch);
        send(batch);
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        log.warn("could not send notifications (other nodes catch up by polling): {}", e.toString());
      }
      batch.clear();
    }
  }

  /**
   * One payload per channel where they fit: {@code node queue…} on the jobs channel (a payload
   * with no queue wakes every claimer, as one from an older node does), {@code node job:sequence…}
   * on the events channel, and on the logs channel (only each job's newest sequence: appends of a
   * busy job coalesce).
   */
  private void send(List<String> batch) {
    Set<String> queues = new LinkedHashSet<>();
    List<String> events = new ArrayList<>();
    Map<String, String> logs = new LinkedHashMap<>();
    boolean everyQueue = false;
    for (String item : batch) {
      String body = item.substring(1);
      if (item.charAt(0) == 'E') {
        events.add(body);
      } else if (item.charAt(0) == 'L') {
        int colon = body.indexOf(':');
        logs.merge(body.substring(0, colon), body.substring(colon + 1),
            (a, b) -> Long.parseLong(a) >= Long.parseLong(b) ? a : b);
      } else if (PLAIN_QUEUE.matcher(body).matches()) {
        queues.add(body);
      } else {
        everyQueue = true;
      }
    }
    List<String> jobPayloads = payloads(queues);
    if (everyQueue) {
      jobPayloads.add(nodeId);
    }
    List<String> eventPayloads = payloads(events);
    List<String> logPayloads = payloads(logs.entrySet().stream().map(e -> e.getKey() + ":" + e.getValue()).toList());
    // a notification is a hint (receivers re-read the database; a listener that reconnects
    // re-reads everything), so its transaction need not wait for its WAL flush
    database.transaction(
        c -> {
          notify.commitWithoutFlush(c);
          notify.notify(c, JOBS_CHANNEL, jobPayloads);
          notify.notify(c, EVENTS_CHANNEL, eventPayloads);
          notify.notify(c, LOGS_CHANNEL, logPayloads);
          return null;
        });
  }

  /** This node's id, then the items, as few payloads as fit. */
  private List<String> payloads(Collection<String> items) {
    List<String> payloads = new ArrayList<>();
    StringBuilder p = new StringBuilder(nodeId);
    for (String item : items) {
      if (p.length() + 1 + item.length() > MAX_PAYLOAD) {
        payloads.add(p.toString());
        p = new StringBuilder(nodeId);
      }
      p.append(' ').append(item);
    }
    if (p.length() > nodeId.length()) {
      payloads.add(p.toString());
    }
    return payloads;
  }

  private void listenLoop() {
    while (!closed) {
      try (Connection c = listenConnections.open()) {
        notify.listen(c, JOBS_CHANNEL);
        notify.listen(c, EVENTS_CHANNEL);
        notify.listen(c, LOGS_CHANNEL);
        // anything sent while we were not listening is lost: everyone re-reads
        waiters.wakeEveryone();
        eventListeners.forEach(EventListener::onResync);
        while (!closed) {
          for (NotifyRepository.Notification n : notify.receive(c, 500)) {
            receive(n.channel(), n.payload());
          }
        }
      } catch (SQLException | RuntimeException e) {
        if (!closed) {
          log.warn("notification listener lost its connection, reconnecting: {}", e.toString());
          sleepQuietly(1000);
        }
      }
    }
  }

  private void receive(String channel, String payload) {
    String[] parts = payload.split(" ");
    if (parts[0].equals(nodeId)) {
      return; // our own, already delivered locally
    }
    if (channel.equals(JOBS_CHANNEL)) {
      if (parts.length == 1) {
        waiters.wakeEveryone();
      } else {
        waiters.wake(Arrays.asList(parts).subList(1, parts.length));
      }
      return;
    }
    boolean logs = channel.equals(LOGS_CHANNEL);
    for (int i = 1; i < parts.length; i++) {
      int colon = parts[i].indexOf(':');
      UUID jobId = UUID.fromString(parts[i].substring(0, colon));
      long sequence = Long.parseLong(parts[i].substring(colon + 1));
      for (EventListener l : eventListeners) {
        if (logs) {
          l.onLogs(jobId, sequence);
        } else {
          l.onEvent(jobId, sequence);
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    waiters.close();
    timer.shutdownNow();
    sender.interrupt();
    listener.interrupt();
  }

  private static void sleepQuietly(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
