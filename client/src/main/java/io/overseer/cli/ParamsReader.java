package io.overseer.cli;

import com.google.protobuf.Struct;
import io.overseer.client.Structs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** {@code --params}: inline JSON, {@code @file}, or {@code @-} for standard input. */
final class ParamsReader {
  private ParamsReader() {}

  static Struct read(String spec) {
    if (spec == null) {
      return Struct.getDefaultInstance();
    }
    String json = spec;
    if (spec.startsWith("@")) {
      String file = spec.substring(1);
      try {
        json = file.equals("-")
            ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
            : Files.readString(Path.of(file), StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        throw new UsageException("--params: no such file: " + file);
      } catch (IOException e) {
        throw new UsageException("--params: cannot read " + file + ": " + e.getMessage(), e);
      }
    }
    try {
      return Structs.fromJson(json);
    } catch (IllegalArgumentException e) {
      throw new UsageException("--params: " + e.getMessage(), e);
    }
  }
}
