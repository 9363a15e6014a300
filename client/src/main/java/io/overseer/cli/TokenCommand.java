package io.overseer.cli;

import io.overseer.client.Structs;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

@Command(name = "token", mixinStandardHelpOptions = true, description = "Manage API tokens.",
    subcommands = TokenCommand.New.class)
final class TokenCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    throw new UsageException("missing subcommand: try 'overseer token new --principal NAME"
        + " --roles caller'");
  }

  @Command(
      name = "new",
      mixinStandardHelpOptions = true,
      description = {
        "Print a fresh random token and the line that grants it in the server's tokens file"
            + " (--auth-tokens-file). The server stores only the token's SHA-256."
      })
  static final class New implements Callable<Integer> {
    @Option(names = "--principal", required = true, paramLabel = "NAME",
        description = "Who the token stands for, e.g. alice or billing-service.")
    String principal;

    @Option(names = "--roles", paramLabel = "ROLES", split = ",", defaultValue = "caller",
        description = "Comma-separated: caller, worker, admin [${DEFAULT-VALUE}].")
    List<String> roles = new ArrayList<>();

    @Mixin OutputOptions output;
    @Spec CommandSpec spec;

    @Override
    public Integer call() {
      String token = Tokens.newToken(new SecureRandom());
      String line = Tokens.fileLine(token, principal, roles);
      var out = spec.commandLine().getOut();
      if (output.json()) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("token", token);
        json.put("principal", principal);
        json.put("roles", roles);
        json.put("tokens_file_line", line);
        out.println(Structs.toPrettyJson(Structs.toStruct(json)));
      } else {
        out.println("token: " + token);
        out.println("add this line to the tokens file:");
        out.println(line);
      }
      out.flush();
      return 0;
    }
  }
}
