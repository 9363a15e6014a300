package io.overseer.server.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.server.domain.Job;
import io.overseer.server.domain.State;
import io.overseer.server.store.ClaimRepository.ClaimQuery;
import io.overseer.server.store.LeaseRepository.Ending;
import io.overseer.server.store.LeaseRepository.LeaseCondition;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;

/**
 * Statistics taken while the queue was empty (autoanalyze at a quiet moment, or none since) must
 * not turn a claim, a heartbeat or a completion into a read of every queued or running job: each
 * fetches its rows by id.
 * The plans come from auto_explain, sent to the client as messages, which the driver hangs on
 * each statement as warnings: a proxy reads them as the repository closes its statement.
 */
class StalePlanTest {
  @Test
  void workerWritesFetchByIdWhateverTheStatistics() throws Exception {
    try (TestDatabase db = TestDatabase.create();
        TestServer node = TestServer.inProcess(db); // migrates
        Connection raw = db.connect()) {
      StringBuilder plans = new StringBuilder();
      Connection c = capturing(raw, plans);
      try (Statement st = c.createStatement()) {
        // finished jobs and an empty queue when the statistics are taken
        st.execute("INSERT INTO jobs (id, type, queue, state, max_attempts, run_at, owner, lease_token, finish_time)"
            + " SELECT gen_random_uuid(), 't', 'q', 'COMPLETED', 3, now(), 'o', '1.x', now() FROM generate_series(1, 5000)");
        st.execute("VACUUM ANALYZE jobs");
        st.execute("INSERT INTO jobs (id, type, queue, state, max_attempts, run_at, owner)"
            + " SELECT gen_random_uuid(), 't', 'q', 'QUEUED', 3, now(), 'o' FROM generate_series(1, 3000)");
        st.execute("LOAD 'auto_explain'");
        st.execute("SET auto_explain.log_min_duration = 0");
        st.execute("SET auto_explain.log_nested_statements = on");
        st.execute("SET client_min_messages = log");
      }
      LeaseRepository leases = new LeaseRepository();
      ClaimRepository claims = new ClaimRepository();
      List<Job> claimed = new ArrayList<>();
      // past pgjdbc's prepare threshold and PostgreSQL's five custom plans: the generic plan counts too
      for (int i = 0; i < 8; i++) {
        plans.setLength(0);
        claimed.addAll(claims.claim(c, new ClaimQuery(List.of("q"), List.of(), List.of(), 2, "w", 30_000, "a")));
        String plan = plans.toString();
        assertTrue(plan.contains("jobs_pkey"), "the claim fetches picked rows by id:\n" + plan);
        assertFalse(plan.contains("Join Filter"), "the claim joins by id, not by filtering a scan:\n" + plan);
      }
      assertEquals(16, claimed.size());
      for (int i = 0; i < 8; i++) {
        Job j = claimed.get(8 + i);
        plans.setLength(0);
        assertTrue(leases.heartbeat(c, j.id(), j.leaseToken(), i, null, null, null, "a").isPresent());
        String plan = plans.toString();
        assertTrue(plan.contains("jobs_pkey"), "a heartbeat fetches its job by id:\n" + plan);
        assertFalse(plan.contains("jobs_running"), "a heartbeat does not scan the running jobs:\n" + plan);
      }
      // as production runs completions (GroupCommit, Database.transaction): in a transaction, where
      // completeAll's SET LOCAL plan_cache_mode = force_generic_plan holds (in autocommit it is a no-op)
      Database store = new Database(lending(c));
      long[] before = plansMade(c);
      for (int i = 0; i < 8; i++) {
        Job j = claimed.get(i);
        plans.setLength(0);
        Ending completion =
            new Ending(j.id(), State.LEASED, j.leaseToken(), LeaseCondition.LIVE, null, State.COMPLETED, "{}", "", 0, true, "a", null, null);
        List<Job> done = store.transaction(tx -> leases.endAll(tx, List.of(completion)));
        assertEquals(1, done.size());
        String plan = plans.toString();
        assertTrue(plan.contains("jobs_pkey"), "a completion fetches its job by id:\n" + plan);
        assertFalse(plan.contains("jobs_running"), "a completion does not scan the running jobs:\n" + plan);
        assertFalse(plan.contains("can only be used in transaction blocks"), "the plan mode is set for the completion:\n" + plan);
      }
      // and what was checked is the generic plan: once server-prepared, the completion made no custom one
      long[] after = plansMade(c);
      assertEquals(0, after[0] - before[0], "custom plans made by the completions");
      assertTrue(after[1] > before[1], "the completions made generic plans");
    }
  }

  /** The custom and the generic plans made so far by the session's server-prepared statements. */
  private static long[] plansMade(Connection c) throws SQLException {
    try (Statement st = c.createStatement();
        ResultSet rs = st.executeQuery(
            "SELECT coalesce(sum(custom_plans), 0), coalesce(sum(generic_plans), 0) FROM pg_prepared_statements")) {
      rs.next();
      return new long[] {rs.getLong(1), rs.getLong(2)};
    }
  }

  /** The connection, whose prepared statements append their warnings to {@code plans} on close. */
  private static Connection capturing(Connection c, StringBuilder plans) {
    ClassLoader loader = StalePlanTest.class.getClassLoader();
    return (Connection) Proxy.newProxyInstance(loader, new Class<?>[] {Connection.class}, (proxy, m, args) -> {
      Object result = invoke(c, m, args);
      if (!(result instanceof PreparedStatement ps)) {
        return result;
      }
      return Proxy.newProxyInstance(loader, new Class<?>[] {PreparedStatement.class}, (p2, m2, a2) -> {
        if (m2.getName().equals("close")) {
          for (SQLWarning w = ps.getWarnings(); w != null; w = w.getNextWarning()) {
            plans.append(w.getMessage()).append('\n');
          }
        }
        return invoke(ps, m2, a2);
      });
    });
  }

  /**
   * A DataSource whose every connection is {@code c}, with a close() that leaves it open (and its
   * session settings as they are) for the next one.
   */
  private static DataSource lending(Connection c) {
    ClassLoader loader = StalePlanTest.class.getClassLoader();
    Connection kept = (Connection) Proxy.newProxyInstance(loader, new Class<?>[] {Connection.class},
        (proxy, m, args) -> m.getName().equals("close") ? null : invoke(c, m, args));
    return (DataSource) Proxy.newProxyInstance(loader, new Class<?>[] {DataSource.class}, (proxy, m, args) -> {
      if (m.getName().equals("getConnection") && (args == null || args.length == 0)) {
        return kept;
      }
      throw new UnsupportedOperationException(m.getName());
    });
  }

  private static Object invoke(Object target, Method m, Object[] args) throws Throwable {
    try {
      return m.invoke(target, args);
    } catch (InvocationTargetException e) {
      throw e.getCause();
    }
  }
}
