package io.overseer.cli;

import com.google.protobuf.MessageOrBuilder;
import io.overseer.client.OverseerClient;
import io.overseer.client.Structs;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** A subcommand that talks to a server: common options, one client per run, output helpers. */
abstract class ServerCommand implements Callable<Integer> {
  @Mixin ConnectionOptions connection;
  @Mixin OutputOptions output;
  @Spec CommandSpec spec;

  @Override
  public final Integer call() throws Exception {
    try (OverseerClient client = connection.connect()) {
      return run(client);
    }
  }

  /** Runs the command; returns the exit status. */
  abstract int run(OverseerClient client) throws Exception;

  /** The server address, for error messages. */
  String target() {
    return connection == null ? null : connection.target;
  }

  PrintWriter out() {
    return spec.commandLine().getOut();
  }

  PrintWriter err() {
    return spec.commandLine().getErr();
  }

  /** Prints one response as one pretty JSON document. */
  void printJson(MessageOrBuilder message) {
    out().println(Structs.toPrettyJson(message));
    out().flush();
  }
}
