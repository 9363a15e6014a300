package io.overseer.cli;

import io.overseer.client.OverseerClient;
import io.overseer.v1.Job;
import io.overseer.v1.JobState;
import io.overseer.v1.ListJobsRequest;
import io.overseer.v1.ListJobsResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "ls",
    mixinStandardHelpOptions = true,
    description = {
      "List jobs, newest first (every page unless --limit).",
      "With --output json: one ListJobsResponse holding every job listed."
    })
final class ListCommand extends ServerCommand {
  @Option(names = "--state", paramLabel = "STATE", split = ",",
      converter = JobStateConverter.class,
      description = "queued, running, serving, stopping, completed, failed, partial, cancelled or"
          + " waiting (also COMPLETED or JOB_STATE_COMPLETED); repeatable or comma-separated.")
  List<JobState> states = new ArrayList<>();

  @Option(names = "--type", paramLabel = "TYPE", description = "Only jobs of this type.")
  String type;

  @Option(names = "--queue", paramLabel = "QUEUE", description = "Only jobs on this queue.")
  String queue;

  @Option(names = "--label", paramLabel = "KEY=VALUE",
      description = "Only jobs with this label; repeatable (all must match).")
  Map<String, String> labels = new LinkedHashMap<>();

  @Option(names = "--limit", paramLabel = "N", description = "At most N jobs (default: all).")
  int limit;

  @Override
  int run(OverseerClient client) {
    ListJobsRequest.Builder request =
        ListJobsRequest.newBuilder().addAllStates(states).putAllLabels(labels);
    if (type != null) {
      request.setType(type);
    }
    if (queue != null) {
      request.setQueue(queue);
    }
    if (limit < 0) {
      throw new UsageException("--limit must be positive");
    }
    List<Job> jobs = client.list(request.build(), limit);
    if (output.json()) {
      printJson(ListJobsResponse.newBuilder().addAllJobs(jobs).build());
      return 0;
    }
    Table table = JobText.listTable();
    jobs.forEach(job -> JobText.addRow(table, job));
    table.print(out());
    return 0;
  }
}
