package io.overseer.server.api;

import com.google.protobuf.Duration;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import io.overseer.server.domain.InvalidArgumentException;
import io.overseer.server.domain.InvalidArgumentException.Violation;
import io.overseer.server.domain.Endpoint;
import io.overseer.server.domain.NewJob;
import io.overseer.server.domain.NewLogLine;
import io.overseer.server.domain.TimeOrderedIds;
import io.overseer.v1.CreateJobRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Checks request fields against SPEC.md's limits and converts them to domain values. Collects
 * every violation of a request (field paths as in the proto, e.g. {@code requests[3].type}) and
 * throws them together, before anything is written.
 */
public final class RequestValidator {
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  static final int DEFAULT_MAX_ATTEMPTS = 3;
  static final int MAX_LABELS = 64;
  static final int MAX_TEXT = 4096;
  static final int MAX_ENDPOINTS = 16;
  static final int MAX_ERROR_MESSAGE = 64 * 1024;
  static final int MAX_LOG_LINES = 1000;
  static final int MAX_LOG_REQUEST_BYTES = 4 * 1024 * 1024;
  static final int MAX_STREAM = 64;
  static final java.time.Duration MIN_TIMEOUT = java.time.Duration.ofSeconds(1);
  static final java.time.Duration MAX_TIMEOUT = java.time.Duration.ofDays(7);

  private final List<Violation> violations = new ArrayList<>();
  private final Limits limits;

  public RequestValidator(Limits limits) {
    this.limits = limits;
  }

  /** Throws all violations collected so far, if any. */
  public void check() {
    if (!violations.isEmpty()) {
      throw new InvalidArgumentException(violations);
    }
  }

  public void fail(String field, String description) {
    violations.add(new Violation(field, description));
  }

  public NewJob newJob(String prefix, CreateJobRequest r) {
    String type = name(prefix + "type", r.getType(), true);
    String queue = r.getQueue().isEmpty() ? "default" : name(prefix + "queue", r.getQueue(), true);
    String params = r.hasParams() ? json(prefix + "params", r.getParams()) : "{}";
    int priority = range(prefix + "priority", r.getPriority(), -1000, 1000);
    int maxAttempts =
        r.getMaxAttempts() == 0 ? DEFAULT_MAX_ATTEMPTS : range(prefix + "max_attempts", r.getMaxAttempts(), 1, 100);
    // stored in milliseconds: truncated here, so an idempotent retry compares equal to the stored job
    java.time.Duration timeout =
        r.hasTimeout()
            ? duration(prefix + "timeout", r.getTimeout(), MIN_TIMEOUT, MAX_TIMEOUT).truncatedTo(java.time.temporal.ChronoUnit.MILLIS)
            : null;
    Instant runAt = r.hasRunAt() ? timestamp(prefix + "run_at", r.getRunAt()) : null;
    Map<String, String> labels = labels(prefix + "labels", r.getLabelsMap());
    String key = r.getIdempotencyKey().isEmpty() ? null : text(prefix + "idempotency_key", r.getIdempotencyKey(), 256);
    return new NewJob(TimeOrderedIds.next(), type, queue, params, priority, maxAttempts, timeout, runAt, labels, key);
  }

  public UUID id(String field, String value) {
    if (value.isEmpty()) {
      fail(field, "required: a job id (UUID)");
      return null;
    }
    try {
      UUID id = UUID.fromString(value);
      if (id.toString().equals(value.toLowerCase())) {
        return id;
      }
    } catch (IllegalArgumentException e) {
      // reported below
    }
    fail(field, "'" + abbreviate(value) + "' is not a UUID");
    return null;
  }

  /** A type or queue name; empty is a violation when required. */
  public String name(String field, String value, boolean required) {
    if (value.isEmpty() && !required) {
      return null;
    }
    if (!NAME.matcher(value).matches()) {
      fail(field, value.isEmpty() ? "required" : "must be 1 to 128 characters of [A-Za-z0-9._:-], got '" + abbreviate(value) + "'");
    }
    return value;
  }

  public String text(String field, String value, int maxChars) {
    if (value.length() > maxChars) {
      fail(field, "at most " + maxChars + " characters, got " + value.length());
    }
    if (value.indexOf('\u0000') >= 0) {
      fail(field, "must not contain NUL characters (U+0000)");
    }
    return value;
  }

  public String required(String field, String value, int maxChars) {
    if (value.isEmpty()) {
      fail(field, "required");
    }
    return text(field, value, maxChars);
  }

  /** 1..16 endpoints, each with a name (1..64 characters) and an absolute URI (at most 2,048). */
  public List<Endpoint> endpoints(String field, List<io.overseer.v1.Endpoint> endpoints) {
    if (endpoints.isEmpty() || endpoints.size() > MAX_ENDPOINTS) {
      fail(field, "1.." + MAX_ENDPOINTS + " endpoints, got " + endpoints.size());
    }
    List<Endpoint> out = new ArrayList<>();
    for (int i = 0; i < Math.min(endpoints.size(), MAX_ENDPOINTS); i++) {
      String prefix = field + "[" + i + "].";
      String name = required(prefix + "name", endpoints.get(i).getName(), 64);
      String uri = required(prefix + "uri", endpoints.get(i).getUri(), 2048);
      if (!uri.isEmpty() && !isAbsoluteUri(uri)) {
        fail(prefix + "uri", "must be an absolute URI such as http://10.0.0.7:8888/, got '" + uri + "'");
      }
      out.add(new Endpoint(name, uri));
    }
    return out;
  }

  private static boolean isAbsoluteUri(String uri) {
    try {
      java.net.URI u = new java.net.URI(uri);
      return u.isAbsolute() && (u.getHost() != null || u.getAuthority() != null);
    } catch (java.net.URISyntaxException e) {
      return false;
    }
  }

  /**
   * 1..1000 lines of at most 4 MiB in all (a longer text is cut when stored, not refused); a
   * stream of at most 64 characters; no NUL characters; a valid time if set. Sequence and attempt
   * are the server's and ignored.
   */
  public List<NewLogLine> logLines(String field, List<io.overseer.v1.LogLine> lines, int requestBytes) {
    if (lines.isEmpty() || lines.size() > MAX_LOG_LINES) {
      fail(field, "1.." + MAX_LOG_LINES + " lines per call, got " + lines.size());
      return List.of();
    }
    if (requestBytes > MAX_LOG_REQUEST_BYTES) {
      fail(field, "at most " + MAX_LOG_REQUEST_BYTES + " bytes per call, got " + requestBytes + "; send fewer lines per call");
      return List.of();
    }
    List<NewLogLine> out = new ArrayList<>(lines.size());
    for (int i = 0; i < lines.size(); i++) {
      io.overseer.v1.LogLine line = lines.get(i);
      String prefix = field + "[" + i + "].";
      Instant time = line.hasTime() ? timestamp(prefix + "time", line.getTime()) : null;
      String stream = text(prefix + "stream", line.getStream(), MAX_STREAM);
      if (line.getText().indexOf('\u0000') >= 0) {
        fail(prefix + "text", "must not contain NUL characters (U+0000)");
      }
      out.add(NewLogLine.of(time, stream, line.getText()));
    }
    return out;
  }

  public int range(String field, int value, int min, int max) {
    if (value < min || value > max) {
      fail(field, "must be between " + min + " and " + max + ", got " + value);
    }
    return value;
  }

  /** page_size: 0 is the default, larger than the maximum is lowered to it. */
  public int pageSize(String field, int value, int defaultSize, int max) {
    if (value < 0) {
      fail(field, "must not be negative, got " + value);
    }
    return value == 0 ? defaultSize : Math.min(value, max);
  }

  public java.time.Duration duration(String field, Duration d, java.time.Duration min, java.time.Duration max) {
    if (d.getNanos() < 0 || d.getSeconds() < 0 || d.getNanos() > 999_999_999) {
      fail(field, "must be a non-negative duration");
      return min;
    }
    java.time.Duration v = java.time.Duration.ofSeconds(d.getSeconds(), d.getNanos());
    if (v.compareTo(min) < 0 || v.compareTo(max) > 0) {
      fail(field, "must be between " + pretty(min) + " and " + pretty(max) + ", got " + pretty(v));
    }
    return v;
  }

  public Instant timestamp(String field, Timestamp t) {
    // proto Timestamp range: 0001-01-01 to 9999-12-31; microseconds as PostgreSQL stores them
    if (t.getSeconds() < -62135596800L || t.getSeconds() > 253402300799L || t.getNanos() < 0 || t.getNanos() > 999_999_999) {
      fail(field, "not a valid timestamp");
      return null;
    }
    return Instant.ofEpochSecond(t.getSeconds(), (t.getNanos() / 1000) * 1000L);
  }

  public String json(String field, Struct struct) {
    if (struct.getSerializedSize() > limits.maxPayloadBytes()) {
      fail(field, "at most " + limits.maxPayloadBytes() + " bytes, got " + struct.getSerializedSize());
      return "{}";
    }
    String json;
    try {
      json = ProtoMapper.toJson(struct);
    } catch (IllegalArgumentException e) {
      fail(field, "not representable as JSON: " + e.getMessage());
      return "{}";
    }
    int jsonBytes = json.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    if (jsonBytes > limits.maxPayloadBytes()) {
      fail(field, "at most " + limits.maxPayloadBytes() + " bytes as JSON, got " + jsonBytes);
    }
    if (containsNul(struct)) {
      fail(field, "must not contain NUL characters (U+0000) in keys or strings");
    }
    return json;
  }

  /** Whether any key or string of the JSON object has a U+0000, which PostgreSQL's jsonb refuses. */
  private static boolean containsNul(Struct struct) {
    for (Map.Entry<String, Value> e : struct.getFieldsMap().entrySet()) {
      if (e.getKey().indexOf('\u0000') >= 0 || containsNul(e.getValue())) {
        return true;
      }
    }
    return false;
  }

  private static boolean containsNul(Value value) {
    switch (value.getKindCase()) {
      case STRING_VALUE:
        return value.getStringValue().indexOf('\u0000') >= 0;
      case STRUCT_VALUE:
        return containsNul(value.getStructValue());
      case LIST_VALUE:
        for (Value v : value.getListValue().getValuesList()) {
          if (containsNul(v)) {
            return true;
          }
        }
        return false;
      default:
        return false;
    }
  }

  public Map<String, String> labels(String field, Map<String, String> labels) {
    if (labels.size() > MAX_LABELS) {
      fail(field, "at most " + MAX_LABELS + " labels, got " + labels.size());
    }
    // the path is the map field itself (SPEC.md: "labels"); the description names the key
    for (Map.Entry<String, String> e : labels.entrySet()) {
      String key = "'" + abbreviate(e.getKey()) + "'";
      if (e.getKey().isEmpty() || e.getKey().length() > 63) {
        fail(field, "label keys must be 1 to 63 characters, got " + e.getKey().length() + " in key " + key);
      }
      if (e.getValue().length() > 256) {
        fail(field, "label values must be at most 256 characters, got " + e.getValue().length() + " for key " + key);
      }
      if (e.getKey().indexOf('\u0000') >= 0 || e.getValue().indexOf('\u0000') >= 0) {
        fail(field, "label keys and values must not contain NUL characters (U+0000), key " + key.replace("\u0000", "\\0"));
      }
    }
    return new TreeMap<>(labels);
  }

  static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "…";
  }

  static String pretty(java.time.Duration d) {
    return d.toString().substring(2).toLowerCase();
  }
}
