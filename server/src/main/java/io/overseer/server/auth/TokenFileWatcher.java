package io.overseer.server.auth;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Re-reads the tokens file every couple of seconds, so a removed token (or a file replaced by
 * rename) stops working within seconds. A file that no longer parses keeps the last good set and
 * is logged.
 */
public final class TokenFileWatcher implements Supplier<TokenFile>, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(TokenFileWatcher.class);

  private final Path path;
  private final ScheduledExecutorService executor =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "overseer-tokens-reload");
            t.setDaemon(true);
            return t;
          });
  private volatile TokenFile current;

  /** Reads the file now; a bad file fails the start. */
  public TokenFileWatcher(Path path, long reloadMs) throws IOException {
    this.path = path;
    this.current = TokenFile.read(path);
    executor.scheduleWithFixedDelay(this::reload, reloadMs, reloadMs, TimeUnit.MILLISECONDS);
  }

  private void reload() {
    try {
      current = TokenFile.read(path);
    } catch (java.nio.file.NoSuchFileException e) {
      current = TokenFile.empty(); // fail closed: a deleted file revokes every token
      log.error("the tokens file {} is gone: every token is refused until it is back", path);
    } catch (IOException | RuntimeException e) {
      log.error("cannot re-read the tokens file {}, keeping the previous tokens: {}", path, e.getMessage());
    }
  }

  @Override
  public TokenFile get() {
    return current;
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
