package io.overseer.client;

import java.util.ArrayList;
import java.util.List;

/** A {@code host:port} target; IPv6 hosts are written in brackets, {@code [::1]:50051}. */
record HostPort(String host, int port) {
  static final int DEFAULT_PORT = 50051;

  HostPort {
    if (host == null || host.isBlank()) {
      throw new IllegalArgumentException("empty host");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  String authority() {
    return host.contains(":") ? "[" + host + "]:" + port : host + ":" + port;
  }

  /** Parses {@code host}, {@code host:port}, {@code [v6]} or {@code [v6]:port}. */
  static HostPort parse(String text) {
    String t = text.strip();
    String host;
    String port = null;
    if (t.startsWith("[")) {
      int close = t.indexOf(']');
      if (close < 0) {
        throw new IllegalArgumentException("unclosed '[' in target " + text);
      }
      host = t.substring(1, close);
      String rest = t.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw new IllegalArgumentException("expected ':port' after ']' in target " + text);
        }
        port = rest.substring(1);
      }
    } else {
      int colon = t.lastIndexOf(':');
      if (colon >= 0 && t.indexOf(':') != colon) {
        throw new IllegalArgumentException("write IPv6 targets as [addr]:port: " + text);
      }
      host = colon < 0 ? t : t.substring(0, colon);
      port = colon < 0 ? null : t.substring(colon + 1);
    }
    try {
      return new HostPort(host, port == null ? DEFAULT_PORT : Integer.parseInt(port));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad port in target " + text);
    }
  }

  /** Parses a comma-separated list of targets. */
  static List<HostPort> parseList(String text) {
    List<HostPort> list = new ArrayList<>();
    for (String part : text.split(",")) {
      if (!part.isBlank()) {
        list.add(parse(part));
      }
    }
    if (list.isEmpty()) {
      throw new IllegalArgumentException("no target in '" + text + "'");
    }
    return list;
  }
}
