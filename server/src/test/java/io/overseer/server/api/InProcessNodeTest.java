package io.overseer.server.api;

import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.JobServiceGrpc.JobServiceBlockingStub;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/** A fresh database and an in-process node for every test of a caller-API class. */
abstract class InProcessNodeTest {
  protected TestDatabase db;
  protected TestServer node;
  protected JobServiceBlockingStub jobs;

  @BeforeEach
  void start() throws Exception {
    db = TestDatabase.create();
    node = TestServer.inProcess(db);
    jobs = node.jobs();
  }

  @AfterEach
  void stop() {
    node.close();
    db.close();
  }
}
