package io.overseer.client;

import static io.overseer.client.testing.TestEvents.progress;
import static io.overseer.client.testing.TestEvents.state;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.overseer.client.testing.FakeJobService.WatchScript;
import io.overseer.client.testing.FakeOverseer;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobState;
import io.overseer.v1.ListJobsRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class OverseerClientTest {
  private FakeOverseer server;
  private OverseerClient client;

  @BeforeEach
  void start() throws Exception {
    server = new FakeOverseer();
    client = OverseerClient.builder().target(server.target()).token("s3cret").build();
  }

  @AfterEach
  void stop() throws Exception {
    client.close();
    server.close();
  }

  @Test
  void sendsTheBearerToken() throws Exception {
    client.create("demo", Map.of("steps", 2));
    assertEquals("Bearer s3cret", server.authorizations.poll(5, TimeUnit.SECONDS));
  }

  @Test
  void createsAndGets() {
    Job job = client.create("demo", Map.of("steps", 2));
    assertEquals(job, client.get(job.getId()));
    assertEquals(2L, Structs.toMap(job.getParams()).get("steps"));
  }

  @Test
  void errorsCarryTheServersDetails() {
    OverseerException e = assertThrows(OverseerException.class, () -> client.get("nope"));
    assertEquals(Status.Code.NOT_FOUND, e.code());
    assertEquals("JOB_NOT_FOUND", e.reason());
    assertTrue(e.hint().isPresent());
  }

  @Test
  void listWalksEveryPageNewestFirst() {
    List<String> created = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      created.add(0, client.create("demo", Map.of()).getId());
    }
    List<Job> all = client.list(ListJobsRequest.getDefaultInstance());
    assertEquals(created, all.stream().map(Job::getId).toList());
    assertEquals(created.subList(0, 3),
        client.list(ListJobsRequest.getDefaultInstance(), 3).stream().map(Job::getId).toList());
  }

  @Test
  void eventsWalksEveryPage() {
    List<JobEvent> events = new ArrayList<>();
    for (int i = 1; i <= 5; i++) {
      events.add(progress("j", i, i * 10, "running", "step " + i));
    }
    server.jobs.events.put("j", events);
    assertEquals(events, client.events("j"));
  }

  @Test
  void watchIteratorEndsAfterTheStream() {
    List<JobEvent> script = List.of(
        state("j", 1, JobState.JOB_STATE_UNSPECIFIED, JobState.JOB_STATE_QUEUED, ""),
        state("j", 2, JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_COMPLETED, ""));
    server.jobs.watchScripts.add(new WatchScript(script, null));
    List<JobEvent> seen = new ArrayList<>();
    try (JobWatch watch = client.watch("j", 0)) {
      watch.forEachRemaining(seen::add);
    }
    assertEquals(script, seen);
  }

  @Test
  void watchReconnectsAfterUnavailableWithoutGapsOrDuplicates() throws Exception {
    List<JobEvent> all = List.of(
        state("j", 1, JobState.JOB_STATE_UNSPECIFIED, JobState.JOB_STATE_QUEUED, ""),
        state("j", 2, JobState.JOB_STATE_QUEUED, JobState.JOB_STATE_RUNNING, ""),
        progress("j", 3, 30, "running", "step 3"),
        progress("j", 4, 60, "running", "step 6"),
        state("j", 5, JobState.JOB_STATE_RUNNING, JobState.JOB_STATE_COMPLETED, ""));
    // node A dies after event 3; node B replays everything after what the client asks for
    server.jobs.watchScripts.add(new WatchScript(all.subList(0, 3),
        Status.UNAVAILABLE.withDescription("server shutting down").asRuntimeException()));
    server.jobs.watchScripts.add(new WatchScript(all, null));

    List<JobEvent> seen = new ArrayList<>();
    JobEvent last = client.watch("j", 0, seen::add);

    assertEquals(all, seen);
    assertEquals(all.get(4), last);
    assertEquals(0, server.jobs.watchRequests.poll(1, TimeUnit.SECONDS).getAfterSequence());
    assertEquals(3, server.jobs.watchRequests.poll(1, TimeUnit.SECONDS).getAfterSequence());
  }

  @Test
  void watchStopsOnOtherErrors() {
    // no script: the fake answers NOT_FOUND
    OverseerException e =
        assertThrows(OverseerException.class, () -> client.watch("gone", 0, event -> {}));
    assertEquals("JOB_NOT_FOUND", e.reason());
  }

  @Test
  void exceptionsFromTheConsumerEndTheWatch() {
    server.jobs.watchScripts.add(new WatchScript(
        List.of(progress("j", 1, 10, "running", "")), null));
    OverseerException fromConsumer = OverseerException.from(Status.UNAVAILABLE.asRuntimeException());
    OverseerException thrown = assertThrows(OverseerException.class,
        () -> client.watch("j", 0, event -> {
          throw fromConsumer;
        }));
    assertEquals(fromConsumer, thrown);
    assertTrue(server.jobs.watchScripts.isEmpty());
    assertFalse(server.jobs.watchRequests.size() > 1, "must not reconnect");
  }

  @Test
  void severalTargetsFailOverToTheNodeThatIsUp() {
    try (OverseerClient both =
        OverseerClient.builder().target("127.0.0.1:1," + server.target()).build()) {
      for (int i = 0; i < 4; i++) {
        both.create("demo", Map.of("i", i));
      }
    }
    assertEquals(4, server.jobs.jobs.size());
  }
}
