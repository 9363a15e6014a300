package io.overseer.cli;

import io.overseer.client.OverseerClient;
import io.overseer.v1.Job;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "get", mixinStandardHelpOptions = true, description = "Show one job.")
final class GetCommand extends ServerCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "Job id.")
  String id;

  @Override
  int run(OverseerClient client) {
    Job job = client.get(id);
    if (output.json()) {
      printJson(job);
    } else {
      JobText.detail(job).forEach(out()::println);
      out().flush();
    }
    return 0;
  }
}
