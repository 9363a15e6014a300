package io.overseer.cli;

import io.overseer.client.JobStates;
import io.overseer.client.OverseerClient;
import io.overseer.v1.Job;
import io.overseer.v1.JobState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "stop",
    mixinStandardHelpOptions = true,
    description = {
      "Stop a service job: a serving job becomes stopping, its worker closes the service and"
          + " completes it (or the server fails it after its stop grace period). A job that never"
          + " served is cancelled as by 'cancel'."
    })
final class StopCommand extends ServerCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "Job id.")
  String id;

  @Option(names = "--reason", paramLabel = "TEXT", description = "Why; recorded in the events.")
  String reason;

  @Override
  int run(OverseerClient client) {
    Job job = client.stop(id, reason);
    if (output.json()) {
      printJson(job);
    } else if (JobStates.isTerminal(job.getState())) {
      out().println("job " + job.getId() + ": " + JobStates.label(job.getState()));
    } else if (job.getState() == JobState.JOB_STATE_STOPPING) {
      out().println("job " + job.getId() + ": stopping (it completes when its worker has closed"
          + " the service)");
    } else {
      out().println("job " + job.getId() + ": cancel requested (" + JobStates.label(job.getState())
          + ", it never served; it ends when its worker stops)");
    }
    out().flush();
    return 0;
  }
}
