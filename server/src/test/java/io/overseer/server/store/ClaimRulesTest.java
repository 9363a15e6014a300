package io.overseer.server.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.server.domain.Job;
import io.overseer.server.store.ClaimRepository.ClaimQuery;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The claim and the explanation of a held-back job read the same rules: for each rule, a job it
 * holds back is named with the rule's reason and not claimed, and once nothing holds it back the
 * claim takes it.
 */
class ClaimRulesTest {
  private static TestDatabase db;
  private static TestServer node;
  private static Connection c;
  private final ClaimRepository claims = new ClaimRepository();

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    node = TestServer.inProcess(db); // migrates
    c = db.connect();
  }

  @AfterAll
  static void stop() throws Exception {
    c.close();
    node.close();
    db.close();
  }

  @Test
  void aJobWhoseRunAtIsAheadIsHeldBackUntilThenAndABackedOffOneSaysSo() throws Exception {
    String queue = "rules-" + UUID.randomUUID();
    UUID later = insert(queue, 0, "now() + interval '1 hour'");
    UUID backedOff = insert(queue, 1, "now() + interval '1 hour'");
    assertEquals(List.of("RUN_AT_IN_FUTURE"), heldBackBy(later));
    assertEquals(List.of("BACKOFF"), heldBackBy(backedOff));
    assertTrue(claim(queue, 10).isEmpty(), "nothing claimable before run_at");

    exec("UPDATE jobs SET run_at = now() - interval '1 second' WHERE queue = ?", queue);
    assertEquals(List.of(), heldBackBy(later));
    assertEquals(2, claim(queue, 10).size());
    assertEquals(List.of("NOT_CLAIMABLE"), heldBackBy(later), "a claimed job is not claimable again");
  }

  @Test
  void aFullLimitedQueueHoldsItsJobsBack() throws Exception {
    String queue = "rules-limited-" + UUID.randomUUID();
    new QueueRepository().setConcurrencyLimit(c, queue, 1);
    UUID first = insert(queue, 0, "now()");
    UUID second = insert(queue, 0, "now()");
    assertEquals(List.of(), heldBackBy(first));
    assertEquals(first, claim(queue, 1).get(0).id());
    assertEquals(List.of("QUEUE_CONCURRENCY_LIMIT"), heldBackBy(second));

    new QueueRepository().setConcurrencyLimit(c, queue, 2);
    assertEquals(List.of(), heldBackBy(second), "room again once the limit is raised");
  }

  @Test
  void anUnknownJobHasNoExplanation() throws Exception {
    assertTrue(claims.heldBackBy(c, UUID.randomUUID()).isEmpty());
  }

  private List<Job> claim(String queue, int limit) throws Exception {
    return claims.claim(c, new ClaimQuery(List.of(queue), List.of(), List.of(), limit, "w", 30_000, "test"));
  }

  private List<String> heldBackBy(UUID id) throws Exception {
    return claims.heldBackBy(c, id).orElseThrow();
  }

  private UUID insert(String queue, int attempt, String runAt) throws Exception {
    UUID id = UUID.randomUUID();
    try (PreparedStatement ps = c.prepareStatement(
        "INSERT INTO jobs (id, type, queue, state, attempt, max_attempts, run_at, owner) VALUES (?, 't', ?, 'QUEUED', ?, 3, "
            + runAt + ", 'o')")) {
      ps.setObject(1, id);
      ps.setString(2, queue);
      ps.setInt(3, attempt);
      ps.executeUpdate();
    }
    return id;
  }

  private static void exec(String sql, String arg) throws Exception {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, arg);
      ps.executeUpdate();
    }
  }
}
