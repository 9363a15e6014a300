package io.overseer.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

class HostPortTest {
  @Test
  void parsesTargets() {
    assertEquals(new HostPort("localhost", 50051), HostPort.parse("localhost:50051"));
    assertEquals(new HostPort("node", 50051), HostPort.parse("node"));
    assertEquals(new HostPort("::1", 7000), HostPort.parse("[::1]:7000"));
    assertEquals("[::1]:7000", HostPort.parse("[::1]:7000").authority());
    assertEquals(
        List.of(new HostPort("a", 1), new HostPort("b", 2)), HostPort.parseList("a:1, b:2,"));
  }

  @Test
  void rejectsNonsense() {
    assertThrows(IllegalArgumentException.class, () -> HostPort.parse("host:port"));
    assertThrows(IllegalArgumentException.class, () -> HostPort.parse("::1:80"));
    assertThrows(IllegalArgumentException.class, () -> HostPort.parse("h:70000"));
    assertThrows(IllegalArgumentException.class, () -> HostPort.parseList(" , "));
  }
}
