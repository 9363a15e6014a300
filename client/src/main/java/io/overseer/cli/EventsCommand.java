package io.overseer.cli;

import io.overseer.client.JobStates;
import io.overseer.client.OverseerClient;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobEventKind;
import io.overseer.v1.JobState;
import io.overseer.v1.ListJobEventsResponse;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(
    name = "events",
    mixinStandardHelpOptions = true,
    description = {
      "Show a job's event log (its audit trail), oldest first.",
      "With --output json: one ListJobEventsResponse holding every event."
    })
final class EventsCommand extends ServerCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "Job id.")
  String id;

  @Override
  int run(OverseerClient client) {
    List<JobEvent> events = client.events(id);
    if (output.json()) {
      printJson(ListJobEventsResponse.newBuilder().addAllEvents(events).build());
      return 0;
    }
    Table table =
        new Table("SEQ", "TIME", "KIND", "STATE", "PROGRESS", "STAGE", "ACTOR", "WORKER",
            "MESSAGE");
    for (JobEvent e : events) {
      table.row(
          e.getSequence(),
          Texts.time(e.getTime()),
          kind(e.getKind()),
          state(e),
          e.getKind() == JobEventKind.JOB_EVENT_KIND_PROGRESS ? e.getProgress() + "%" : "",
          e.getStage(),
          e.getActor(),
          e.getWorkerId(),
          e.getMessage());
    }
    table.print(out());
    return 0;
  }

  static String kind(JobEventKind kind) {
    String name = kind.name();
    return name.startsWith("JOB_EVENT_KIND_")
        ? name.substring("JOB_EVENT_KIND_".length()).toLowerCase(Locale.ROOT)
        : name.toLowerCase(Locale.ROOT);
  }

  private static String state(JobEvent e) {
    if (e.getKind() == JobEventKind.JOB_EVENT_KIND_STATE_CHANGED
        && e.getPreviousState() != JobState.JOB_STATE_UNSPECIFIED) {
      return JobStates.label(e.getPreviousState()) + "->" + JobStates.label(e.getState());
    }
    return JobStates.label(e.getState());
  }
}
