package io.overseer.cli;

import io.overseer.client.OverseerClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
    name = "watch",
    mixinStandardHelpOptions = true,
    description = {
      "Follow a job to its end with a live progress bar (one line per event when not on a"
          + " terminal; with --output json, one JSON event per line). Survives server restarts.",
      "Exit status: 0 completed, 1 failed, 2 cancelled, 3 partial, 4 error."
    })
final class WatchCommand extends ServerCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "Job id.")
  String id;

  @Option(names = "--after-sequence", paramLabel = "N",
      description = "Only events after this sequence [0: all].")
  long afterSequence;

  @Override
  int run(OverseerClient client) {
    return JobFollower.follow(client, id, afterSequence, out(), output.json());
  }
}
