package io.overseer.server.api;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.util.JsonFormat;
import io.overseer.server.domain.Asset;
import io.overseer.server.domain.Endpoint;
import io.overseer.server.domain.Job;
import io.overseer.server.domain.JobEvent;
import io.overseer.server.domain.LogLine;
import io.overseer.server.domain.State;
import io.overseer.v1.JobEventKind;
import io.overseer.v1.JobState;
import java.time.Duration;
import java.time.Instant;

/** Domain records to overseer.v1 messages, and JSON to and from Struct. */
public final class ProtoMapper {
  private static final JsonFormat.Printer JSON = JsonFormat.printer().omittingInsignificantWhitespace();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  private ProtoMapper() {}

  public static io.overseer.v1.Job job(Job j) {
    io.overseer.v1.Job.Builder b =
        io.overseer.v1.Job.newBuilder()
            .setId(j.id().toString())
            .setType(j.type())
            .setQueue(j.queue())
            .setState(state(j.state()))
            .setProgress(j.progress())
            .setStage(j.stage())
            .setMessage(j.message())
            .setParams(struct(j.paramsJson()))
            .setErrorMessage(j.errorMessage())
            .setPriority(j.priority())
            .setAttempt(j.attempt())
            .setMaxAttempts(j.maxAttempts())
            .setRunAt(timestamp(j.runAt()))
            .setOwner(j.owner())
            .putAllLabels(j.labels())
            .setCancelRequested(j.cancelRequested())
            .setWorkerId(j.workerId())
            .setCreateTime(timestamp(j.createTime()))
            .setUpdateTime(timestamp(j.updateTime()));
    if (j.resultJson() != null) {
      b.setResult(struct(j.resultJson()));
    }
    if (j.timeout() != null) {
      b.setTimeout(duration(j.timeout()));
    }
    if (j.idempotencyKey() != null) {
      b.setIdempotencyKey(j.idempotencyKey());
    }
    if (j.startTime() != null) {
      b.setStartTime(timestamp(j.startTime()));
    }
    if (j.finishTime() != null) {
      b.setFinishTime(timestamp(j.finishTime()));
    }
    if (j.state().isLeased() && j.leaseExpireTime() != null) {
      b.setLeaseExpireTime(timestamp(j.leaseExpireTime()));
    }
    for (Endpoint e : j.endpoints()) {
      b.addEndpoints(io.overseer.v1.Endpoint.newBuilder().setName(e.name()).setUri(e.uri()));
    }
    b.setStopRequested(j.stopRequested());
    return b.build();
  }

  public static io.overseer.v1.JobEvent event(JobEvent e) {
    io.overseer.v1.JobEvent.Builder b =
        io.overseer.v1.JobEvent.newBuilder()
            .setJobId(e.jobId().toString())
            .setSequence(e.sequence())
            .setKind(JobEventKind.valueOf("JOB_EVENT_KIND_" + e.kind().name()))
            .setState(state(e.state()))
            .setProgress(e.progress())
            .setStage(e.stage())
            .setMessage(e.message())
            .setActor(e.actor())
            .setWorkerId(e.workerId())
            .setTime(timestamp(e.time()));
    if (e.previousState() != null) {
      b.setPreviousState(state(e.previousState()));
    }
    if (e.assetId() != null) {
      b.setAssetId(e.assetId().toString());
    }
    return b.build();
  }

  public static io.overseer.v1.Asset asset(Asset a) {
    return io.overseer.v1.Asset.newBuilder()
        .setId(a.id().toString())
        .setJobId(a.jobId().toString())
        .setOwner(a.owner())
        .setAssetType(a.assetType())
        .setUri(a.uri())
        .setStoragePath(a.storagePath())
        .setSizeBytes(a.sizeBytes())
        .setContentType(a.contentType())
        .setChecksum(a.checksum())
        .setCreateTime(timestamp(a.createTime()))
        .build();
  }

  public static io.overseer.v1.LogLine logLine(LogLine l) {
    return io.overseer.v1.LogLine.newBuilder()
        .setSequence(l.sequence())
        .setTime(timestamp(l.time()))
        .setStream(l.stream())
        .setText(l.text())
        .setAttempt(l.attempt())
        .build();
  }

  public static JobState state(State s) {
    return JobState.valueOf("JOB_STATE_" + s.name());
  }

  /** The domain state of a proto state; null for UNSPECIFIED or unknown numbers. */
  public static State state(JobState s) {
    if (s == JobState.JOB_STATE_UNSPECIFIED || s == JobState.UNRECOGNIZED) {
      return null;
    }
    return State.valueOf(s.name().substring("JOB_STATE_".length()));
  }

  public static Timestamp timestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  public static com.google.protobuf.Duration duration(Duration d) {
    return com.google.protobuf.Duration.newBuilder().setSeconds(d.getSeconds()).setNanos(d.getNano()).build();
  }

  public static String toJson(Struct s) {
    if (s.getFieldsCount() == 0) {
      return "{}"; // as the printer writes it, without its reflection
    }
    try {
      return JSON.print(s);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(e);
    }
  }

  public static Struct struct(String json) {
    if (json.equals("{}")) {
      return Struct.getDefaultInstance(); // jsonb's empty object: no JSON parser (microseconds a job)
    }
    Struct.Builder b = Struct.newBuilder();
    try {
      PARSER.merge(withShortNumbers(json), b);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("stored JSON is not an object: " + e.getMessage(), e);
    }
    return b.build();
  }

  /**
   * The stored JSON with every long number literal written as a double in exponent notation.
   * PostgreSQL's jsonb prints numbers in plain notation (1e300 comes back as 1 and 300 zeros),
   * and the JSON parser takes an integer literal of more than about 65 digits for a string: the
   * value was a double when it came in (Struct numbers are doubles), so it goes out as one.
   */
  static String withShortNumbers(String json) {
    StringBuilder out = null;
    boolean inString = false;
    int copied = 0;
    for (int i = 0; i < json.length(); i++) {
      char c = json.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '-' || (c >= '0' && c <= '9')) {
        int end = i + 1;
        while (end < json.length() && "0123456789.eE+-".indexOf(json.charAt(end)) >= 0) {
          end++;
        }
        if (end - i > 24) {
          out = out == null ? new StringBuilder(json.length()) : out;
          out.append(json, copied, i).append(Double.parseDouble(json.substring(i, end)));
          copied = end;
        }
        i = end - 1;
      }
    }
    return out == null ? json : out.append(json, copied, json.length()).toString();
  }
}
