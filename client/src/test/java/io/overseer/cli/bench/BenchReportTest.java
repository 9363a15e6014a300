package io.overseer.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import io.overseer.cli.bench.Samples.Percentiles;
import io.overseer.client.Structs;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BenchReportTest {
  private static Percentiles oneToHundredMillis() {
    long[] nanos = new long[100];
    for (int i = 0; i < nanos.length; i++) {
      nanos[i] = (i + 1) * 1_000_000L;
    }
    return Percentiles.of(nanos);
  }

  private static BenchReport createReport() {
    BenchReport report = new BenchReport("create", "127.0.0.1:50051");
    report.settings.put("jobs", 2000);
    report.latencyOf = "one call";
    BenchReport.Phase single = report.phase("single c=1");
    single.jobs = 1000;
    single.calls = 1000L;
    single.seconds = 2.0;
    single.latency = oneToHundredMillis();
    BenchReport.Phase concurrent = report.phase("single c=32");
    concurrent.jobs = 1000;
    concurrent.calls = 1000L;
    concurrent.seconds = 0.5;
    concurrent.latency = oneToHundredMillis();
    report.headline = concurrent;
    report.server = Map.of("available", false, "note", "n/a: no --metrics URL given");
    return report;
  }

  /** The document parses as JSON, with the top-level fields SPEC.md names. */
  @Test
  void jsonHasTopLevelRateAndLatency() {
    Struct doc = Structs.fromJson(Json.write(createReport().toJson()));
    Map<String, Value> top = doc.getFieldsMap();
    assertEquals("create", top.get("scenario").getStringValue());
    assertEquals(2000.0, top.get("jobs_per_second").getNumberValue()); // the headline: c=32
    Map<String, Value> latency = top.get("latency_ms").getStructValue().getFieldsMap();
    assertEquals(50.0, latency.get("p50").getNumberValue());
    assertEquals(95.0, latency.get("p95").getNumberValue());
    assertEquals(99.0, latency.get("p99").getNumberValue());
    assertEquals(100.0, latency.get("max").getNumberValue());
    List<Value> phases = top.get("phases").getListValue().getValuesList();
    assertEquals(2, phases.size());
    assertEquals(500.0, phases.get(0).getStructValue().getFieldsMap()
        .get("jobs_per_second").getNumberValue());
    assertFalse(top.get("server").getStructValue().getFieldsMap().get("available").getBoolValue());
  }

  @Test
  void noRateWhereItDoesNotApply() {
    BenchReport report = new BenchReport("latency", "x:1");
    BenchReport.Phase phase = report.phase("pickup @50/s");
    phase.throughput = false;
    phase.jobs = 500;
    phase.seconds = 10;
    phase.latency = oneToHundredMillis();
    report.headline = phase;
    Struct doc = Structs.fromJson(Json.write(report.toJson()));
    assertFalse(doc.getFieldsMap().containsKey("jobs_per_second"));
    assertTrue(doc.getFieldsMap().containsKey("latency_ms"));
  }

  @Test
  void emptyLatencyIsNullNotZero() {
    BenchReport report = new BenchReport("process", "x:1");
    report.phase("nothing ran");
    Map<String, Value> latency = Structs.fromJson(Json.write(report.toJson()))
        .getFieldsMap().get("latency_ms").getStructValue().getFieldsMap();
    assertEquals(Value.KindCase.NULL_VALUE, latency.get("p50").getKindCase());
    assertEquals(0.0, latency.get("count").getNumberValue());
  }

  @Test
  void tableSaysNaWithoutServerMetrics() {
    List<String> lines = createReport().tableLines();
    String text = String.join("\n", lines);
    assertTrue(lines.get(0).startsWith("overseer bench create against 127.0.0.1:50051"), text);
    assertTrue(text.contains("PHASE"), text);
    assertTrue(text.lines().anyMatch(l -> l.startsWith("single c=32") && l.contains("2000.0")
        && l.contains("n/a")), text);
    assertTrue(text.contains("server (whole run): n/a: no --metrics URL given"), text);
  }
}
