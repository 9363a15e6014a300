package io.overseer.cli.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.cli.OverseerCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BenchCliTest {
  record Run(int code, String out, String err) {}

  static Run cli(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine commandLine = OverseerCli.commandLine();
    commandLine.setOut(new PrintWriter(out));
    commandLine.setErr(new PrintWriter(err));
    return new Run(commandLine.execute(args), out.toString(), err.toString());
  }

  @Test
  void helpListsTheScenarios() {
    Run run = cli("bench", "--help");
    assertEquals(0, run.code());
    for (String scenario : List.of("create", "process", "e2e", "latency", "watch", "logs")) {
      assertTrue(run.out().contains("  " + scenario + " "), run.out());
    }
  }

  @Test
  void defaultsFollowThePeerWorkload() {
    CommandLine cli = OverseerCli.commandLine();
    CommandLine.ParseResult parsed = cli.parseArgs("bench", "process", "--in-flight", "8,32");
    ProcessBench process = (ProcessBench) parsed.subcommand().subcommand().commandSpec()
        .userObject();
    assertEquals(20000, process.jobs);
    assertEquals(List.of(8, 32), process.inFlight);
    assertEquals(1, process.workers(8));
    assertEquals(1, process.workers(32), "one worker runtime, as the peers run one process");
    assertEquals(2, process.workers(33));
    assertEquals(5000, process.warmupJobs);
    assertEquals(32, process.prefetch.forWorker(32), "claims ahead as many as it runs");
    assertEquals(0, ((ProcessBench) OverseerCli.commandLine()
        .parseArgs("bench", "process", "--prefetch", "0").subcommand().subcommand()
        .commandSpec().userObject()).prefetch.forWorker(32));
    assertEquals("bench", process.type);

    LatencyBench latency = (LatencyBench) OverseerCli.commandLine()
        .parseArgs("bench", "latency").subcommand().subcommand().commandSpec().userObject();
    assertEquals(500, latency.jobs);
    assertEquals(50.0, latency.rate);
    assertEquals(3000, latency.warmupJobs);

    CreateBench create = (CreateBench) OverseerCli.commandLine()
        .parseArgs("bench", "create").subcommand().subcommand().commandSpec().userObject();
    assertEquals(20000, create.jobs);
    assertEquals(1000, create.batch);
  }

  @Test
  void logsRunsTheProcessRoundsBesideTheLoggersOfThePeerWorkload() {
    LogsBench logs = (LogsBench) OverseerCli.commandLine()
        .parseArgs("bench", "logs").subcommand().subcommand().commandSpec().userObject();
    assertEquals("logs", logs.name());
    assertEquals(32, logs.loggers);
    assertEquals(200, logs.linesPerSecond);
    assertEquals(100, logs.lineChars);
    assertEquals(List.of(32), logs.inFlight, "process at 32 in flight");
    assertEquals(60000, logs.jobs, "rounds long enough to tell 10% on this machine");
    assertEquals(5000, logs.warmupJobs);
    assertEquals(32, logs.prefetch.forWorker(32), "the process options are process's");
    Run bad = cli("bench", "logs", "--loggers", "0", "--target", "127.0.0.1:1");
    assertEquals(4, bad.code());
    assertTrue(bad.err().startsWith("error: INVALID_ARGUMENT: --loggers must be at least 1"), bad.err());
    Run chars = cli("bench", "logs", "--line-chars", "20000", "--target", "127.0.0.1:1");
    assertEquals(4, chars.code());
    assertTrue(chars.err().startsWith("error: INVALID_ARGUMENT: --line-chars must be 1..16384"), chars.err());
  }

  @Test
  void badOptionsExit4BeforeConnecting() {
    Run run = cli("bench", "latency", "--rate", "0", "--target", "127.0.0.1:1");
    assertEquals(4, run.code());
    assertTrue(run.err().startsWith("error: INVALID_ARGUMENT: --rate must be more than 0"),
        run.err());
    Run unknown = cli("bench", "create", "--watchers", "5");
    assertEquals(4, unknown.code());
    assertTrue(unknown.err().contains("--watchers"), unknown.err());
    assertEquals(4, cli("bench").code());
  }

  @Test
  void unreachableServerNamesTheTarget() {
    Run run = cli("bench", "create", "--jobs", "1", "--target", "127.0.0.1:1");
    assertEquals(4, run.code());
    assertTrue(run.err().contains("cannot reach 127.0.0.1:1"), run.err());
  }

  @Test
  void inFlightIsSplitEvenlyOverWorkers() {
    assertArrayEquals(new int[] {9, 8, 8}, WorkerPool.split(25, 3));
    assertArrayEquals(new int[] {8, 8, 8, 8}, WorkerPool.split(32, 4));
    assertArrayEquals(new int[] {1}, WorkerPool.split(1, 1));
  }
}
