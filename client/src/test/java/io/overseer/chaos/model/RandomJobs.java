package io.overseer.chaos.model;

import com.google.protobuf.Duration;
import com.google.protobuf.ListValue;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Timestamp;
import com.google.protobuf.Value;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import java.time.Instant;
import java.util.Random;

/** Valid but varied CreateJob requests, and a field-by-field comparison with the job they made. */
final class RandomJobs {
  private static final String[] WORDS = {"a", "x.y", "ünïcödé", "日本語", "emoji 🎉", "", "quote \" and \\", "tab\tnew\nline", "'; DROP TABLE jobs;--"};

  private RandomJobs() {}

  /** A valid request with every optional field sometimes set, and the given idempotency key. */
  static CreateJobRequest create(Random r, String key) {
    CreateJobRequest.Builder b = CreateJobRequest.newBuilder().setType("t" + r.nextInt(5) + ".amb:x-y_z").setIdempotencyKey(key);
    if (r.nextBoolean()) {
      b.setQueue("q" + r.nextInt(3));
    }
    if (r.nextInt(4) > 0) {
      b.setParams(struct(r, 2));
    }
    if (r.nextBoolean()) {
      b.setPriority(r.nextInt(2001) - 1000);
    }
    if (r.nextBoolean()) {
      b.setMaxAttempts(r.nextInt(101));
    }
    if (r.nextInt(3) == 0) {
      // nanos below a millisecond: the server stores milliseconds, and a retry must still match
      b.setTimeout(Duration.newBuilder().setSeconds(1 + r.nextInt(600)).setNanos(r.nextInt(1_000_000_000)));
    }
    int when = r.nextInt(10);
    long now = Instant.now().getEpochSecond();
    if (when < 3) {
      b.setRunAt(Timestamp.newBuilder().setSeconds(now + 3600 + r.nextInt(86_400)).setNanos(r.nextInt(1_000_000_000)));
    } else if (when < 4) {
      b.setRunAt(Timestamp.newBuilder().setSeconds(now - 1 - r.nextInt(1_000_000)).setNanos(r.nextInt(1_000_000_000)));
    }
    for (int i = r.nextInt(5); i > 0; i--) {
      b.putLabels("k" + r.nextInt(10), WORDS[r.nextInt(WORDS.length)]);
    }
    return b.build();
  }

  static Struct struct(Random r, int depth) {
    Struct.Builder s = Struct.newBuilder();
    for (int i = r.nextInt(5); i > 0; i--) {
      s.putFields(WORDS[r.nextInt(WORDS.length)] + i, value(r, depth));
    }
    return s.build();
  }

  private static Value value(Random r, int depth) {
    switch (r.nextInt(depth > 0 ? 8 : 6)) {
      case 0:
        return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
      case 1:
        return Value.newBuilder().setBoolValue(r.nextBoolean()).build();
      case 2:
        return Value.newBuilder().setNumberValue(r.nextInt(2_000_001) - 1_000_000).build();
      case 3:
        double[] odd = {0.1, 1e-7, 1e20, 9007199254740991.0, 1.7976931348623157e308, 4.9e-324, Math.PI};
        return Value.newBuilder().setNumberValue(odd[r.nextInt(odd.length)]).build();
      case 4:
      case 5:
        return Value.newBuilder().setStringValue(WORDS[r.nextInt(WORDS.length)]).build();
      case 6:
        return Value.newBuilder().setStructValue(struct(r, depth - 1)).build();
      default:
        ListValue.Builder l = ListValue.newBuilder();
        for (int i = r.nextInt(4); i > 0; i--) {
          l.addValues(value(r, depth - 1));
        }
        return Value.newBuilder().setListValue(l).build();
    }
  }

  /** What differs between the request and the job it created, or null. */
  static String mismatch(CreateJobRequest q, Job j) {
    if (!q.getType().equals(j.getType())) {
      return "type";
    }
    if (!(q.getQueue().isEmpty() ? "default" : q.getQueue()).equals(j.getQueue())) {
      return "queue";
    }
    if (!q.getParams().equals(j.getParams())) {
      return "params " + q.getParams() + " became " + j.getParams();
    }
    if (q.getPriority() != j.getPriority()) {
      return "priority";
    }
    if ((q.getMaxAttempts() == 0 ? 3 : q.getMaxAttempts()) != j.getMaxAttempts()) {
      return "max_attempts";
    }
    if (q.hasTimeout() != j.hasTimeout()
        || q.getTimeout().getSeconds() != j.getTimeout().getSeconds()
        || q.getTimeout().getNanos() / 1_000_000 != j.getTimeout().getNanos() / 1_000_000) {
      return "timeout " + q.getTimeout() + " became " + j.getTimeout();
    }
    Instant created = instant(j.getCreateTime());
    Instant runAt = instant(j.getRunAt());
    if (q.hasRunAt() && instant(q.getRunAt()).isAfter(created)) {
      Instant asked = instant(q.getRunAt());
      if (!runAt.equals(asked.minusNanos(asked.getNano() % 1000))) {
        return "run_at " + asked + " became " + runAt;
      }
    } else if (runAt.isAfter(created)) {
      return "run_at now became " + runAt;
    }
    if (!q.getLabelsMap().equals(j.getLabelsMap())) {
      return "labels";
    }
    return q.getIdempotencyKey().equals(j.getIdempotencyKey()) ? null : "idempotency_key";
  }

  /** A timestamp {@code d} from now. */
  static Timestamp after(java.time.Duration d) {
    Instant t = Instant.now().plus(d);
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  static Instant instant(Timestamp t) {
    return Instant.ofEpochSecond(t.getSeconds(), t.getNanos());
  }
}
