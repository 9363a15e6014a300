package io.overseer.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class ServerMetricsTest {
  private static final String SCRAPE = String.join("\n",
      "# HELP overseer_jvm_memory_used_bytes The amount of used memory",
      "# TYPE overseer_jvm_memory_used_bytes gauge",
      "overseer_jvm_memory_used_bytes{area=\"heap\",id=\"G1 Eden Space\"} 1.6777216E7",
      "overseer_jvm_memory_used_bytes{area=\"heap\",id=\"G1 Old Gen\"} 7541248.0",
      "overseer_jvm_memory_used_bytes{area=\"heap\",id=\"G1 Survivor Space\"} 3825136.0",
      "overseer_jvm_memory_used_bytes{area=\"nonheap\",id=\"CodeHeap 'non-nmethods'\"} 1335168.0",
      "overseer_jvm_memory_used_bytes{area=\"nonheap\",id=\"Metaspace\"} 2.696512E7",
      "overseer_process_cpu_time_ns_total 2.58E9",
      "overseer_process_cpu_usage 0.25",
      "overseer_system_cpu_count 2.0",
      "overseer_system_cpu_usage NaN",
      "overseer_hikaricp_connections_pending{pool=\"overseer\"} 3.0",
      "overseer_jvm_gc_pause_seconds_sum{action=\"end of minor GC\",cause=\"G1 Evacuation Pause\","
          + "gc=\"G1 Young Generation\"} 0.015",
      "overseer_jvm_gc_pause_seconds_sum{action=\"end of major GC\",cause=\"a \\\"quoted\\\", x\","
          + "gc=\"G1 Old\"} 0.005",
      "");

  @Test
  void parsesAndSums() {
    ServerMetrics.Sample s = ServerMetrics.parse(42, SCRAPE);
    assertEquals(42, s.nanos());
    assertEquals(16777216.0 + 7541248.0 + 3825136.0, s.heapBytes());
    assertEquals(2.58e9, s.cpuTimeNs());
    assertEquals(0.25, s.cpuUsage());
    assertEquals(2.0, s.cpuCount());
    assertNull(s.systemCpu()); // NaN is no figure
    assertEquals(3.0, s.poolPending());
    assertEquals(0.02, s.gcPauseSeconds(), 1e-12);
    assertNull(s.watchStreams());
  }

  @Test
  void labelsWithQuotesCommasAndSpaces() {
    ServerMetrics.Metric m = ServerMetrics.Metric.parse(
        "x_total{a=\"one, two\",b=\"say \\\"hi\\\"\",c=\"}\"} 12 1700000000000");
    assertEquals("x_total", m.name());
    assertEquals("one, two", m.labels().get("a"));
    assertEquals("say \"hi\"", m.labels().get("b"));
    assertEquals("}", m.labels().get("c"));
    assertEquals(12.0, m.value());
  }

  @Test
  void withoutUrlEverythingIsNa() {
    try (ServerMetrics metrics = ServerMetrics.open(null)) {
      var figures = metrics.begin().end();
      assertEquals(false, figures.get("available"));
      assertEquals("n/a: no --metrics URL given", figures.get("note"));
    }
  }
}
