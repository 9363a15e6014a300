package io.overseer.chaos;

/**
 * An Overseer node for the chaos tests: {@code io.overseer.server.Main}, but the node halts when
 * the test JVM that started it is gone, so a crashed or killed test run leaves no node behind.
 */
public final class ChaosNodeMain {
  private ChaosNodeMain() {}

  public static void main(String[] args) throws Exception {
    ProcessHandle.current().parent().ifPresent(p -> p.onExit().thenRun(() -> Runtime.getRuntime().halt(3)));
    io.overseer.server.Main.main(args);
  }
}
