package io.overseer.cli;

import picocli.CommandLine.Option;

/** {@code --output table|json} (a picocli mixin). */
public final class OutputOptions {
  /** The output formats. */
  public enum Format {
    table,
    json
  }

  @Option(
      names = {"-o", "--output"},
      paramLabel = "FORMAT",
      defaultValue = "table",
      description = "table (default) or json: the proto3 JSON mapping of the response.")
  Format format;

  public boolean json() {
    return format == Format.json;
  }
}
