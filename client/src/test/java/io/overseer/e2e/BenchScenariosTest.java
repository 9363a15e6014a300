package io.overseer.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.cli.OverseerCli;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every {@code overseer bench} scenario, scaled down, against a real server on TCP with its
 * metrics endpoint (the database is the suite's: embedded, or OVERSEER_TEST_DATABASE_URL's).
 * Checks that each finishes without errors, counts what it should and reads the server's
 * metrics; the figures themselves belong in BENCHMARKS.md, not in a test.
 */
@Timeout(180)
class BenchScenariosTest {
  static TestDatabase db;
  static TestServer node;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    node = TestServer.tcp(db, "--metrics-port=0");
  }

  @AfterAll
  static void stop() {
    node.close();
    db.close();
  }

  private static String bench(String scenario, String... options) {
    List<String> args = new ArrayList<>(List.of("bench", scenario, "--target", node.target(),
        "--metrics", "http://127.0.0.1:" + node.server().metricsPort() + "/metrics",
        "--output", "json", "--queue", "bench-" + scenario));
    args.addAll(List.of(options));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    var cli = OverseerCli.commandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int code = cli.execute(args.toArray(String[]::new));
    assertEquals(0, code, scenario + " exit code; stderr:\n" + err + "\nstdout:\n" + out);
    String json = out.toString();
    assertEquals(0, number(json, "errors"), json);
    assertTrue(Pattern.compile("\"available\"\\s*:\\s*true").matcher(json).find()
            && !Pattern.compile("\"available\"\\s*:\\s*false").matcher(json).find(),
        "the server's metrics were read in every phase: " + json);
    return json;
  }

  private static long number(String json, String key) {
    Matcher m = Pattern.compile("\"" + key + "\"\\s*:\\s*(\\d+)").matcher(json);
    assertTrue(m.find(), key + " in " + json);
    return Long.parseLong(m.group(1));
  }

  @Test
  void processRunsWarmUpThenEachRound() {
    String json = bench("process", "--jobs", "300", "--warmup-jobs", "100", "--in-flight", "2,8");
    assertTrue(json.contains("\"process j=2 w=1\"") && json.contains("\"process j=8 w=1\""), json);
    assertTrue(!json.contains("\"warm-up\""), "the warm-up rounds are not reported: " + json);
    assertTrue(Pattern.compile("warm-up: \\d+ round\\(s\\) of 100 jobs").matcher(json).find(),
        "the note says how many warm-up rounds ran: " + json);
  }

  @Test
  void logsComparesProcessWithAndWithoutLoggersAndChecksEveryLineWasStored() {
    String json = bench("logs", "--jobs", "300", "--warmup-jobs", "0", "--in-flight", "4", "--loggers", "3",
        "--lines-per-second", "100");
    for (String phase : new String[] {"process j=4 w=1 without logs", "process j=4 w=1 with logs", "process j=4 w=1 without logs, again"}) {
      assertTrue(Pattern.compile("\"name\"\\s*:\\s*\"" + phase + "\",\\s*\"jobs\"\\s*:\\s*300\\b").matcher(json).find(),
          "phase " + phase + " processed its 300 jobs: " + json);
    }
    assertTrue(Pattern.compile("\"headline\"\\s*:\\s*\"process j=4 w=1 with logs\"").matcher(json).find(), json);
    assertTrue(number(json, "lines_appended") > 0, "the loggers logged during the round: " + json);
    assertTrue(json.contains("\"append_lines_per_second\"") && json.contains("\"ratio_to_without_logs\""), json);
  }

  @Test
  void createLatencyWatchAndE2e() {
    String create = bench("create", "--jobs", "200", "--concurrency", "4", "--batch", "50",
        "--warmup-jobs", "100");
    for (String phase : new String[] {"single c=1", "single c=4", "batch b=50"}) {
      assertTrue(Pattern.compile("\"name\"\\s*:\\s*\"" + phase + "\",\\s*\"jobs\"\\s*:\\s*200\\b")
          .matcher(create).find(), "phase " + phase + " counts its 200 jobs, not the warm-up's: " + create);
    }
    assertTrue(Pattern.compile("c=4 warm-up: \\d+ round\\(s\\) of 100 jobs").matcher(create).find()
        && Pattern.compile("batch warm-up: \\d+ round\\(s\\) of 100 jobs").matcher(create).find(),
        "the notes say how many warm-up rounds ran: " + create);
    String latency = bench("latency", "--jobs", "20", "--rate", "50", "--warmup-jobs", "10");
    assertTrue(Pattern.compile("\"name\"\\s*:\\s*\"pickup[^\"]*\",\\s*\"jobs\"\\s*:\\s*20\\b").matcher(latency).find(),
        "the pickup phase counts the 20 measured jobs, not the warm-up's: " + latency);
    assertTrue(Pattern.compile("\"latency_ms\"\\s*:\\s*\\{[^}]*\"count\"\\s*:\\s*20\\b").matcher(latency).find(),
        "20 pickup delays recorded, none of the warm-up's: " + latency);
    bench("watch", "--watchers", "20", "--rate", "20", "--duration", "2s", "--warmup", "0s");
    bench("e2e", "--duration", "2s", "--warmup", "0s", "--in-flight", "4");
  }
}
