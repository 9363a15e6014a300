package io.overseer.chaos.model;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.WireFormat;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Generates hostile request messages for any request type, from its descriptor alone: random
 * bytes, messages with hostile field values, mutated encodings, invalid UTF-8 in (nested) string
 * fields, wire-format tricks (wrong wire types, unknown and invalid field numbers, bad lengths,
 * deep nesting), and plausible requests carrying unknown fields.
 */
final class HostileRequests {
  enum Strategy { RAW_BYTES, STRUCTURED, ONE_BAD_FIELD, MUTATED, INVALID_UTF8, WIRE_TRICKS, PLAUSIBLE_PLUS_UNKNOWN }

  record Request(Strategy strategy, byte[] bytes) {}

  private final Random r;
  private final HostileValues v;
  private boolean hugeLeft; // at most one huge string per request
  private boolean tame;

  HostileRequests(Random r, HostileValues v) {
    this.r = r;
    this.v = v;
  }

  Request next(Descriptor type) {
    int roll = r.nextInt(100);
    Strategy s = roll < 10 ? Strategy.RAW_BYTES : roll < 35 ? Strategy.STRUCTURED : roll < 55 ? Strategy.ONE_BAD_FIELD
        : roll < 67 ? Strategy.MUTATED : roll < 77 ? Strategy.INVALID_UTF8 : roll < 87 ? Strategy.WIRE_TRICKS : Strategy.PLAUSIBLE_PLUS_UNKNOWN;
    return new Request(s, bytes(s, type));
  }

  private byte[] bytes(Strategy s, Descriptor type) {
    hugeLeft = s == Strategy.STRUCTURED || s == Strategy.ONE_BAD_FIELD;
    tame = s == Strategy.PLAUSIBLE_PLUS_UNKNOWN || s == Strategy.ONE_BAD_FIELD;
    switch (s) {
      case RAW_BYTES:
        byte[] raw = new byte[r.nextInt(5) == 0 ? r.nextInt(8) : r.nextInt(4096)];
        r.nextBytes(raw);
        return raw;
      case STRUCTURED:
        return message(type, 0).toByteArray();
      case ONE_BAD_FIELD:
        return oneBadField(message(type, 0), 0).toByteArray();
      case MUTATED:
        return mutate(message(type, 0).toByteArray());
      case INVALID_UTF8:
        byte[] bad = invalidUtf8(type, 0);
        return concat(message(type, 0).toByteArray(), bad == null ? new byte[] {(byte) 0x80} : bad);
      case WIRE_TRICKS:
        return concat(message(type, 0).toByteArray(), wireTrick(type));
      default:
        return concat(message(type, 0).toByteArray(), unknownFields());
    }
  }

  /** A message with hostile (or, when tame, mostly plausible) values in a random subset of its fields. */
  DynamicMessage message(Descriptor type, int depth) {
    DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
    for (FieldDescriptor f : type.getFields()) {
      if (r.nextInt(100) >= (tame ? 80 : 55) || (f.getRealContainingOneof() != null && r.nextBoolean())) {
        continue;
      }
      if (f.isMapField() || f.isRepeated()) {
        int n = tame ? r.nextInt(2) : v.count(() -> r.nextInt(3));
        if (depth > 0 && n > 3) {
          n = 3; // keeps a batch of 1,000 requests to small ones
        }
        for (int i = 0; i < n; i++) {
          b.addRepeatedField(f, f.isMapField() ? message(f.getMessageType(), depth + 1) : value(f, depth));
        }
      } else {
        b.setField(f, value(f, depth));
      }
    }
    return b.build();
  }

  /** A plausible message with one field (maybe in a nested message) given a hostile value. */
  private DynamicMessage oneBadField(DynamicMessage plausible, int depth) {
    List<FieldDescriptor> fields = plausible.getDescriptorForType().getFields();
    if (fields.isEmpty()) {
      return plausible;
    }
    FieldDescriptor f = fields.get(r.nextInt(fields.size()));
    DynamicMessage.Builder b = plausible.toBuilder();
    boolean nested = f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.getMessageType().getFullName().startsWith("google.protobuf")
        && depth < 2 && r.nextBoolean();
    if (nested && f.isRepeated() && !f.isMapField()) {
      b.addRepeatedField(f, oneBadField(message(f.getMessageType(), depth + 1), depth + 1));
      return b.build();
    }
    tame = false;
    if (f.isRepeated()) {
      b.addRepeatedField(f, f.isMapField() ? message(f.getMessageType(), depth + 1) : value(f, depth));
    } else {
      b.setField(f, value(f, depth));
    }
    tame = true;
    return b.build();
  }

  private Object value(FieldDescriptor f, int depth) {
    String name = f.getName();
    switch (f.getJavaType()) {
      case STRING:
        if (tame) {
          return name.endsWith("id") || name.contains("token") ? v.string(name) : "hostile";
        }
        String s = v.string(name);
        if (s.length() > 60_000 && !hugeLeft) {
          return "x".repeat(300);
        }
        hugeLeft &= s.length() <= 60_000;
        return s;
      case INT:
        return tame ? 1 : (int) v.integer(name, true);
      case LONG:
        return tame ? 1L : v.integer(name, false);
      case BOOLEAN:
        return r.nextBoolean();
      case DOUBLE:
        return v.number();
      case FLOAT:
        return (float) v.number();
      case BYTE_STRING:
        return v.bytes();
      case ENUM:
        return f.getEnumType().findValueByNumberCreatingIfUnknown(tame ? 1 : v.enumNumber());
      default:
        return messageValue(f.getMessageType(), name, depth);
    }
  }

  private Object messageValue(Descriptor type, String name, int depth) {
    switch (type.getFullName()) {
      case "google.protobuf.Timestamp":
      case "google.protobuf.Duration":
        long tameSeconds = name.equals("wait") ? 0 : type.getName().equals("Duration") ? 2 : System.currentTimeMillis() / 1000 + 3600;
        long seconds = tame ? tameSeconds : v.seconds(name);
        return DynamicMessage.newBuilder(type)
            .setField(type.findFieldByName("seconds"), seconds)
            .setField(type.findFieldByName("nanos"), tame ? 0 : v.nanos())
            .build();
      case "google.protobuf.Struct":
        return tame ? Struct.newBuilder().putFields("a", Value.newBuilder().setNumberValue(1).build()).build() : struct(depth);
      default:
        return depth < 4 ? message(type, depth + 1) : DynamicMessage.getDefaultInstance(type);
    }
  }

  /** A hostile JSON object: odd keys, NaN and infinities, deep nesting, long lists. */
  private Struct struct(int depth) {
    int roll = r.nextInt(100);
    if (roll < 4) {
      Value deep = Value.newBuilder().setStringValue("bottom").build();
      for (int i = 0; i < 40 + r.nextInt(80); i++) {
        deep = Value.newBuilder().setStructValue(Struct.newBuilder().putFields("d", deep)).build();
      }
      return Struct.newBuilder().putFields("deep", deep).build();
    }
    if (roll < 7) {
      ListValue.Builder list = ListValue.newBuilder();
      for (int i = 0; i < 5_000; i++) {
        list.addValues(Value.newBuilder().setNumberValue(i));
      }
      return Struct.newBuilder().putFields("long", Value.newBuilder().setListValue(list).build()).build();
    }
    Struct.Builder s = Struct.newBuilder();
    for (int i = r.nextInt(6); i > 0; i--) {
      String key = v.chance(80) ? "k" + i : v.string("key");
      Value value;
      switch (r.nextInt(5)) {
        case 0:
          value = Value.newBuilder().setNumberValue(v.number()).build();
          break;
        case 1:
          value = Value.newBuilder().setStringValue(v.string("value")).build();
          break;
        case 2:
          value = depth < 3 ? Value.newBuilder().setStructValue(struct(depth + 1)).build() : Value.getDefaultInstance();
          break;
        case 3:
          value = Value.getDefaultInstance(); // a Value with no kind set
          break;
        default:
          value = Value.newBuilder().setBoolValue(true).build();
      }
      s.putFields(key.length() > 60_000 ? "big" : key, value);
    }
    return s.build();
  }

  /** One field record, possibly nested in message fields, whose string bytes are not UTF-8. */
  private byte[] invalidUtf8(Descriptor type, int depth) {
    List<FieldDescriptor> fields = new ArrayList<>(type.getFields());
    java.util.Collections.shuffle(fields, r);
    for (FieldDescriptor f : fields) {
      if (f.getJavaType() == FieldDescriptor.JavaType.STRING) {
        return record(f.getNumber(), v.invalidUtf8());
      }
      if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && depth < 5) {
        byte[] inner = invalidUtf8(f.getMessageType(), depth + 1);
        if (inner != null) {
          return record(f.getNumber(), inner);
        }
      }
    }
    return null;
  }

  private byte[] wireTrick(Descriptor type) {
    List<FieldDescriptor> fields = type.getFields();
    int known = fields.isEmpty() ? 1 : fields.get(r.nextInt(fields.size())).getNumber();
    Encoder e = new Encoder();
    switch (r.nextInt(9)) {
      case 0: // a known field with every wrong wire type
        e.tag(known, WireFormat.WIRETYPE_VARINT).varint(r.nextLong());
        e.tag(known, WireFormat.WIRETYPE_FIXED64).fixed64(r.nextLong());
        e.tag(known, WireFormat.WIRETYPE_FIXED32).fixed32(r.nextInt());
        e.tag(known, WireFormat.WIRETYPE_LENGTH_DELIMITED).bytes(new byte[] {1, 2, 3});
        return e.done();
      case 1: // field number 0, and the wire types 6 and 7 that do not exist
        return new byte[] {0x00, 0x01, (byte) ((known << 3) | 6), 0x01, (byte) ((known << 3) | 7)};
      case 2: // a varint of 11 bytes
        e.tag(known, WireFormat.WIRETYPE_VARINT);
        byte[] tooLong = new byte[11];
        Arrays.fill(tooLong, (byte) 0xFF);
        return concat(e.done(), tooLong);
      case 3: // a length past the end, or a negative one
        e.tag(known, WireFormat.WIRETYPE_LENGTH_DELIMITED).varint(r.nextBoolean() ? 1_000_000 : -5);
        return concat(e.done(), new byte[] {1, 2});
      case 4: // unknown groups nested past any recursion limit
        int depth = 50 + r.nextInt(200);
        for (int i = 0; i < depth; i++) {
          e.tag(19_000 + r.nextInt(1000), WireFormat.WIRETYPE_START_GROUP);
        }
        return e.done();
      case 5: // an end-group with no start
        return e.tag(known, WireFormat.WIRETYPE_END_GROUP).done();
      case 6: // the largest field number, and one past it
        e.tag(536_870_911, WireFormat.WIRETYPE_VARINT).varint(1);
        return concat(e.done(), new byte[] {(byte) 0xF8, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x1F, 0x01});
      case 7: // a message field holding garbage
        byte[] garbage = new byte[1 + r.nextInt(32)];
        r.nextBytes(garbage);
        return record(known, garbage);
      default: // the same known field many times
        for (int i = 0; i < 1000; i++) {
          e.tag(known, WireFormat.WIRETYPE_VARINT).varint(i);
        }
        return e.done();
    }
  }

  /** Well-formed fields that the request type does not have. */
  private byte[] unknownFields() {
    Encoder e = new Encoder();
    e.tag(999, WireFormat.WIRETYPE_VARINT).varint(r.nextLong());
    e.tag(1000 + r.nextInt(1000), WireFormat.WIRETYPE_LENGTH_DELIMITED).bytes(v.invalidUtf8()); // unknown: not checked
    e.tag(5000, WireFormat.WIRETYPE_FIXED32).fixed32(7);
    e.tag(5001, WireFormat.WIRETYPE_START_GROUP).tag(1, WireFormat.WIRETYPE_VARINT).varint(1).tag(5001, WireFormat.WIRETYPE_END_GROUP);
    return e.done();
  }

  private byte[] mutate(byte[] in) {
    byte[] b = in.length == 0 ? new byte[] {0x0A} : in.clone();
    for (int n = 1 + r.nextInt(4); n > 0; n--) {
      int at = r.nextInt(b.length);
      switch (r.nextInt(5)) {
        case 0:
          b[at] ^= (byte) (1 << r.nextInt(8));
          break;
        case 1:
          b = Arrays.copyOf(b, Math.max(1, at));
          break;
        case 2:
          b[at] = (byte) 0xFF;
          break;
        case 3:
          byte[] junk = new byte[1 + r.nextInt(8)];
          r.nextBytes(junk);
          b = concat(concat(Arrays.copyOf(b, at), junk), Arrays.copyOfRange(b, at, b.length));
          break;
        default:
          b = concat(b, Arrays.copyOfRange(b, at, b.length));
      }
    }
    return b;
  }

  private static byte[] record(int field, byte[] payload) {
    return new Encoder().tag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED).bytes(payload).done();
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Raw protobuf encoding, wrong on purpose where asked. */
  private static final class Encoder {
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final CodedOutputStream out = CodedOutputStream.newInstance(buffer);

    Encoder tag(int field, int wireType) {
      return write(() -> out.writeUInt32NoTag((field << 3) | wireType));
    }

    Encoder varint(long value) {
      return write(() -> out.writeUInt64NoTag(value));
    }

    Encoder fixed64(long value) {
      return write(() -> out.writeFixed64NoTag(value));
    }

    Encoder fixed32(int value) {
      return write(() -> out.writeFixed32NoTag(value));
    }

    Encoder bytes(byte[] value) {
      return write(() -> out.writeByteArrayNoTag(value));
    }

    byte[] done() {
      write(out::flush);
      return buffer.toByteArray();
    }

    private interface Io {
      void run() throws IOException;
    }

    private Encoder write(Io io) {
      try {
        io.run();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }
  }
}
