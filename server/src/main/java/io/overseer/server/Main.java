package io.overseer.server;

import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;

/** {@code java -jar overseer-server.jar [flags]}: runs until SIGTERM or SIGINT. */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    ServerConfig config = new ServerConfig();
    CommandLine cli = new CommandLine(config);
    try {
      cli.parseArgs(args);
      if (cli.isUsageHelpRequested()) {
        cli.usage(System.out);
        return;
      }
      if (cli.isVersionHelpRequested()) {
        cli.printVersionHelp(System.out);
        return;
      }
      config.validate();
      LogSetup.apply(config.logFormat, config.logLevel);
    } catch (CommandLine.ParameterException | IllegalArgumentException e) {
      System.err.println("overseer: " + e.getMessage());
      System.err.println("Run with --help for every flag.");
      System.exit(2);
      return;
    }
    OverseerServer server;
    try {
      server = OverseerServer.start(config);
    } catch (Exception e) {
      System.err.println("overseer: could not start: " + e.getMessage());
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "overseer-shutdown"));
    System.out.println(
        "overseer listening on " + config.host + ":" + server.port() + " (database: " + server.databaseDescription() + ")");
    System.out.flush();
    stopped.await();
  }
}
