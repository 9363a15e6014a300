package io.overseer.client.worker;

import com.google.protobuf.Struct;
import io.overseer.client.OverseerException;
import io.overseer.v1.AddAssetRequest;
import io.overseer.v1.Asset;
import io.overseer.v1.Job;
import java.util.Map;

/** What a {@link JobHandler} sees of the job it runs and how it talks back. Thread-safe. */
public interface JobContext {
  /** The job as claimed (state RUNNING, this attempt's number). */
  Job job();

  default String jobId() {
    return job().getId();
  }

  default String type() {
    return job().getType();
  }

  default Struct params() {
    return job().getParams();
  }

  /** The params as plain Java values (whole numbers as Long). */
  Map<String, Object> paramsMap();

  /** 1 for the first attempt. */
  default int attempt() {
    return job().getAttempt();
  }

  /** The id this worker claims with; it appears in the job's events. */
  String workerId();

  /**
   * Reports progress (0..100, clamped), and optionally a stage (e.g. "running") and a message;
   * null leaves a field as it is. Never blocks: reports are coalesced and sent on a heartbeat
   * soon after (at most one heartbeat in flight per job, a few per second at most), so calling
   * it often is cheap and the last report always arrives.
   */
  void progress(int percent, String stage, String message);

  default void progress(int percent) {
    progress(percent, null, null);
  }

  /** Reports a stage and message without changing the progress; null leaves a field as is. */
  void stage(String stage, String message);

  /** Appends a line to the job's log on stdout; see {@link #log(String, String)}. */
  default void log(String text) {
    log("stdout", text);
  }

  /**
   * Appends a line to the job's log, on {@code stream} ("stdout", "stderr" or a name of your own,
   * at most 64 characters), stamped now. Never blocks: lines are buffered and sent in batches
   * (AppendJobLogs) when 500 lines or 256 K characters are waiting, else within a second (and at
   * least every heartbeat); what is left is sent before the outcome is reported. A line longer
   * than 16 KiB is cut. Lines logged after the lease was lost, or once the handler returned, are
   * dropped; so are lines logged faster than they can be sent while 20,000 are waiting (the next
   * line sent says how many).
   */
  void log(String stream, String text);

  /**
   * An SLF4J logger writing to the job's log as {@link #log(String, String)} does: INFO on
   * stdout, WARN and ERROR on stderr, each line {@code LEVEL message} with its {@code {}}
   * arguments filled in, then a throwable's stack trace one line per frame; DEBUG and TRACE off.
   */
  org.slf4j.Logger logger();

  /**
   * True once a caller asked to cancel the job, the lease was lost, or the worker is stopping
   * past its shutdown timeout. The handler thread is interrupted at the same moment.
   */
  boolean isCancelled();

  /** Throws {@link JobCancelledException} if {@link #isCancelled()}; call it between steps. */
  void checkCancelled() throws JobCancelledException;

  /**
   * Records an output of the job (blocking call). The job id and lease token are filled in.
   * Progress reported before is sent first. Retried with backoff while the server is
   * unavailable (e.g. a node restarting), for up to twice the lease duration (at least 30 s).
   *
   * @throws OverseerException if the server refuses it (LEASE_LOST also abandons the job)
   */
  Asset addAsset(AddAssetRequest.Builder asset);

  /** Records an output of the job; see {@link #addAsset(AddAssetRequest.Builder)}. */
  default Asset addAsset(
      String assetType, String uri, long sizeBytes, String contentType, String checksum) {
    return addAsset(
        AddAssetRequest.newBuilder()
            .setAssetType(assetType)
            .setUri(uri)
            .setSizeBytes(sizeBytes)
            .setContentType(contentType == null ? "" : contentType)
            .setChecksum(checksum == null ? "" : checksum));
  }
}
