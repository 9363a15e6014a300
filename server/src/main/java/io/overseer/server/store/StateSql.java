package io.overseer.server.store;

import io.overseer.server.domain.State;
import java.sql.Array;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The domain's state sets in SQL. A write that fetches its row by id binds them ({@code state =
 * ANY(?)}); a scan that must use a partial index renders them as literals, because the planner
 * proves a partial index's predicate only from constants ({@code state IN ('RUNNING')} matches an
 * index {@code WHERE state = 'RUNNING'}; a parameter never does, so by-id writes also cannot be
 * drawn onto those indexes by stale statistics).
 */
final class StateSql {
  private StateSql() {}

  /** {@code column IN ('A', 'B')}: for statement text, from a domain set (never user input). */
  static String in(String column, Set<State> states) {
    return column + " IN (" + states.stream().map(s -> "'" + s.name() + "'").collect(Collectors.joining(", ")) + ")";
  }

  /** A {@code text[]} parameter of the states' names. */
  static Array array(Connection c, Set<State> states) throws SQLException {
    return c.createArrayOf("text", states.stream().map(State::name).toArray(String[]::new));
  }

  /** The states' names joined with commas, for one row of an unnest input ({@code string_to_array}). */
  static String joined(Set<State> states) {
    return states.stream().map(State::name).collect(Collectors.joining(","));
  }
}
