package io.overseer.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The end-of-run checks, read straight from the database (the source of truth) and from the
 * worker processes' job logs.
 *
 * <ul>
 *   <li>lost: acknowledged jobs missing from the table, or not terminal;
 *   <li>finished twice: more than one terminal STATE_CHANGED event, or more than one accepted
 *       final report across all worker processes;
 *   <li>not completed: terminal, but not COMPLETED (for runs where every job must succeed).
 * </ul>
 */
final class Audit {
  private static final Set<String> FINAL_OUTCOMES = Set.of("COMPLETED", "PARTIAL", "FAILED", "CANCELLED");

  /** What the audit found; {@code problems} names a few offending jobs for the failure message. */
  record Result(long jobs, long lost, long finishedTwice, long notCompleted, long handlerReruns, List<String> problems) {}

  /** An orphaned attempt the server took back: whose it was, and when. */
  record Orphan(String jobId, String workerId, Instant claimedAt, Instant expiredAt) {}

  private Audit() {}

  static Result check(String jdbcUrl, Collection<String> acknowledged, Collection<Path> workerLogs) throws SQLException {
    Map<String, Integer> finals = new HashMap<>();
    Map<String, Integer> handled = new HashMap<>();
    for (Path log : workerLogs) {
      for (String line : lines(log)) {
        String[] f = line.split(" ");
        if (f.length == 4 && f[0].equals("F") && FINAL_OUTCOMES.contains(f[3])) {
          finals.merge(f[1], 1, Integer::sum);
        } else if (f.length == 3 && f[0].equals("H")) {
          handled.merge(f[1], 1, Integer::sum);
        }
      }
    }
    Set<String> seen = new HashSet<>();
    List<String> problems = new ArrayList<>();
    long lost = 0;
    long twice = 0;
    long notCompleted = 0;
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        PreparedStatement ps = c.prepareStatement(
            "SELECT j.id::text, j.state, (SELECT count(*) FROM job_events e WHERE e.job_id = j.id"
                + " AND e.kind = 'STATE_CHANGED' AND e.state IN ('COMPLETED', 'FAILED', 'PARTIAL', 'CANCELLED'))"
                + " FROM jobs j WHERE j.id = ANY(?)")) {
      ps.setArray(1, c.createArrayOf("uuid", acknowledged.stream().map(UUID::fromString).toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          String id = rs.getString(1);
          String state = rs.getString(2);
          long terminalEvents = rs.getLong(3);
          seen.add(id);
          boolean terminal = FINAL_OUTCOMES.contains(state);
          if (!terminal) {
            lost++;
            note(problems, id + " is still " + state);
          } else if (!state.equals("COMPLETED")) {
            notCompleted++;
            note(problems, id + " ended " + state);
          }
          if (terminalEvents > 1 || finals.getOrDefault(id, 0) > 1) {
            twice++;
            note(problems, id + " finished twice (" + terminalEvents + " terminal events, "
                + finals.getOrDefault(id, 0) + " accepted final reports)");
          }
        }
      }
    }
    for (String id : acknowledged) {
      if (!seen.contains(id)) {
        lost++;
        note(problems, id + " is missing");
      }
    }
    long reruns = handled.values().stream().filter(n -> n > 1).count();
    return new Result(acknowledged.size(), lost, twice, notCompleted, reruns, problems);
  }

  /** Every attempt that maintenance ended with "lease expired", with the worker that held it. */
  static List<Orphan> orphans(String jdbcUrl) throws SQLException {
    List<Orphan> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        PreparedStatement ps = c.prepareStatement(
            "SELECT e.job_id::text, c.worker_id, c.time, e.time FROM job_events e"
                + " JOIN LATERAL (SELECT worker_id, time FROM job_events c WHERE c.job_id = e.job_id"
                + " AND c.sequence < e.sequence AND c.kind = 'STATE_CHANGED' AND c.state = 'RUNNING'"
                + " ORDER BY c.sequence DESC LIMIT 1) c ON true"
                + " WHERE e.kind = 'STATE_CHANGED' AND e.message = 'lease expired' ORDER BY e.time");
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(new Orphan(rs.getString(1), rs.getString(2), rs.getTimestamp(3).toInstant(), rs.getTimestamp(4).toInstant()));
      }
    }
    return out;
  }

  /** Finish times of COMPLETED jobs of {@code type}, oldest first (for throughput windows). */
  static List<Instant> completions(String jdbcUrl, String type) throws SQLException {
    List<Instant> out = new ArrayList<>();
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        PreparedStatement ps = c.prepareStatement(
            "SELECT finish_time FROM jobs WHERE type = ? AND state = 'COMPLETED' ORDER BY finish_time")) {
      ps.setString(1, type);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(rs.getTimestamp(1).toInstant());
        }
      }
    }
    return out;
  }

  /** Jobs of {@code queue} not terminal yet; -1 while the database cannot be read. */
  static long unfinished(String jdbcUrl, String queue) {
    try (Connection c = DriverManager.getConnection(jdbcUrl);
        PreparedStatement ps = c.prepareStatement(
            "SELECT count(*) FROM jobs WHERE queue = ? AND state IN ('QUEUED', 'RUNNING')")) {
      ps.setString(1, queue);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    } catch (SQLException e) {
      return -1;
    }
  }

  static long count(List<Instant> times, Instant from, Instant to) {
    return times.stream().filter(t -> !t.isBefore(from) && t.isBefore(to)).count();
  }

  private static List<String> lines(Path log) {
    try {
      return Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void note(List<String> problems, String problem) {
    if (problems.size() < 10) {
      problems.add(problem);
    }
  }
}
