package io.overseer.client;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.NullValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Conversions between {@code google.protobuf.Struct} (job params and results), plain Java maps
 * and JSON text.
 *
 * <p>Map values may be {@code null}, {@link Boolean}, {@link Number}, {@link CharSequence},
 * {@link Enum} (its name), nested {@link Map}s with string keys, {@link Iterable}s or arrays, or
 * protobuf {@link Value}/{@link Struct}/{@link ListValue}. JSON numbers are doubles; when reading a
 * Struct back, whole numbers that a double holds exactly (|n| &le; 2^53) come back as {@link Long},
 * others as {@link Double}, so {@code {"steps": 10}} reads as {@code 10L}, not {@code 10.0}.
 */
public final class Structs {
  private static final double MAX_EXACT_LONG = 9_007_199_254_740_992d; // 2^53

  private Structs() {}

  /** A Struct holding the given map; {@code null} gives the empty Struct. */
  public static Struct toStruct(Map<String, ?> map) {
    Struct.Builder builder = Struct.newBuilder();
    if (map != null) {
      map.forEach((key, value) -> builder.putFields(requireKey(key), toValue(value)));
    }
    return builder.build();
  }

  /** An ordered, mutable map with the Struct's fields converted to plain Java values. */
  public static Map<String, Object> toMap(Struct struct) {
    Map<String, Object> map = new LinkedHashMap<>();
    if (struct != null) {
      struct.getFieldsMap().forEach((key, value) -> map.put(key, fromValue(value)));
    }
    return map;
  }

  /** Parses a JSON object into a Struct; blank text gives the empty Struct. */
  public static Struct fromJson(String json) {
    if (json == null || json.isBlank()) {
      return Struct.getDefaultInstance();
    }
    if (!json.strip().startsWith("{")) {
      throw new IllegalArgumentException("expected a JSON object ({...}), got: " + abbreviate(json));
    }
    Struct.Builder builder = Struct.newBuilder();
    try {
      JsonFormat.parser().merge(json, builder);
    } catch (InvalidProtocolBufferException e) {
      String detail = e.getMessage() == null ? "" : e.getMessage();
      throw new IllegalArgumentException(
          "not valid JSON: " + detail.replaceFirst("^[\\w.]+(Exception|Error): ", ""), e);
    }
    return builder.build();
  }

  /** Compact single-line JSON of a Struct (or any message, in the proto3 JSON mapping). */
  public static String toJson(MessageOrBuilder message) {
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace().print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + message.getClass().getSimpleName(), e);
    }
  }

  /** Pretty-printed proto3 JSON of a message, as the CLI prints responses. */
  public static String toPrettyJson(MessageOrBuilder message) {
    try {
      return JsonFormat.printer().print(message);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("cannot print " + message.getClass().getSimpleName(), e);
    }
  }

  /** Converts one Java value to a protobuf {@link Value}. */
  public static Value toValue(Object value) {
    if (value == null) {
      return Value.newBuilder().setNullValue(NullValue.NULL_VALUE).build();
    } else if (value instanceof Value v) {
      return v;
    } else if (value instanceof Struct s) {
      return Value.newBuilder().setStructValue(s).build();
    } else if (value instanceof ListValue l) {
      return Value.newBuilder().setListValue(l).build();
    } else if (value instanceof Boolean b) {
      return Value.newBuilder().setBoolValue(b).build();
    } else if (value instanceof Number n) {
      return Value.newBuilder().setNumberValue(n.doubleValue()).build();
    } else if (value instanceof CharSequence || value instanceof Character) {
      return Value.newBuilder().setStringValue(value.toString()).build();
    } else if (value instanceof Enum<?> e) {
      return Value.newBuilder().setStringValue(e.name()).build();
    } else if (value instanceof Map<?, ?> m) {
      Struct.Builder struct = Struct.newBuilder();
      m.forEach((key, v) -> struct.putFields(requireKey(key), toValue(v)));
      return Value.newBuilder().setStructValue(struct).build();
    } else if (value instanceof Iterable<?> items) {
      ListValue.Builder list = ListValue.newBuilder();
      items.forEach(item -> list.addValues(toValue(item)));
      return Value.newBuilder().setListValue(list).build();
    } else if (value instanceof Object[] array) {
      return toValue(Arrays.asList(array));
    }
    throw new IllegalArgumentException(
        "cannot convert " + value.getClass().getName() + " to a JSON value");
  }

  /** Converts one protobuf {@link Value} to a plain Java value (see the class comment). */
  public static Object fromValue(Value value) {
    switch (value.getKindCase()) {
      case NULL_VALUE:
      case KIND_NOT_SET:
        return null;
      case BOOL_VALUE:
        return value.getBoolValue();
      case NUMBER_VALUE:
        double d = value.getNumberValue();
        if (d == Math.rint(d) && Math.abs(d) <= MAX_EXACT_LONG) {
          return (long) d;
        }
        return d;
      case STRING_VALUE:
        return value.getStringValue();
      case STRUCT_VALUE:
        return toMap(value.getStructValue());
      case LIST_VALUE:
        List<Object> list = new ArrayList<>();
        value.getListValue().getValuesList().forEach(v -> list.add(fromValue(v)));
        return list;
      default:
        throw new IllegalArgumentException("unknown Value kind " + value.getKindCase());
    }
  }

  private static String requireKey(Object key) {
    if (!(key instanceof String s)) {
      throw new IllegalArgumentException("JSON object keys must be strings, got " + key);
    }
    return s;
  }

  private static String abbreviate(String text) {
    String t = text.strip();
    return t.length() <= 40 ? t : t.substring(0, 40) + "...";
  }
}
