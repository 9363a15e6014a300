package io.overseer.server.store;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.overseer.server.domain.JobEvent;
import io.overseer.server.domain.State;
import io.overseer.server.testing.TestDatabase;
import io.overseer.v1.JobEventKind;
import io.overseer.v1.JobState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A job state or an event kind lives in four places: the domain enums, the proto enums, and the
 * CHECK constraints of the migrated schema. One added (or renamed) in some of them and not the
 * others fails here, not in production when the first such row is written or sent.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StateConsistencyTest {
  /** A string literal of SQL, {@code 'it''s'} included. */
  private static final Pattern LITERAL = Pattern.compile("'((?:[^']|'')*)'");

  private TestDatabase db;

  @BeforeAll
  void migrate() {
    db = TestDatabase.create();
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setURL(db.url());
    new Database(ds).migrate(); // the migrations the server runs at start
  }

  @AfterAll
  void drop() {
    db.close();
  }

  @Test
  void theStateCheckListsEveryStateAndNoOther() throws SQLException {
    String def = constraint("jobs", "jobs_state_valid");
    assertMentions(def, "state");
    assertSameNames("jobs_state_valid " + def, literals(def), "State", names(State.values()));
  }

  @Test
  void theFinishTimeCheckListsTheStatesThatAreNotTerminal() throws SQLException {
    // (state IN (<not terminal>)) = (finish_time IS NULL): the literals are the states without a finish
    String def = constraint("jobs", "jobs_terminal_has_finish");
    assertMentions(def, "state");
    assertMentions(def, "finish_time IS NULL");
    SortedSet<String> notTerminal =
        Arrays.stream(State.values()).filter(s -> !s.isTerminal()).map(Enum::name).collect(Collectors.toCollection(TreeSet::new));
    assertSameNames("jobs_terminal_has_finish " + def, literals(def), "State, not isTerminal()", notTerminal);
  }

  @Test
  void theProtoStatesAreTheDomainStates() {
    assertSameNames("proto JobState", protoNames(JobState.values(), "JOB_STATE_"), "State", names(State.values()));
  }

  @Test
  void theEventKindsAgreeInTheCheckTheDomainAndTheProto() throws SQLException {
    String def = constraint("job_events", "job_events_kind_valid");
    assertMentions(def, "kind");
    SortedSet<String> domain = names(JobEvent.EventKind.values());
    assertSameNames("job_events_kind_valid " + def, literals(def), "JobEvent.EventKind", domain);
    assertSameNames("proto JobEventKind", protoNames(JobEventKind.values(), "JOB_EVENT_KIND_"), "JobEvent.EventKind", domain);
  }

  /** The definition of a table's constraint, as PostgreSQL prints it back. */
  private String constraint(String table, String name) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = ?::regclass AND conname = ?")) {
      ps.setString(1, table);
      ps.setString(2, name);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          fail("no constraint " + name + " on " + table + " after the migrations");
        }
        return rs.getString(1);
      }
    }
  }

  /**
   * The string literals of a constraint, whichever way it is printed: {@code state = ANY
   * (ARRAY['QUEUED'::text, ...])}, {@code state IN ('QUEUED', ...)} or {@code state = 'QUEUED'
   * OR ...}.
   */
  static SortedSet<String> literals(String definition) {
    SortedSet<String> out = new TreeSet<>();
    Matcher m = LITERAL.matcher(definition);
    while (m.find()) {
      out.add(m.group(1).replace("''", "'"));
    }
    return out;
  }

  private static SortedSet<String> names(Enum<?>[] values) {
    return Arrays.stream(values).map(Enum::name).collect(Collectors.toCollection(TreeSet::new));
  }

  /** A proto enum's names less its prefix, without its UNSPECIFIED zero and Java's UNRECOGNIZED. */
  private static SortedSet<String> protoNames(Enum<?>[] values, String prefix) {
    SortedSet<String> out = new TreeSet<>();
    for (Enum<?> v : values) {
      if (v.name().equals("UNRECOGNIZED") || v.name().equals(prefix + "UNSPECIFIED")) {
        continue;
      }
      assertTrue(v.name().startsWith(prefix), v.name() + " does not start with " + prefix);
      out.add(v.name().substring(prefix.length()));
    }
    return out;
  }

  private static void assertMentions(String definition, String text) {
    assertTrue(definition.contains(text), "expected a check of " + text + ", got: " + definition);
  }

  /** Fails naming what only one side has. */
  private static void assertSameNames(String leftName, Set<String> left, String rightName, Set<String> right) {
    List<String> problems = new ArrayList<>();
    Set<String> onlyLeft = new TreeSet<>(left);
    onlyLeft.removeAll(right);
    Set<String> onlyRight = new TreeSet<>(right);
    onlyRight.removeAll(left);
    if (!onlyLeft.isEmpty()) {
      problems.add("only in " + leftName + ": " + onlyLeft);
    }
    if (!onlyRight.isEmpty()) {
      problems.add("only in " + rightName + ": " + onlyRight);
    }
    if (!problems.isEmpty()) {
      fail(String.join("; ", problems));
    }
  }
}
