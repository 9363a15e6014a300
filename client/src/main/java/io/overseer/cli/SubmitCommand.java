package io.overseer.cli;

import io.overseer.client.OverseerClient;
import io.overseer.client.Structs;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "submit",
    mixinStandardHelpOptions = true,
    description = {
      "Create a job; with --watch, follow it to the end.",
      "With --watch the exit status is that of 'watch'. With --watch and --output json, the"
          + " created job and then each event print as one JSON document per line."
    })
final class SubmitCommand extends ServerCommand {
  @Parameters(index = "0", paramLabel = "TYPE", description = "Job type, e.g. demo.")
  String type;

  @Option(names = "--params", paramLabel = "JSON|@FILE",
      description = "Params: a JSON object, @file, or @- for standard input.")
  String params;

  @Option(names = "--queue", paramLabel = "QUEUE", description = "Queue (server default: default).")
  String queue;

  @Option(names = "--priority", paramLabel = "N", description = "-1000..1000, higher first [0].")
  Integer priority;

  @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label; repeatable.")
  Map<String, String> labels = new LinkedHashMap<>();

  @Option(names = "--idempotency-key", paramLabel = "KEY",
      description = "The same key (and fields) returns the job created first.")
  String idempotencyKey;

  @Option(names = "--max-attempts", paramLabel = "N", description = "1..100 [3].")
  Integer maxAttempts;

  @Option(names = "--timeout", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Per-attempt timeout, e.g. 30s, 5m.")
  Duration timeout;

  @Option(names = "--delay", paramLabel = "DURATION", converter = DurationConverter.class,
      description = "Not claimable before now + this.")
  Duration delay;

  @Option(names = "--watch", description = "Follow the job until it ends.")
  boolean watch;

  @Override
  int run(OverseerClient client) {
    Job job = client.create(request());
    if (output.json()) {
      if (watch) {
        out().println(Structs.toJson(job));
        out().flush();
      } else {
        printJson(job);
      }
    } else if (watch) {
      out().println("job " + job.getId() + " submitted (" + job.getType() + " on queue "
          + job.getQueue() + ")");
      out().flush();
    } else {
      JobText.detail(job).forEach(out()::println);
      out().flush();
    }
    return watch ? JobFollower.follow(client, job.getId(), 0, out(), output.json()) : 0;
  }

  CreateJobRequest request() {
    CreateJobRequest.Builder request =
        CreateJobRequest.newBuilder().setType(type).setParams(ParamsReader.read(params));
    if (queue != null) {
      request.setQueue(queue);
    }
    if (priority != null) {
      request.setPriority(priority);
    }
    if (maxAttempts != null) {
      request.setMaxAttempts(maxAttempts);
    }
    if (timeout != null) {
      request.setTimeout(protoDuration(timeout));
    }
    if (delay != null) {
      Instant at = Instant.now().plus(delay);
      request.setRunAt(com.google.protobuf.Timestamp.newBuilder()
          .setSeconds(at.getEpochSecond()).setNanos(at.getNano()));
    }
    if (idempotencyKey != null) {
      request.setIdempotencyKey(idempotencyKey);
    }
    request.putAllLabels(labels);
    return request.build();
  }

  private static com.google.protobuf.Duration protoDuration(Duration d) {
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }
}
