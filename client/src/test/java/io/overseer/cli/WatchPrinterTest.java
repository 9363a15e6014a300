package io.overseer.cli;

import static io.overseer.client.testing.TestEvents.progress;
import static io.overseer.client.testing.TestEvents.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.client.Structs;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobState;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class WatchPrinterTest {
  private static final List<JobEvent> EVENTS = List.of(
      state("j", 1, JobState.JOB_STATE_UNSPECIFIED, JobState.JOB_STATE_QUEUED, "created"),
      state("j", 2, JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_RUNNING, ""),
      progress("j", 3, 0, "preparing", "10 steps"),
      progress("j", 4, 45, "running", "step 9/20"),
      state("j", 5, JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_FAILED, "boom at step 10"));

  @Test
  void printsOneLinePerEventWhenNotATerminal() {
    StringWriter text = new StringWriter();
    WatchPrinter printer = new WatchPrinter(new PrintWriter(text), WatchPrinter.Mode.LINES, 120);
    EVENTS.forEach(printer);
    printer.finish();
    assertEquals(List.of(
        "[--------------------]   0%  queued  created",
        "[--------------------]   0%  running",
        "[--------------------]   0%  preparing  10 steps",
        "[#########-----------]  45%  running  step 9/20",
        "[#########-----------]  45%  failed  boom at step 10"),
        text.toString().lines().toList());
    assertEquals(JobState.JOB_STATE_FAILED, printer.state());
  }

  @Test
  void redrawsInPlaceOnATerminal() {
    StringWriter text = new StringWriter();
    WatchPrinter printer = new WatchPrinter(new PrintWriter(text), WatchPrinter.Mode.TTY, 120);
    EVENTS.forEach(printer);
    printer.finish();
    String out = text.toString();
    assertEquals(1, out.chars().filter(c -> c == '\n').count(), "one physical line, redrawn");
    assertEquals(EVENTS.size(), out.chars().filter(c -> c == '\r').count());
    assertTrue(out.stripTrailing().endsWith(
        "\r[#########-----------]  45%  failed  boom at step 10"), out);
    assertTrue(out.endsWith(System.lineSeparator()));
  }

  @Test
  void skipsRepeatedLines() {
    StringWriter text = new StringWriter();
    WatchPrinter printer = new WatchPrinter(new PrintWriter(text), WatchPrinter.Mode.LINES, 120);
    printer.accept(progress("j", 1, 50, "running", "half"));
    printer.accept(io.overseer.v1.JobEvent.newBuilder().setJobId("j").setSequence(2)
        .setKind(io.overseer.v1.JobEventKind.JOB_EVENT_KIND_ASSET_ADDED)
        .setState(JobState.JOB_STATE_RUNNING).build());
    assertEquals(1, text.toString().lines().count());
  }

  @Test
  void jsonLinesPrintEachEventAsOneDocument() {
    StringWriter text = new StringWriter();
    WatchPrinter printer =
        new WatchPrinter(new PrintWriter(text), WatchPrinter.Mode.JSON_LINES, 120);
    EVENTS.forEach(printer);
    List<String> lines = text.toString().lines().toList();
    assertEquals(EVENTS.size(), lines.size());
    assertEquals(Structs.toJson(EVENTS.get(3)), lines.get(3));
  }

  @Test
  void theServingLineStaysOnATerminalWhole() {
    StringWriter text = new StringWriter();
    WatchPrinter printer = new WatchPrinter(new PrintWriter(text), WatchPrinter.Mode.TTY, 40);
    printer.accept(state("j", 1, JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_RUNNING, "claimed"));
    printer.accept(state("j", 2, JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_SERVING,
        "serving at http://127.0.0.1:8080/ (http)"));
    printer.accept(state("j", 3, JobState.JOB_STATE_SERVING, JobState.JOB_STATE_STOPPING, "bye"));
    printer.accept(state("j", 4, JobState.JOB_STATE_STOPPING, JobState.JOB_STATE_COMPLETED, ""));
    printer.finish();
    List<String> lines = List.of(text.toString().split(System.lineSeparator()));
    assertEquals(2, lines.size(), text.toString());
    assertTrue(lines.get(0).endsWith(
        "\r[--------------------]   0%  serving at http://127.0.0.1:8080/ (http)"), lines.get(0));
    assertTrue(lines.get(1).stripTrailing().endsWith("\r[####################] 100%  completed"),
        lines.get(1));
  }

  @Test
  void completionFillsTheBar() {
    StringWriter text = new StringWriter();
    WatchPrinter printer = new WatchPrinter(new PrintWriter(text), WatchPrinter.Mode.LINES, 120);
    printer.accept(progress("j", 1, 90, "collecting", "writing"));
    printer.accept(state("j", 2, JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_COMPLETED, ""));
    assertEquals("[####################] 100%  completed", printer.line());
  }
}
