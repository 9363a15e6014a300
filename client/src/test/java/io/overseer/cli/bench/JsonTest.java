package io.overseer.cli.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
  @Test
  void numbers() {
    assertEquals("1234.5", Json.number(1234.5));
    assertEquals("0.123", Json.number(0.12345));
    assertEquals("2", Json.number(2.0));
    assertEquals("0", Json.number(0.0001));
    assertEquals("null", Json.number(Double.NaN));
    assertEquals("20000", Json.write(20000));
    assertEquals("20000", Json.write(20000L));
  }

  @Test
  void nestedDocument() {
    Map<String, Object> inner = new LinkedHashMap<>();
    inner.put("p50", 1.5);
    inner.put("none", null);
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("name", "a \"quoted\"\nline");
    doc.put("ok", true);
    doc.put("latency_ms", inner);
    doc.put("list", List.of(1, "x"));
    doc.put("empty", Arrays.asList());
    assertEquals("{\n"
        + "  \"name\": \"a \\\"quoted\\\"\\nline\",\n"
        + "  \"ok\": true,\n"
        + "  \"latency_ms\": {\n"
        + "    \"p50\": 1.5,\n"
        + "    \"none\": null\n"
        + "  },\n"
        + "  \"list\": [\n"
        + "    1,\n"
        + "    \"x\"\n"
        + "  ],\n"
        + "  \"empty\": []\n"
        + "}", Json.write(doc));
  }
}
