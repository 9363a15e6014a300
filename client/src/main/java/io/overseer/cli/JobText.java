package io.overseer.cli;

import io.overseer.client.JobStates;
import io.overseer.client.Structs;
import io.overseer.v1.Job;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/** The table-mode views of a job: a row of {@code ls} and the detail of {@code get}. */
final class JobText {
  private JobText() {}

  static Table listTable() {
    return new Table("ID", "TYPE", "QUEUE", "STATE", "PROGRESS", "STAGE", "CREATED");
  }

  static void addRow(Table table, Job job) {
    table.row(
        job.getId(),
        job.getType(),
        job.getQueue(),
        JobStates.label(job.getState()),
        job.getProgress() + "%",
        job.getStage(),
        Texts.time(job.getCreateTime()));
  }

  /** {@code key: value} lines, empty fields left out. */
  static List<String> detail(Job job) {
    List<String[]> fields = new ArrayList<>();
    add(fields, "id", job.getId());
    add(fields, "type", job.getType());
    add(fields, "queue", job.getQueue());
    add(fields, "state", JobStates.label(job.getState())
        + (job.getCancelRequested() && !JobStates.isTerminal(job.getState())
            ? " (cancel requested)" : "")
        + (job.getStopRequested() ? " (stop requested)" : ""));
    add(fields, "progress", ProgressBar.render(job.getProgress(),
        job.getStage().isEmpty() ? "" : job.getStage(), job.getMessage()));
    add(fields, "priority", Integer.toString(job.getPriority()));
    add(fields, "attempt", job.getAttempt() + "/" + job.getMaxAttempts());
    add(fields, "owner", job.getOwner());
    add(fields, "worker", job.getWorkerId());
    add(fields, "endpoints", endpoints(job));
    add(fields, "labels", Texts.labels(job.getLabelsMap()));
    add(fields, "idempotency key", job.getIdempotencyKey());
    add(fields, "timeout", Texts.duration(job.getTimeout()));
    add(fields, "params", job.hasParams() ? Structs.toJson(job.getParams()) : "");
    add(fields, "result", job.hasResult() ? Structs.toJson(job.getResult()) : "");
    add(fields, "error", job.getErrorMessage());
    add(fields, "run at", Texts.time(job.getRunAt()));
    add(fields, "created", Texts.time(job.getCreateTime()));
    add(fields, "started", Texts.time(job.getStartTime()));
    add(fields, "finished", Texts.time(job.getFinishTime()));
    add(fields, "updated", Texts.time(job.getUpdateTime()));
    add(fields, "lease expires", Texts.time(job.getLeaseExpireTime()));
    int width = fields.stream().mapToInt(f -> f[0].length()).max().orElse(0) + 2;
    List<String> lines = new ArrayList<>();
    for (String[] f : fields) {
      lines.add(f[0] + ":" + " ".repeat(width - f[0].length() - 1) + f[1]);
    }
    return lines;
  }

  /** {@code http://10.0.0.7:8888/ (http), …}: where a service job serves (or served). */
  static String endpoints(Job job) {
    return job.getEndpointsList().stream()
        .map(e -> e.getUri() + " (" + e.getName() + ")")
        .collect(Collectors.joining(", "));
  }

  private static void add(List<String[]> fields, String key, String value) {
    if (value != null && !value.isEmpty()) {
      fields.add(new String[] {key, value});
    }
  }
}
