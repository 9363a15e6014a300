package io.overseer.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.cli.OverseerCli;
import io.overseer.client.OverseerClient;
import io.overseer.client.Structs;
import io.overseer.server.testing.Poll;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.Endpoint;
import io.overseer.v1.Job;
import io.overseer.v1.JobState;
import io.overseer.v1.ListJobsRequest;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A service job as a user runs one (README): {@code worker --demo}, {@code submit demo-service
 * --watch}, its HTTP endpoint, {@code get}, {@code ls}, {@code stop}, on a real server.
 */
@Timeout(120)
class ServiceJobCliTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  static TestDatabase db;
  static TestServer node;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    node = TestServer.tcp(db, "--maintenance-interval=100ms");
  }

  @AfterAll
  static void stop() {
    node.close();
    db.close();
  }

  record Run(int code, String out, String err) {
    List<String> lines() {
      return out.lines().toList();
    }
  }

  static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var commandLine = OverseerCli.commandLine();
    commandLine.setOut(new PrintWriter(out, true));
    commandLine.setErr(new PrintWriter(err, true));
    String[] all = java.util.stream.Stream.concat(java.util.Arrays.stream(args),
        java.util.stream.Stream.of("--target", node.target())).toArray(String[]::new);
    int code = commandLine.execute(all);
    return new Run(code, out.toString(), err.toString());
  }

  @Test
  void theDemoServiceServesHttpUntilStoppedThenCompletes() throws Exception {
    String queue = "demo-svc";
    ExecutorService threads = Executors.newCachedThreadPool();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    try (OverseerClient client = OverseerClient.builder().target(node.target()).build()) {
      AtomicReference<Run> workerRun = new AtomicReference<>();
      Thread worker = new Thread(() -> workerRun.set(cli("worker", "--demo", "--queue", queue)),
          "demo-worker");
      worker.start();
      Future<Run> watch = threads.submit(() -> cli("submit", "demo-service", "--queue", queue,
          "--watch"));

      Job job = Poll.value(WAIT, "the demo-service job serving",
          () -> client.list(ListJobsRequest.newBuilder().setQueue(queue).build()),
          jobs -> jobs.size() == 1 && jobs.get(0).getState() == JobState.JOB_STATE_SERVING).get(0);
      String id = job.getId();
      assertEquals(1, job.getEndpointsCount(), job.toString());
      Endpoint endpoint = job.getEndpoints(0);
      assertEquals("http", endpoint.getName());
      URI uri = URI.create(endpoint.getUri());
      assertEquals("127.0.0.1", uri.getHost());
      assertEquals("/", uri.getPath());

      for (int n = 1; n <= 2; n++) {
        HttpResponse<String> answer = http.send(HttpRequest.newBuilder(uri).GET().build(),
            HttpResponse.BodyHandlers.ofString());
        assertEquals(200, answer.statusCode());
        assertEquals("demo-service job " + id + ": request " + n + "\n", answer.body());
      }
      assertEquals(404, http.send(HttpRequest.newBuilder(uri.resolve("/other")).GET().build(),
          HttpResponse.BodyHandlers.ofString()).statusCode());

      Run get = cli("get", id);
      assertEquals(0, get.code(), get.err());
      assertTrue(get.lines().stream().anyMatch(l -> l.matches("state: +serving")), get.out());
      assertTrue(get.lines().stream().anyMatch(
          l -> l.matches("endpoints: +\\Q" + uri + " (http)\\E")), get.out());
      Run serving = cli("ls", "--state", "serving", "--queue", queue);
      assertEquals(0, serving.code(), serving.err());
      assertTrue(serving.out().contains(id), serving.out());

      Run stop = cli("stop", id, "--reason", "done with it");
      assertEquals(0, stop.code(), stop.err());
      assertEquals("job " + id + ": stopping (it completes when its worker has closed the"
          + " service)", stop.out().strip());

      Run watched = watch.get(WAIT.toSeconds(), TimeUnit.SECONDS);
      assertEquals(0, watched.code(), watched.err() + watched.out());
      List<String> lines = watched.lines();
      assertEquals("job " + id + " submitted (demo-service on queue " + queue + ")", lines.get(0));
      assertTrue(lines.contains("[--------------------]   0%  serving at " + uri + " (http)"),
          watched.out());
      assertTrue(lines.contains("[--------------------]   0%  stopping  done with it"),
          watched.out());
      assertEquals("[####################] 100%  completed", lines.get(lines.size() - 1));

      Job done = client.get(id);
      assertEquals(JobState.JOB_STATE_COMPLETED, done.getState());
      assertEquals(Map.of("served_requests", 2L), Structs.toMap(done.getResult()));
      assertTrue(done.getStopRequested());
      assertEquals(List.of(endpoint), done.getEndpointsList(), "the endpoints stay on record");
      assertThrows(ConnectException.class, () -> new Socket(uri.getHost(), uri.getPort()).close(),
          "the service's port is closed");

      Run after = cli("get", id);
      assertTrue(after.lines().stream().anyMatch(
          l -> l.matches("state: +completed \\(stop requested\\)")), after.out());
      assertTrue(after.out().contains(uri + " (http)"), after.out());
      Run again = cli("watch", id);
      assertEquals(0, again.code(), again.err());
      assertTrue(again.out().contains("serving at " + uri), again.out());
      Run refused = cli("stop", id);
      assertEquals(4, refused.code());
      assertTrue(refused.err().startsWith("error: FAILED_PRECONDITION: "), refused.err());
      assertTrue(refused.err().contains("reason: INVALID_TRANSITION"), refused.err());
      assertTrue(refused.err().contains("hint: "), refused.err());

      worker.interrupt(); // `worker --demo` then shuts down as on SIGTERM
      worker.join(WAIT.toMillis());
      assertTrue(!worker.isAlive() && workerRun.get().out().contains(" stopped"),
          "the demo worker stopped: " + workerRun.get());
    } finally {
      threads.shutdownNow();
      threads.awaitTermination(30, TimeUnit.SECONDS);
    }
  }
}
