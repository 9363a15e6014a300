package io.overseer.cli;

import io.overseer.client.worker.JobContext;
import io.overseer.client.worker.JobHandler;
import io.overseer.client.worker.JobResult;
import io.overseer.client.worker.NonRetryableException;
import io.overseer.v1.AddAssetRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The built-in handler of type {@code demo}. Params: {@code steps} [10], {@code step_ms} [300],
 * {@code fail} (fails non-retryably at the middle step), {@code partial} (ends PARTIAL). Reports
 * the stages preparing, running and collecting and logs a line per step (the failure on stderr),
 * writes a small report file under {@code <tmp>/overseer-demo/} and records it as an asset. Stops
 * between steps when cancelled.
 */
final class DemoHandler implements JobHandler {
  static final String TYPE = "demo";

  private final Path directory;

  DemoHandler() {
    this(Path.of(System.getProperty("java.io.tmpdir"), "overseer-demo"));
  }

  DemoHandler(Path directory) {
    this.directory = directory;
  }

  @Override
  public JobResult handle(JobContext ctx) throws Exception {
    Map<String, Object> params = ctx.paramsMap();
    int steps = (int) Math.max(1, Math.min(100_000, number(params, "steps", 10)));
    long stepMillis = Math.max(0, number(params, "step_ms", 300));
    boolean fail = flag(params, "fail");
    boolean partial = flag(params, "partial");

    ctx.progress(0, "preparing", steps + " steps of " + stepMillis + " ms");
    ctx.log("demo job " + ctx.jobId() + " (attempt " + ctx.attempt() + " on " + ctx.workerId() + "): " + steps + " steps of "
        + stepMillis + " ms");
    Thread.sleep(Math.min(stepMillis, 500));
    int failAt = (steps + 1) / 2;
    for (int step = 1; step <= steps; step++) {
      ctx.checkCancelled();
      Thread.sleep(stepMillis); // interrupted at once by a cancellation
      if (fail && step == failAt) {
        String failure = "demo failure at step " + step + "/" + steps + " (params.fail = true)";
        ctx.log("stderr", failure);
        throw new NonRetryableException(failure);
      }
      ctx.progress(90 * step / steps, "running", "step " + step + "/" + steps);
      ctx.log("step " + step + "/" + steps + " done");
    }
    ctx.checkCancelled();
    ctx.progress(95, "collecting", "writing the report");
    String output = "demo job " + ctx.jobId() + ": " + steps + " steps done by " + ctx.workerId()
        + " (attempt " + ctx.attempt() + ")";
    Path report = writeReport(ctx, output);
    ctx.log("report written to " + report);

    Map<String, Object> result = new LinkedHashMap<>();
    result.put("steps", steps);
    result.put("output", output);
    result.put("report", report.toUri().toString());
    if (partial) {
      return JobResult.partial(result, "params.partial = true: only part of the output was kept");
    }
    return JobResult.of(result);
  }

  private Path writeReport(JobContext ctx, String output) throws Exception {
    Files.createDirectories(directory);
    Path file = directory.resolve(ctx.jobId() + ".txt");
    byte[] content = (output + "\n").getBytes(StandardCharsets.UTF_8);
    Files.write(file, content);
    String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
    ctx.addAsset(
        AddAssetRequest.newBuilder()
            .setAssetType("report")
            .setUri(file.toUri().toString())
            .setStoragePath(file.toString())
            .setSizeBytes(content.length)
            .setContentType("text/plain; charset=utf-8")
            .setChecksum("sha256:" + sha256));
    return file;
  }

  private static long number(Map<String, Object> params, String name, long fallback) {
    Object value = params.get(name);
    if (value instanceof Number n) {
      return n.longValue();
    }
    if (value instanceof String s && s.strip().matches("-?\\d+")) {
      return Long.parseLong(s.strip());
    }
    return fallback;
  }

  private static boolean flag(Map<String, Object> params, String name) {
    Object value = params.get(name);
    return Boolean.TRUE.equals(value) || "true".equalsIgnoreCase(String.valueOf(value));
  }
}
