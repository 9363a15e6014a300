package io.overseer.cli;

import io.overseer.client.OverseerClient;
import io.overseer.client.Structs;
import io.overseer.v1.ListJobLogsResponse;
import io.overseer.v1.LogLine;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "logs",
    mixinStandardHelpOptions = true,
    description = {
      "Print a job's log lines, oldest first: each line's text; lines of other streams than"
          + " stdout start with [stream].",
      "With -f, follow the log until the job is terminal and every line was printed (survives"
          + " server restarts).",
      "With --output json: one ListJobLogsResponse holding every line; with -f, one JSON LogLine"
          + " per line (JSON Lines)."
    })
final class LogsCommand extends ServerCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "Job id.")
  String id;

  @Option(names = {"-f", "--follow"}, description = "Keep printing lines as they come, until the job ends.")
  boolean follow;

  @Option(names = "--after-sequence", paramLabel = "N", description = "Only lines after this sequence [0: all].")
  long afterSequence;

  @Option(names = {"-t", "--timestamps"}, description = "Start each line with its time.")
  boolean timestamps;

  @Override
  int run(OverseerClient client) {
    if (afterSequence < 0) {
      throw new UsageException("--after-sequence must not be negative");
    }
    PrintWriter out = out();
    if (follow) {
      client.watchJobLogs(id, afterSequence, line -> {
        out.println(output.json() ? Structs.toJson(line) : text(line));
        out.flush();
      });
      return 0;
    }
    List<LogLine> lines = client.listJobLogs(id, afterSequence);
    if (output.json()) {
      printJson(ListJobLogsResponse.newBuilder().addAllLines(lines).build());
      return 0;
    }
    lines.forEach(line -> out.println(text(line)));
    out.flush();
    return 0;
  }

  private String text(LogLine line) {
    String stream = line.getStream().isEmpty() || line.getStream().equals("stdout") ? "" : "[" + line.getStream() + "] ";
    return (timestamps ? Texts.millisTime(line.getTime()) + " " : "") + stream + line.getText();
  }
}
