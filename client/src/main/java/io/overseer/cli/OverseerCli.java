package io.overseer.cli;

import io.overseer.cli.bench.BenchCommand;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code overseer} command line: {@code java -jar overseer.jar <command> ...}. */
@Command(
    name = "overseer",
    mixinStandardHelpOptions = true,
    version = "overseer 0.1.0",
    description = "Submit, follow and serve Overseer jobs.",
    footer = {
      "",
      "Server commands take --target (env OVERSEER_TARGET), --token (env OVERSEER_TOKEN),"
          + " --tls/--tls-ca/--tls-cert/--tls-key and --output table|json.",
      "Exit status: 0 ok; for watch and submit --watch: 0 completed, 1 failed, 2 cancelled,"
          + " 3 partial; 4 any error (usage errors included)."
    })
public final class OverseerCli implements Callable<Integer> {

  /** The subcommands, in help order. A new command (e.g. bench) is one more entry here. */
  static List<Object> commands() {
    return List.of(
        new SubmitCommand(),
        new GetCommand(),
        new ListCommand(),
        new CancelCommand(),
        new StopCommand(),
        new EventsCommand(),
        new AssetsCommand(),
        new LogsCommand(),
        new WatchCommand(),
        new WorkerCommand(),
        new TokenCommand(),
        new BenchCommand());
  }

  public static void main(String[] args) {
    configureLogging();
    System.exit(commandLine().execute(args));
  }

  /** A fully configured command line (tests use it with their own out/err writers). */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new OverseerCli());
    commands().forEach(cli::addSubcommand);
    // applied to the whole tree, so after the subcommands are added
    cli.setExpandAtFiles(false); // "--params @file" is ours, not picocli's argument files
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setParameterExceptionHandler(OverseerCli::usageError);
    cli.setExecutionExceptionHandler(OverseerCli::executionError);
    return cli;
  }

  @Override
  public Integer call() {
    throw new UsageException("missing command: one of submit, get, ls, cancel, stop, events, assets,"
        + " logs, watch, worker, token, bench");
  }

  private static int usageError(CommandLine.ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println("error: INVALID_ARGUMENT: " + e.getMessage());
    err.println("hint: see '" + cmd.getCommandSpec().qualifiedName() + " --help'");
    err.flush();
    return ExitCodes.ERROR;
  }

  private static int executionError(
      Exception e, CommandLine cmd, CommandLine.ParseResult parseResult) {
    String target = cmd.getCommand() instanceof ServerCommand server ? server.target() : target(cmd);
    PrintWriter err = cmd.getErr();
    ErrorReport.lines(e, target).forEach(err::println);
    if (e instanceof UsageException) {
      err.println("hint: see '" + cmd.getCommandSpec().qualifiedName() + " --help'");
    }
    err.flush();
    return ExitCodes.ERROR;
  }

  /** The --target of a command that mixes in the connection options (the bench scenarios). */
  private static String target(CommandLine cmd) {
    for (CommandLine.Model.CommandSpec mixin : cmd.getCommandSpec().mixins().values()) {
      if (mixin.userObject() instanceof ConnectionOptions connection) {
        return connection.target();
      }
    }
    return null;
  }

  /** slf4j-simple (bundled in the CLI jar only): warnings on stderr, worker lifecycle at info. */
  private static void configureLogging() {
    setDefault("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    setDefault("org.slf4j.simpleLogger.log.io.overseer", "info");
    setDefault("org.slf4j.simpleLogger.logFile", "System.err");
    setDefault("org.slf4j.simpleLogger.showDateTime", "true");
    setDefault("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss.SSS");
    setDefault("org.slf4j.simpleLogger.showThreadName", "false");
    setDefault("org.slf4j.simpleLogger.showShortLogName", "true");
  }

  private static void setDefault(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
