package io.overseer.cli;

import io.overseer.client.JobStates;
import io.overseer.client.OverseerClient;
import io.overseer.v1.Job;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "cancel",
    mixinStandardHelpOptions = true,
    description = {
      "Cancel a job: a queued job is cancelled at once; a running one is asked to stop and is"
          + " cancelled when its worker acknowledges (or after the server's grace period)."
    })
final class CancelCommand extends ServerCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "Job id.")
  String id;

  @Option(names = "--reason", paramLabel = "TEXT", description = "Why; recorded in the events.")
  String reason;

  @Override
  int run(OverseerClient client) {
    Job job = client.cancel(id, reason);
    if (output.json()) {
      printJson(job);
    } else if (JobStates.isTerminal(job.getState())) {
      out().println("job " + job.getId() + ": " + JobStates.label(job.getState()));
    } else {
      out().println("job " + job.getId() + ": cancel requested (" + JobStates.label(job.getState())
          + "; it ends when its worker stops)");
    }
    out().flush();
    return 0;
  }
}
