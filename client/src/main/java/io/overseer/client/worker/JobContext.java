package io.overseer.client.worker;

import com.google.protobuf.Struct;
import io.overseer.client.OverseerException;
import io.overseer.v1.AddAssetRequest;
import io.overseer.v1.Asset;
import io.overseer.v1.Endpoint;
import io.overseer.v1.Job;
import java.time.Duration;
import java.util.List;
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
   * past its shutdown timeout (for a serving job: as soon as the worker starts shutting down).
   * The handler thread is interrupted at the same moment. (A stop request of a serving job is
   * not a cancellation: see {@link #awaitStop()}.)
   */
  boolean isCancelled();

  /** Throws {@link JobCancelledException} if {@link #isCancelled()}; call it between steps. */
  void checkCancelled() throws JobCancelledException;

  /**
   * For a service job (a notebook, a model server): says the service is up at {@code endpoints}
   * (1..16, each a name and an absolute URI such as {@code http://10.0.0.7:8888/}); the job goes
   * RUNNING → SERVING and {@code message} (may be empty) is recorded with the change. Then call
   * {@link #awaitStop()}: the runtime keeps heartbeating while the handler serves (at least every
   * second, so a stop request reaches it within about a second), and neither the runtime nor the
   * job's timeout bound the time it serves. The job holds one of the worker's concurrency slots
   * until its handler returns.
   *
   * <p>Blocking; progress reported before is sent first. Retried while the server is unavailable
   * (for up to twice the lease duration, at least 30 s): the same report repeated is accepted.
   *
   * @return the job as the server recorded it (SERVING, with its endpoints)
   * @throws OverseerException if the server refuses it: INVALID_ARGUMENT for bad endpoints,
   *     FAILED_PRECONDITION if it already serves at other endpoints, LEASE_LOST (which also
   *     abandons the job)
   */
  Job serving(List<Endpoint> endpoints, String message);

  /** {@link #serving(List, String)} with no message. */
  default Job serving(Endpoint... endpoints) {
    return serving(List.of(endpoints), "");
  }

  /** {@link #serving(List, String)} at one endpoint, e.g. {@code serving("http", uri)}. */
  default Job serving(String name, String uri) {
    return serving(List.of(Endpoint.newBuilder().setName(name).setUri(uri).build()), "");
  }

  /**
   * Blocks while the service serves, until the job must end:
   *
   * <ul>
   *   <li>returns normally once it is asked to stop ({@code StopJob}, so the job is STOPPING):
   *       close the service and return a {@link JobResult}; the job is COMPLETED (or PARTIAL,
   *       or FAILED if the handler throws);
   *   <li>throws {@link JobCancelledException} once the job is cancelled, its lease is lost (the
   *       server gave it up, e.g. after this worker was cut off for longer than the lease), or
   *       the worker shuts down (a serving job is then handed back at once, to be served
   *       elsewhere while attempts are left): close the service and let the exception propagate
   *       (e.g. from a {@code try/finally}); the runtime reports the job as {@link
   *       #checkCancelled()} says (CANCELLED; nothing; handed back).
   * </ul>
   *
   * @throws IllegalStateException if {@link #serving} was not called first
   * @throws InterruptedException if the thread is interrupted for another reason
   */
  void awaitStop() throws JobCancelledException, InterruptedException;

  /**
   * {@link #awaitStop()} for at most {@code timeout}, for a handler that watches its service
   * meanwhile: true once asked to stop, false if the time passed first.
   */
  boolean awaitStop(Duration timeout) throws JobCancelledException, InterruptedException;

  /** True once a heartbeat answered {@code stop_requested} (the job is STOPPING). */
  boolean isStopRequested();

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
