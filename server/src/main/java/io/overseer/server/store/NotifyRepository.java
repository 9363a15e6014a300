package io.overseer.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** LISTEN/NOTIFY: the statements behind the node's wake-ups ({@code io.overseer.server.signal.Signals}). */
public final class NotifyRepository {
  private static final String COMMIT_WITHOUT_FLUSH = "SET LOCAL synchronous_commit = off";
  private static final String NOTIFY = "SELECT pg_notify(?, ?)";
  private static final String LISTEN = "LISTEN ";
  /** LISTEN takes an identifier, not a parameter: only plain names are spliced in. */
  private static final Pattern CHANNEL = Pattern.compile("[a-z_][a-z0-9_]*");

  /** A notification received: its channel and payload. */
  public record Notification(String channel, String payload) {}

  /**
   * Lets this transaction commit without waiting for its WAL flush: fit for transactions that
   * only notify (NOTIFY assigns a transaction id, so each would otherwise be a synchronous commit).
   */
  public void commitWithoutFlush(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(COMMIT_WITHOUT_FLUSH)) {
      ps.execute();
    }
  }

  /** One notification on {@code channel} per payload, delivered when the transaction commits. */
  public void notify(Connection c, String channel, List<String> payloads) throws SQLException {
    if (payloads.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement(NOTIFY)) {
      for (String payload : payloads) {
        ps.setString(1, channel);
        ps.setString(2, payload);
        ps.executeQuery().close();
      }
    }
  }

  /** Subscribes this connection's session to {@code channel}. */
  public void listen(Connection c, String channel) throws SQLException {
    if (!CHANNEL.matcher(channel).matches()) {
      throw new IllegalArgumentException("not a plain channel name: " + channel);
    }
    try (Statement st = c.createStatement()) {
      st.execute(LISTEN + channel);
    }
  }

  /**
   * The notifications received by this connection's session, waiting up to {@code timeoutMs} for
   * the first; empty when none came.
   */
  public List<Notification> receive(Connection c, int timeoutMs) throws SQLException {
    PGNotification[] received = c.unwrap(PGConnection.class).getNotifications(timeoutMs);
    List<Notification> out = new ArrayList<>();
    if (received != null) {
      for (PGNotification n : received) {
        out.add(new Notification(n.getName(), n.getParameter()));
      }
    }
    return out;
  }
}
