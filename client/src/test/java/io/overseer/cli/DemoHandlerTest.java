package io.overseer.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.client.Structs;
import io.overseer.client.worker.JobCancelledException;
import io.overseer.client.worker.JobContext;
import io.overseer.client.worker.JobResult;
import io.overseer.client.worker.NonRetryableException;
import io.overseer.v1.AddAssetRequest;
import io.overseer.v1.Asset;
import io.overseer.v1.Endpoint;
import io.overseer.v1.Job;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoHandlerTest {
  @TempDir Path dir;

  /** A JobContext that records what the handler reports. */
  static final class RecordingContext implements JobContext {
    final Job job;
    final List<String> progress = new ArrayList<>();
    final List<AddAssetRequest> assets = new ArrayList<>();
    final List<String> logs = new java.util.concurrent.CopyOnWriteArrayList<>();
    volatile boolean cancelled;

    RecordingContext(Map<String, ?> params) {
      job = Job.newBuilder().setId("job-1").setType("demo").setAttempt(1)
          .setParams(Structs.toStruct(params)).build();
    }

    @Override
    public Job job() {
      return job;
    }

    @Override
    public Map<String, Object> paramsMap() {
      return Structs.toMap(job.getParams());
    }

    @Override
    public String workerId() {
      return "w";
    }

    @Override
    public void progress(int percent, String stage, String message) {
      progress.add(percent + " " + stage + " " + message);
    }

    @Override
    public void log(String stream, String text) {
      logs.add(stream + " " + text);
    }

    @Override
    public org.slf4j.Logger logger() {
      throw new UnsupportedOperationException("the demo handler logs with ctx.log");
    }

    @Override
    public void stage(String stage, String message) {
      progress.add("- " + stage + " " + message);
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public void checkCancelled() throws JobCancelledException {
      if (cancelled) {
        throw new JobCancelledException("cancelled");
      }
    }

    @Override
    public Job serving(List<Endpoint> endpoints, String message) {
      throw new UnsupportedOperationException("the demo handler does not serve");
    }

    @Override
    public void awaitStop() {
      throw new UnsupportedOperationException("the demo handler does not serve");
    }

    @Override
    public boolean awaitStop(java.time.Duration timeout) {
      throw new UnsupportedOperationException("the demo handler does not serve");
    }

    @Override
    public boolean isStopRequested() {
      return false;
    }

    @Override
    public Asset addAsset(AddAssetRequest.Builder asset) {
      assets.add(asset.build());
      return Asset.newBuilder().setId("a1").build();
    }
  }

  @Test
  void runsThroughTheStagesAndRecordsItsReport() throws Exception {
    RecordingContext ctx = new RecordingContext(Map.of("steps", 4, "step_ms", 0));
    JobResult result = new DemoHandler(dir).handle(ctx);

    assertEquals(List.of(
        "0 preparing 4 steps of 0 ms",
        "22 running step 1/4",
        "45 running step 2/4",
        "67 running step 3/4",
        "90 running step 4/4",
        "95 collecting writing the report"), ctx.progress);
    assertEquals(List.of(
        "stdout demo job job-1 (attempt 1 on w): 4 steps of 0 ms",
        "stdout step 1/4 done",
        "stdout step 2/4 done",
        "stdout step 3/4 done",
        "stdout step 4/4 done",
        "stdout report written to " + dir.resolve("job-1.txt")), ctx.logs, "a line per step");
    assertFalse(result.isPartial());
    Map<String, Object> output = Structs.toMap(result.result());
    assertEquals(4L, output.get("steps"));
    assertTrue(output.get("output").toString().contains("job-1"));

    AddAssetRequest asset = ctx.assets.get(0);
    Path file = dir.resolve("job-1.txt");
    byte[] content = Files.readAllBytes(file);
    assertEquals("report", asset.getAssetType());
    assertEquals(file.toUri().toString(), asset.getUri());
    assertEquals(content.length, asset.getSizeBytes());
    assertEquals("sha256:" + HexFormat.of().formatHex(
        MessageDigest.getInstance("SHA-256").digest(content)), asset.getChecksum());
  }

  @Test
  void failsNonRetryablyAtTheMiddleStep() {
    RecordingContext ctx = new RecordingContext(Map.of("steps", 4, "step_ms", 0, "fail", true));
    NonRetryableException e =
        assertThrows(NonRetryableException.class, () -> new DemoHandler(dir).handle(ctx));
    assertTrue(e.getMessage().contains("step 2/4"), e.getMessage());
    assertTrue(ctx.assets.isEmpty());
    assertEquals("stderr " + e.getMessage(), ctx.logs.get(ctx.logs.size() - 1), "the failure is logged on stderr");
  }

  @Test
  void endsPartialWhenAsked() throws Exception {
    RecordingContext ctx = new RecordingContext(Map.of("steps", 1, "step_ms", 0, "partial", "true"));
    JobResult result = new DemoHandler(dir).handle(ctx);
    assertTrue(result.isPartial());
    assertFalse(result.errorMessage().isEmpty());
    assertEquals(1L, Structs.toMap(result.result()).get("steps"));
  }

  @Test
  void stopsWhenCancelled() {
    RecordingContext ctx = new RecordingContext(Map.of("steps", 3, "step_ms", 0));
    ctx.cancelled = true;
    assertThrows(JobCancelledException.class, () -> new DemoHandler(dir).handle(ctx));
    assertEquals(List.of("0 preparing 3 steps of 0 ms"), ctx.progress);
  }
}
