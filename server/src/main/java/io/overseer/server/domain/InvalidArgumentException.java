package io.overseer.server.domain;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** One or more request fields are invalid; nothing was written. */
public final class InvalidArgumentException extends OverseerException {
  /** A field path as in the proto ({@code requests[3].type}) and what is wrong with it. */
  public record Violation(String field, String description) {}

  private final List<Violation> violations;

  public InvalidArgumentException(List<Violation> violations) {
    super(
        "INVALID_ARGUMENT",
        violations.stream()
            .map(v -> v.field() + ": " + v.description())
            .collect(Collectors.joining("; ")),
        Map.of("fields", violations.stream().map(Violation::field).collect(Collectors.joining(","))),
        "fix the fields named in the BadRequest details and send the request again");
    this.violations = List.copyOf(violations);
  }

  public static InvalidArgumentException of(String field, String description) {
    return new InvalidArgumentException(List.of(new Violation(field, description)));
  }

  public List<Violation> violations() {
    return violations;
  }
}
