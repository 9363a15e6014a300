package io.overseer.server.api;

/** Request limits that are configurable; the fixed ones live in {@link RequestValidator}. */
public record Limits(int maxPayloadBytes) {
  public static final Limits DEFAULT = new Limits(1024 * 1024);
}
