package io.overseer.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Struct;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StructsTest {
  @Test
  void mapRoundTripKeepsTypesReadable() {
    Map<String, Object> nested = new LinkedHashMap<>();
    nested.put("flag", true);
    nested.put("none", null);
    Map<String, Object> params = new LinkedHashMap<>();
    params.put("steps", 10);
    params.put("ratio", 0.25);
    params.put("name", "resize");
    params.put("sizes", List.of(1, 2.5, "x"));
    params.put("nested", nested);

    Map<String, Object> back = Structs.toMap(Structs.toStruct(params));

    assertEquals(10L, back.get("steps"), "whole numbers come back as Long");
    assertEquals(0.25, back.get("ratio"));
    assertEquals("resize", back.get("name"));
    assertEquals(Arrays.asList(1L, 2.5, "x"), back.get("sizes"));
    assertEquals(nested, back.get("nested"));
  }

  @Test
  void jsonRoundTrip() {
    Struct struct = Structs.fromJson("{\"steps\": 3, \"fail\": true, \"tags\": [\"a\"]}");
    assertEquals(3.0, struct.getFieldsOrThrow("steps").getNumberValue());
    assertTrue(struct.getFieldsOrThrow("fail").getBoolValue());
    assertEquals(struct, Structs.fromJson(Structs.toJson(struct)));
    assertEquals("{\"steps\":3.0}", Structs.toJson(Structs.fromJson("{\"steps\":3}")));
  }

  @Test
  void blankJsonIsEmptyAndNonObjectsAreRejected() {
    assertEquals(Struct.getDefaultInstance(), Structs.fromJson("  "));
    IllegalArgumentException array =
        assertThrows(IllegalArgumentException.class, () -> Structs.fromJson("[1,2]"));
    assertTrue(array.getMessage().contains("JSON object"), array.getMessage());
    IllegalArgumentException broken =
        assertThrows(IllegalArgumentException.class, () -> Structs.fromJson("{\"a\":"));
    assertTrue(broken.getMessage().startsWith("not valid JSON"), broken.getMessage());
  }

  @Test
  void unsupportedValuesAreRejected() {
    assertThrows(IllegalArgumentException.class, () -> Structs.toStruct(Map.of("t", new Object())));
    Map<Object, Object> badKey = Map.of(1, "x");
    assertThrows(IllegalArgumentException.class, () -> Structs.toValue(badKey));
  }

  @Test
  void hugeAndFractionalNumbersStayDouble() {
    Map<String, Object> back = Structs.toMap(Structs.toStruct(Map.of("big", 1e300, "f", 1.5)));
    assertEquals(1e300, back.get("big"));
    assertEquals(1.5, back.get("f"));
  }
}
