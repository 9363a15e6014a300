package io.overseer.server.domain;

/** Where a serving job is reached: a name (e.g. "http") and an absolute URI. */
public record Endpoint(String name, String uri) {}
