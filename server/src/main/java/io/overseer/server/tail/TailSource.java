package io.overseer.server.tail;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * What a {@link Tail} follows: items stored per job under a gapless sequence (events; later log
 * lines). Every method reads the database; none is called while a lock of the tail is held
 * other than the stream's own.
 */
public interface TailSource<T> {
  /** Up to {@code limit} items of {@code jobId} with a sequence after {@code afterSequence}, oldest first. */
  List<T> page(UUID jobId, long afterSequence, int limit);

  /** The item's sequence in its job. */
  long sequence(T item);

  /** Whether {@code item} is the last its job will ever get: the stream ends OK after sending it. */
  boolean isLast(T item);

  /**
   * Asked when a page came back empty: whether nothing after {@code afterSequence} exists or ever
   * will (e.g. the job is terminal and nothing newer is stored), so that the stream ends OK. It
   * must decide from one consistent read; a false answer is always safe.
   */
  default boolean isDone(UUID jobId, long afterSequence) {
    return false;
  }

  /**
   * For the safety poll, one read for all of {@code jobIds}: per job, the sequence a stream must
   * have sent to be up to date. A stream behind it, or of a job missing from the map, is pumped;
   * a source whose streams end by {@link #isDone} answers {@code Long.MAX_VALUE} for a job that
   * is done, so that a lost notice cannot leave its streams open.
   */
  Map<UUID, Long> newest(Collection<UUID> jobIds);
}
