package io.overseer.cli;

import static io.overseer.client.testing.TestEvents.progress;
import static io.overseer.client.testing.TestEvents.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import io.overseer.client.Structs;
import io.overseer.client.testing.FakeJobService.WatchScript;
import io.overseer.client.testing.FakeOverseer;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Endpoint;
import io.overseer.v1.Job;
import io.overseer.v1.JobState;
import io.overseer.v1.ListJobEventsResponse;
import io.overseer.v1.ListJobsResponse;
import io.overseer.v1.StopJobRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(30)
class CliTest {
  record Run(int code, String out, String err) {
    List<String> errLines() {
      return err.lines().toList();
    }
  }

  private static final Endpoint HTTP =
      Endpoint.newBuilder().setName("http").setUri("http://127.0.0.1:8080/").build();

  private FakeOverseer server;

  @BeforeEach
  void start() throws Exception {
    server = new FakeOverseer();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var commandLine = OverseerCli.commandLine();
    commandLine.setOut(new PrintWriter(out));
    commandLine.setErr(new PrintWriter(err));
    int code = commandLine.execute(args);
    return new Run(code, out.toString(), err.toString());
  }

  /** The command run against the fake server. */
  private Run call(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--target");
    all.add(server.target());
    return cli(all.toArray(String[]::new));
  }

  private static <T extends Message> T parse(String json, Message.Builder builder) throws Exception {
    JsonFormat.parser().merge(json, builder);
    @SuppressWarnings("unchecked")
    T message = (T) builder.build();
    return message;
  }

  @Test
  void helpExitsZero() {
    Run top = cli("--help");
    assertEquals(0, top.code());
    for (String command : List.of("submit", "get", "ls", "cancel", "stop", "events", "assets", "logs",
        "watch", "worker", "token")) {
      assertTrue(top.out().contains(command), command);
    }
    Run submit = cli("submit", "--help");
    assertEquals(0, submit.code());
    assertTrue(submit.out().contains("--idempotency-key"));
    assertEquals(0, cli("token", "new", "--help").code());
  }

  @Test
  void usageErrorsExitFourWithoutAStackTrace() {
    for (String[] args : List.of(new String[] {"submit"}, new String[] {"get", "1", "--bogus"},
        new String[] {"ls", "--state", "done"}, new String[] {}, new String[] {"nope"},
        new String[] {"token"}, new String[] {"worker", "--target", "127.0.0.1:1"},
        new String[] {"submit", "demo", "--params", "[1]", "--target", "127.0.0.1:1"},
        new String[] {"submit", "demo", "--timeout", "soon"})) {
      Run run = cli(args);
      assertEquals(4, run.code(), String.join(" ", args));
      assertTrue(run.err().startsWith("error: INVALID_ARGUMENT: "), run.err());
      assertFalse(run.err().contains("\tat "), run.err());
    }
  }

  @Test
  void unreachableServerIsOneCleanLine() {
    Run run = cli("get", "123", "--target", "127.0.0.1:1");
    assertEquals(4, run.code());
    assertEquals(1, run.errLines().size(), run.err());
    assertTrue(run.err().startsWith("error: UNAVAILABLE: cannot reach 127.0.0.1:1"), run.err());
  }

  @Test
  void serverErrorsShowReasonAndHint() {
    Run run = call("get", "missing");
    assertEquals(4, run.code());
    assertEquals(List.of("error: NOT_FOUND: job missing not found", "reason: JOB_NOT_FOUND",
        "hint: check the id with 'overseer ls'"), run.errLines());
  }

  @Test
  void submitSendsEverythingAndPrintsTheJobAsJson(@TempDir Path dir) throws Exception {
    Path params = dir.resolve("params.json");
    Files.writeString(params, "{\"steps\": 3, \"name\": \"x\"}");
    Run run = call("submit", "demo", "--params", "@" + params, "--queue", "q1", "--priority", "5",
        "--label", "env=test", "--label", "team=a", "--idempotency-key", "k1",
        "--max-attempts", "2", "--timeout", "1m", "-o", "json");
    assertEquals(0, run.code(), run.err());
    Job job = parse(run.out(), Job.newBuilder());
    assertEquals("demo", job.getType());
    assertEquals("q1", job.getQueue());

    CreateJobRequest sent = (CreateJobRequest) server.jobs.requests.poll(5, TimeUnit.SECONDS);
    assertEquals(Map.of("steps", 3L, "name", "x"), Structs.toMap(sent.getParams()));
    assertEquals(5, sent.getPriority());
    assertEquals(Map.of("env", "test", "team", "a"), sent.getLabelsMap());
    assertEquals("k1", sent.getIdempotencyKey());
    assertEquals(2, sent.getMaxAttempts());
    assertEquals(60, sent.getTimeout().getSeconds());
  }

  @Test
  void lsPrintsEveryPageAsOneDocumentOrATable() throws Exception {
    for (JobState s : List.of(JobState.JOB_STATE_COMPLETED, JobState.JOB_STATE_FAILED,
        JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_COMPLETED, JobState.JOB_STATE_COMPLETED)) {
      server.jobs.add(Job.newBuilder().setType("demo").setQueue("default").setState(s)
          .setProgress(40).setStage("running"));
    }
    Run json = call("ls", "--state", "completed", "--state", "JOB_STATE_FAILED", "-o", "json");
    assertEquals(0, json.code(), json.err());
    ListJobsResponse all = parse(json.out(), ListJobsResponse.newBuilder());
    assertEquals(4, all.getJobsCount());
    assertEquals("", all.getNextPageToken());

    Run table = call("ls", "--limit", "3");
    assertEquals(0, table.code(), table.err());
    List<String> lines = table.out().lines().toList();
    assertEquals(4, lines.size(), table.out());
    assertTrue(lines.get(0).matches("ID +TYPE +QUEUE +STATE +PROGRESS +STAGE +CREATED"), lines.get(0));
    assertTrue(lines.get(1).contains("completed") && lines.get(1).contains("40%"), lines.get(1));
  }

  @Test
  void getAndCancelInTableForm() {
    Job job = server.jobs.add(Job.newBuilder().setType("demo").setQueue("default")
        .setState(JobState.JOB_STATE_QUEUED).setMaxAttempts(3));
    Run get = call("get", job.getId());
    assertEquals(0, get.code(), get.err());
    assertTrue(get.out().contains("state:") && get.out().contains("queued"), get.out());
    Run cancel = call("cancel", job.getId(), "--reason", "no longer needed");
    assertEquals(0, cancel.code(), cancel.err());
    assertEquals("job " + job.getId() + ": cancelled", cancel.out().strip());
  }

  @Test
  void stopSaysWhatBecameOfTheJobAndARefusalExitsFour() throws Exception {
    Job serving = server.jobs.add(Job.newBuilder().setType("demo-service").setQueue("default")
        .setState(JobState.JOB_STATE_SERVING).addEndpoints(HTTP));
    Run stop = call("stop", serving.getId(), "--reason", "done with it");
    assertEquals(0, stop.code(), stop.err());
    assertEquals("job " + serving.getId() + ": stopping (it completes when its worker has closed"
        + " the service)", stop.out().strip());
    StopJobRequest sent = (StopJobRequest) server.jobs.requests.poll(5, TimeUnit.SECONDS);
    assertEquals(serving.getId(), sent.getId());
    assertEquals("done with it", sent.getReason());

    Job queued = server.jobs.add(Job.newBuilder().setType("demo-service")
        .setState(JobState.JOB_STATE_QUEUED));
    Run json = call("stop", queued.getId(), "--output", "json");
    assertEquals(0, json.code(), json.err());
    assertEquals(JobState.JOB_STATE_CANCELLED,
        CliTest.<Job>parse(json.out(), Job.newBuilder()).getState());
    Job running = server.jobs.add(Job.newBuilder().setType("demo-service")
        .setState(JobState.JOB_STATE_RUNNING));
    assertEquals("job " + running.getId() + ": cancel requested (running, it never served; it"
        + " ends when its worker stops)", call("stop", running.getId()).out().strip());

    Job done = server.jobs.add(Job.newBuilder().setType("demo-service")
        .setState(JobState.JOB_STATE_COMPLETED));
    Run refused = call("stop", done.getId());
    assertEquals(4, refused.code());
    assertEquals(List.of(
        "error: FAILED_PRECONDITION: job " + done.getId() + " cannot go from COMPLETED to STOPPING",
        "reason: INVALID_TRANSITION",
        "hint: the job is COMPLETED, a terminal state: it cannot change any more"),
        refused.errLines());
    assertEquals("", refused.out());
  }

  @Test
  void getShowsWhereAServiceServesAndItsStopRequest() {
    Job job = server.jobs.add(Job.newBuilder().setType("demo-service").setQueue("default")
        .setState(JobState.JOB_STATE_STOPPING).setStopRequested(true).addEndpoints(HTTP)
        .addEndpoints(HTTP.toBuilder().setName("metrics").setUri("http://127.0.0.1:9464/metrics")));
    Run get = call("get", job.getId());
    assertEquals(0, get.code(), get.err());
    List<String> lines = get.out().lines().toList();
    assertTrue(lines.stream().anyMatch(l -> l.matches("state: +stopping \\(stop requested\\)")),
        get.out());
    assertTrue(lines.stream().anyMatch(l -> l.matches("endpoints: +\\Q"
        + "http://127.0.0.1:8080/ (http), http://127.0.0.1:9464/metrics (metrics)\\E")),
        get.out());
  }

  @Test
  void watchShowsWhereTheServiceServesAndFollowsItToItsEnd() {
    server.jobs.watchScripts.add(new WatchScript(List.of(
        state("j", 1, JobState.JOB_STATE_UNSPECIFIED, JobState.JOB_STATE_QUEUED, "created"),
        state("j", 2, JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_RUNNING, "claimed"),
        state("j", 3, JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_SERVING,
            "serving at http://127.0.0.1:8080/ (http): demo service up"),
        state("j", 4, JobState.JOB_STATE_SERVING, JobState.JOB_STATE_STOPPING, "done with it"),
        state("j", 5, JobState.JOB_STATE_STOPPING, JobState.JOB_STATE_COMPLETED, "")), null));
    Run run = call("watch", "j");
    assertEquals(0, run.code(), run.err());
    assertEquals(List.of(
        "[--------------------]   0%  queued  created",
        "[--------------------]   0%  running  claimed",
        "[--------------------]   0%  serving at http://127.0.0.1:8080/ (http): demo service up",
        "[--------------------]   0%  stopping  done with it",
        "[####################] 100%  completed"), run.out().lines().toList());
  }

  @Test
  void eventsAsTableAndJson() throws Exception {
    server.jobs.events.put("j", List.of(
        state("j", 1, JobState.JOB_STATE_UNSPECIFIED, JobState.JOB_STATE_QUEUED, "created"),
        state("j", 2, JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_RUNNING, ""),
        progress("j", 3, 50, "running", "half")));
    Run json = call("events", "j", "-o", "json");
    assertEquals(0, json.code(), json.err());
    ListJobEventsResponse events = parse(json.out(), ListJobEventsResponse.newBuilder());
    assertEquals(3, events.getEventsCount());
    Run table = call("events", "j");
    List<String> lines = table.out().lines().toList();
    assertEquals(4, lines.size(), table.out());
    assertTrue(lines.get(2).contains("queued->running"), lines.get(2));
    assertTrue(lines.get(3).contains("50%"), lines.get(3));
  }

  @ParameterizedTest
  @CsvSource({"JOB_STATE_COMPLETED,0", "JOB_STATE_FAILED,1", "JOB_STATE_CANCELLED,2",
      "JOB_STATE_PARTIAL,3"})
  void watchExitStatusFollowsTheTerminalState(JobState end, int code) {
    server.jobs.watchScripts.add(new WatchScript(List.of(
        state("j", 1, JobState.JOB_STATE_UNSPECIFIED, JobState.JOB_STATE_QUEUED, ""),
        state("j", 2, JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_RUNNING, ""),
        progress("j", 3, 45, "running", "step 9/20"),
        state("j", 4, JobState.JOB_STATE_RUNNING, end, "")), null));
    Run run = call("watch", "j");
    assertEquals(code, run.code(), run.err());
    List<String> lines = run.out().lines().toList();
    assertTrue(lines.contains("[#########-----------]  45%  running  step 9/20"), run.out());
    assertTrue(lines.get(lines.size() - 1).contains(
        io.overseer.client.JobStates.label(end)), run.out());
  }

  @Test
  void submitWatchFollowsTheNewJob() {
    server.jobs.watchScripts.add(new WatchScript(List.of(
        state("j", 1, JobState.JOB_STATE_UNSPECIFIED, JobState.JOB_STATE_QUEUED, ""),
        state("j", 2, JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_PARTIAL, "half done")), null));
    Run run = call("submit", "demo", "--watch");
    assertEquals(3, run.code(), run.err());
    assertTrue(run.out().startsWith("job "), run.out());
    assertTrue(run.out().contains("partial  half done"), run.out());
  }

  @Test
  void tokenNewPrintsTokenAndLine() throws Exception {
    Run table = cli("token", "new", "--principal", "alice", "--roles", "caller,admin");
    assertEquals(0, table.code(), table.err());
    List<String> lines = table.out().lines().toList();
    String token = lines.get(0).substring("token: ".length());
    assertEquals("sha256:" + Tokens.sha256Hex(token) + " alice caller,admin", lines.get(2));

    Run json = cli("token", "new", "--principal", "bot", "--roles", "worker", "-o", "json");
    Map<String, Object> fields = Structs.toMap(Structs.fromJson(json.out()));
    assertEquals("sha256:" + Tokens.sha256Hex((String) fields.get("token")) + " bot worker",
        fields.get("tokens_file_line"));
  }
}
