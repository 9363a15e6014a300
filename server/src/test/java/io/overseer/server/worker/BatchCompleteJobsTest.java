package io.overseer.server.worker;

import static io.overseer.server.worker.WorkerTesting.assertEventLogsConsistent;
import static io.overseer.server.worker.WorkerTesting.claim;
import static io.overseer.server.worker.WorkerTesting.createAll;
import static io.overseer.server.worker.WorkerTesting.errorInfo;
import static io.overseer.server.worker.WorkerTesting.get;
import static io.overseer.server.worker.WorkerTesting.newJob;
import static io.overseer.server.worker.WorkerTesting.queryLong;
import static io.overseer.server.worker.WorkerTesting.uniqueQueue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.BatchCompleteJobsRequest;
import io.overseer.v1.BatchCompleteJobsResponse;
import io.overseer.v1.CompleteJobRequest;
import io.overseer.v1.CompleteJobResult;
import io.overseer.v1.JobState;
import io.overseer.v1.Lease;
import java.time.Duration;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** BatchCompleteJobs answers each request as CompleteJob would have, on its own. */
class BatchCompleteJobsTest {
  private static TestDatabase db;
  private static TestServer node;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    node = TestServer.inProcess(db);
  }

  @AfterAll
  static void stop() throws Exception {
    try (TestDatabase d = db; TestServer n = node) {
      // closed in this order: server first
    }
  }

  private static List<Lease> claimed(String queue, int n) {
    createAll(node, Collections.nCopies(n, newJob(queue).build()));
    List<Lease> leases = claim(node, "w", n, Duration.ZERO, Duration.ofSeconds(30), queue);
    assertEquals(n, leases.size());
    return leases;
  }

  private static CompleteJobRequest complete(Lease l) {
    return CompleteJobRequest.newBuilder().setJobId(l.getJob().getId()).setLeaseToken(l.getLeaseToken()).build();
  }

  private static BatchCompleteJobsResponse batch(CompleteJobRequest... requests) {
    return node.workers().batchCompleteJobs(BatchCompleteJobsRequest.newBuilder().addAllRequests(List.of(requests)).build());
  }

  private static ErrorInfo errorOf(CompleteJobResult r, Status.Code code) {
    assertEquals(CompleteJobResult.OutcomeCase.ERROR, r.getOutcomeCase(), r.toString());
    assertEquals(code.value(), r.getError().getCode(), r.toString());
    return errorInfo(StatusProto.toStatusRuntimeException(r.getError()));
  }

  @Test
  void eachRequestIsAnsweredOnItsOwnInOrder() {
    String queue = uniqueQueue("batch-complete");
    List<Lease> leases = claimed(queue, 4);
    // a stale token for job 2: its lease is another's
    CompleteJobRequest stale = complete(leases.get(2)).toBuilder().setLeaseToken("9.nottheleaseholder").build();
    CompleteJobRequest partial =
        complete(leases.get(1)).toBuilder().setPartial(true).setErrorMessage("two pages missing")
            .setResult(Struct.newBuilder().putFields("pages", Value.newBuilder().setNumberValue(8).build())).build();
    CompleteJobRequest badId = CompleteJobRequest.newBuilder().setJobId("not-a-uuid").setLeaseToken("x").build();

    BatchCompleteJobsResponse r = batch(complete(leases.get(0)), partial, stale, badId, complete(leases.get(3)));

    assertEquals(5, r.getResultsCount());
    assertEquals(JobState.JOB_STATE_COMPLETED, r.getResults(0).getJob().getState());
    assertEquals(leases.get(0).getJob().getId(), r.getResults(0).getJob().getId());
    assertEquals(JobState.JOB_STATE_PARTIAL, r.getResults(1).getJob().getState());
    assertEquals("two pages missing", r.getResults(1).getJob().getErrorMessage());
    assertEquals(8, r.getResults(1).getJob().getResult().getFieldsOrThrow("pages").getNumberValue());
    ErrorInfo lost = errorOf(r.getResults(2), Status.Code.FAILED_PRECONDITION);
    assertEquals("LEASE_LOST", lost.getReason());
    assertEquals(leases.get(2).getJob().getId(), lost.getMetadataOrThrow("job_id"));
    errorOf(r.getResults(3), Status.Code.INVALID_ARGUMENT);
    assertEquals(List.of("requests[3].job_id"), violatedFields(r.getResults(3).getError()));
    assertEquals(JobState.JOB_STATE_COMPLETED, r.getResults(4).getJob().getState());

    // the refused ones changed nothing
    assertEquals(JobState.JOB_STATE_RUNNING, get(node, leases.get(2).getJob().getId()).getState());
    assertEventLogsConsistent(db);
  }

  @Test
  void aRepeatedReportGetsTheFinishedJobAndEndsItOnce() {
    String queue = uniqueQueue("batch-complete-repeat");
    List<Lease> leases = claimed(queue, 3);
    CompleteJobRequest first = complete(leases.get(0));
    // the same report twice in one batch, and again in a later batch (a retry after a lost answer)
    BatchCompleteJobsResponse r = batch(first, first, complete(leases.get(1)));
    assertEquals(JobState.JOB_STATE_COMPLETED, r.getResults(0).getJob().getState());
    assertEquals(JobState.JOB_STATE_COMPLETED, r.getResults(1).getJob().getState());
    BatchCompleteJobsResponse again = batch(first, complete(leases.get(2)));
    assertEquals(JobState.JOB_STATE_COMPLETED, again.getResults(0).getJob().getState());
    assertEquals(JobState.JOB_STATE_COMPLETED, again.getResults(1).getJob().getState());
    // a PARTIAL report of a job that was COMPLETED is not the same call: refused
    ErrorInfo lost = errorOf(batch(first.toBuilder().setPartial(true).build()).getResults(0), Status.Code.FAILED_PRECONDITION);
    assertEquals("LEASE_LOST", lost.getReason());
    assertEquals(1, queryLong(db, "SELECT count(*) FROM job_events WHERE job_id = ?::uuid AND state = 'COMPLETED'",
        leases.get(0).getJob().getId()));
    assertEventLogsConsistent(db);
  }

  @Test
  void anEmptyOrOversizedBatchIsRefusedWhole() {
    StatusRuntimeException empty = assertThrows(StatusRuntimeException.class,
        () -> node.workers().batchCompleteJobs(BatchCompleteJobsRequest.getDefaultInstance()));
    assertEquals(Status.Code.INVALID_ARGUMENT, empty.getStatus().getCode());
    String queue = uniqueQueue("batch-complete-big");
    Lease lease = claimed(queue, 1).get(0);
    BatchCompleteJobsRequest big =
        BatchCompleteJobsRequest.newBuilder().addAllRequests(Collections.nCopies(1001, complete(lease))).build();
    StatusRuntimeException tooMany = assertThrows(StatusRuntimeException.class, () -> node.workers().batchCompleteJobs(big));
    assertEquals(Status.Code.INVALID_ARGUMENT, tooMany.getStatus().getCode());
    assertTrue(tooMany.getStatus().getDescription().contains("requests"), tooMany.toString());
    assertEquals(JobState.JOB_STATE_RUNNING, get(node, lease.getJob().getId()).getState(), "nothing changed");
  }

  private static List<String> violatedFields(com.google.rpc.Status status) {
    for (Any detail : status.getDetailsList()) {
      if (detail.is(BadRequest.class)) {
        try {
          return detail.unpack(BadRequest.class).getFieldViolationsList().stream()
              .map(BadRequest.FieldViolation::getField).toList();
        } catch (InvalidProtocolBufferException e) {
          throw new AssertionError(e);
        }
      }
    }
    throw new AssertionError("no BadRequest in " + status);
  }
}
