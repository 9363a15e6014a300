package io.overseer.server.logs;

import static io.overseer.server.logs.LogFixtures.append;
import static io.overseer.server.logs.LogFixtures.appendOn;
import static io.overseer.server.logs.LogFixtures.count;
import static io.overseer.server.logs.LogFixtures.leased;
import static io.overseer.server.logs.LogFixtures.lines;
import static io.overseer.server.logs.LogFixtures.logsFingerprint;
import static io.overseer.server.logs.LogFixtures.numbered;
import static io.overseer.server.logs.LogFixtures.stored;
import static io.overseer.server.logs.LogFixtures.texts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Timestamp;
import com.google.rpc.BadRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.AppendJobLogsRequest;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.FailJobRequest;
import io.overseer.v1.Lease;
import io.overseer.v1.ListJobLogsRequest;
import io.overseer.v1.ListJobLogsResponse;
import io.overseer.v1.LogLine;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * AppendJobLogs and ListJobLogs on a real database: server-assigned gapless sequences in order,
 * resuming after a sequence, the 16 KiB line cap, the per-job cap (a small one here), the lease
 * fence and input validation, each refusal writing nothing.
 */
@Timeout(120)
class LogsTest {
  /** The smallest cap the server takes; a 1,000-character line counts 1,022 bytes against it. */
  private static final int CAP = 65536;

  static TestDatabase db;
  static TestServer node;

  @BeforeAll
  static void start() throws Exception {
    db = TestDatabase.create();
    node = TestServer.inProcess(db, "--max-log-bytes-per-job=" + CAP, "--maintenance-interval=1h");
  }

  @AfterAll
  static void stop() {
    node.close();
    db.close();
  }

  @Test
  void linesAreNumberedInTheirOrderWithoutGapsAcrossBatchesAndConcurrentAppenders() throws Exception {
    Lease lease = leased(node, "order");
    String id = lease.getJob().getId();
    assertEquals(3, appendOn(node, lease, lines("a", "b", "c")));
    assertEquals(5, appendOn(node, lease, lines("d", "e")));
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Future<Long>> lasts = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        String prefix = "t" + t;
        lasts.add(pool.submit(() -> appendOn(node, lease, numbered(prefix, 50))));
      }
      for (Future<Long> f : lasts) {
        assertTrue(f.get() >= 55 && f.get() <= 405, "a batch's last sequence " + f.get());
      }
    } finally {
      pool.shutdownNow();
    }
    List<LogLine> all = stored(node.jobs(), id, 0, 1000);
    assertEquals(405, all.size());
    for (int i = 0; i < all.size(); i++) {
      assertEquals(i + 1, all.get(i).getSequence(), "no gaps");
    }
    assertEquals(List.of("a", "b", "c", "d", "e"), texts(all.subList(0, 5)));
    // each batch's lines are contiguous and in the order sent
    for (int start = 5; start < all.size(); start += 50) {
      String prefix = all.get(start).getText().substring(0, all.get(start).getText().indexOf('-'));
      assertEquals(texts(numbered(prefix, 50)), texts(all.subList(start, start + 50)));
    }
    LogLine first = all.get(0);
    assertEquals("stdout", first.getStream(), "an empty stream is stdout");
    assertEquals(1, first.getAttempt(), "the attempt that wrote it, set by the server");
    assertTrue(first.hasTime() && Math.abs(first.getTime().getSeconds() - Instant.now().getEpochSecond()) < 60, "the server's time by default");
  }

  @Test
  void listResumesAfterASequenceAndPagesWithTokens() {
    Lease lease = leased(node, "resume");
    String id = lease.getJob().getId();
    Timestamp when = Timestamp.newBuilder().setSeconds(1_700_000_000L).setNanos(123_456_000).build();
    List<LogLine> batch = new ArrayList<>(numbered("l", 249));
    batch.add(LogLine.newBuilder().setText("oops").setStream("stderr").setTime(when).setSequence(-7).setAttempt(99).build());
    assertEquals(250, appendOn(node, lease, batch));

    ListJobLogsResponse first = node.jobs().listJobLogs(ListJobLogsRequest.newBuilder().setId(id).build());
    assertEquals(100, first.getLinesCount(), "page_size defaults to 100");
    ListJobLogsResponse second = node.jobs().listJobLogs(
        ListJobLogsRequest.newBuilder().setId(id).setPageSize(100).setPageToken(first.getNextPageToken()).build());
    assertEquals(List.of(101L, 200L), List.of(second.getLines(0).getSequence(), second.getLines(99).getSequence()));
    ListJobLogsResponse last = node.jobs().listJobLogs(
        ListJobLogsRequest.newBuilder().setId(id).setPageSize(100).setPageToken(second.getNextPageToken()).build());
    assertEquals(50, last.getLinesCount());
    assertEquals("", last.getNextPageToken());

    List<LogLine> after = stored(node.jobs(), id, 120, 1000);
    assertEquals(130, after.size());
    assertEquals(121, after.get(0).getSequence());
    assertEquals("l-121", after.get(0).getText());
    LogLine oops = after.get(after.size() - 1);
    assertEquals(250, oops.getSequence(), "the sequence sent is ignored");
    assertEquals(1, oops.getAttempt(), "the attempt sent is ignored");
    assertEquals("stderr", oops.getStream());
    assertEquals(when, oops.getTime(), "the worker's time is kept");
    assertEquals(0, node.jobs().listJobLogs(ListJobLogsRequest.newBuilder().setId(id).setAfterSequence(250).build()).getLinesCount());
  }

  @Test
  void aLineOver16KiBIsCutWithAMarkerSayingHowMuch() {
    Lease lease = leased(node, "long");
    String exact = "x".repeat(16384);
    String ascii = "y".repeat(20000);
    String accented = "é".repeat(10000); // 20,000 bytes of UTF-8
    appendOn(node, lease, lines(exact, ascii, accented));
    List<LogLine> all = stored(node.jobs(), lease.getJob().getId(), 0, 10);
    assertEquals(exact, all.get(0).getText(), "16 KiB exactly is kept whole");
    for (LogLine cut : all.subList(1, 3)) {
      String text = cut.getText();
      int bytes = text.getBytes(StandardCharsets.UTF_8).length;
      assertTrue(bytes <= 16384, "at most 16 KiB with the marker: " + bytes);
      java.util.regex.Matcher m = java.util.regex.Pattern.compile(" …\\[cut (\\d+) bytes\\]$").matcher(text);
      assertTrue(m.find(), "ends with the marker: " + text.substring(text.length() - 40));
      int kept = text.substring(0, m.start()).getBytes(StandardCharsets.UTF_8).length;
      assertEquals(20000, kept + Integer.parseInt(m.group(1)), "the marker says how many bytes were cut");
    }
    assertTrue(all.get(2).getText().startsWith("ééé") && !all.get(2).getText().contains("\uFFFD"), "cut between characters");
  }

  @Test
  void theJobKeepsAtMostTheCapDroppingTheOldestAndTheFirstKeptLineSaysHowMany() throws Exception {
    Lease lease = leased(node, "cap");
    String id = lease.getJob().getId();
    for (int batch = 0; batch < 4; batch++) {
      List<LogLine> lines = new ArrayList<>();
      for (int i = 1; i <= 50; i++) {
        int n = batch * 50 + i;
        lines.add(LogLine.newBuilder().setText(String.format("%04d", n) + "a".repeat(996)).build());
      }
      appendOn(node, lease, lines);
    }
    // each line counts 1,000 + 6 ("stdout") + 16 = 1,022 bytes: 64 fit in 65,536
    List<LogLine> kept = stored(node.jobs(), id, 0, 1000);
    assertEquals(64, kept.size());
    assertEquals(137, kept.get(0).getSequence(), "the newest lines are kept, with their sequences");
    assertEquals(200, kept.get(63).getSequence());
    assertTrue(kept.get(0).getText().startsWith("[136 earlier lines dropped] 0137"), kept.get(0).getText().substring(0, 40));
    assertTrue(kept.get(1).getText().startsWith("0138"), "only the first line says it");
    List<LogLine> resumed = stored(node.jobs(), id, 100, 1000);
    assertTrue(resumed.get(0).getText().startsWith("[36 earlier lines dropped] 0137"), "a reader after 100 missed 101..136");
    assertEquals("0150", stored(node.jobs(), id, 149, 1000).get(0).getText().substring(0, 4), "no gap, no marker");
    long bytes = count(db, "SELECT bytes FROM job_log_heads WHERE job_id = '" + id + "'");
    assertEquals(64 * 1022, bytes);
    assertEquals(bytes, count(db, "SELECT sum(bytes) FROM job_logs WHERE job_id = '" + id + "'"));
    assertEquals(136, count(db, "SELECT dropped FROM job_log_heads WHERE job_id = '" + id + "'"));

    // one batch larger than the cap keeps its newest lines only
    List<LogLine> big = new ArrayList<>();
    for (int i = 1; i <= 100; i++) {
      big.add(LogLine.newBuilder().setText(String.format("b%03d", i) + "b".repeat(996)).build());
    }
    assertEquals(300, appendOn(node, lease, big));
    kept = stored(node.jobs(), id, 0, 1000);
    assertEquals(List.of(237L, 300L), List.of(kept.get(0).getSequence(), kept.get(63).getSequence()));
    assertTrue(kept.get(0).getText().startsWith("[236 earlier lines dropped] b037"), kept.get(0).getText().substring(0, 40));
  }

  @Test
  void aLeaseThatIsNotLiveIsLeaseLostAndWritesNothing() throws Exception {
    Lease first = leased(node, "fence");
    String id = first.getJob().getId();
    appendOn(node, first, lines("attempt 1"));
    node.workers().failJob(FailJobRequest.newBuilder().setJobId(id).setLeaseToken(first.getLeaseToken()).setRetryable(true)
        .setRetryAfter(com.google.protobuf.Duration.getDefaultInstance()).build());
    try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement("UPDATE jobs SET run_at = now() WHERE id = ?::uuid")) {
      ps.setString(1, id); // no backoff wait for the test
      ps.executeUpdate();
    }
    String before = logsFingerprint(db);
    assertLeaseLost(append(first, lines("from a re-queued attempt")), "QUEUED");
    Lease second = node.workers().claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("w2").addTypes("fence").build()).getLeases(0);
    assertLeaseLost(append(first, lines("from the older attempt")), "RUNNING");
    assertLeaseLost(append(second.toBuilder().setLeaseToken("garbage").build(), lines("garbage token")), "RUNNING");
    assertEquals(before, logsFingerprint(db));

    appendOn(node, second, lines("attempt 2"));
    assertEquals(List.of(1, 2), stored(node.jobs(), id, 0, 10).stream().map(LogLine::getAttempt).toList());
    before = logsFingerprint(db);
    try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
        "UPDATE jobs SET lease_expires_at = now() - interval '1 second' WHERE id = ?::uuid")) {
      ps.setString(1, id); // past its expiry, not yet re-queued by maintenance
      ps.executeUpdate();
    }
    assertLeaseLost(append(second, lines("after the lease expired")), "RUNNING");
    assertEquals(before, logsFingerprint(db));

    Lease done = leased(node, "fence-done");
    LogFixtures.complete(node, done);
    assertLeaseLost(append(done, lines("after completion")), "COMPLETED");
    assertEquals(before, logsFingerprint(db));
  }

  @Test
  void badInputIsInvalidArgumentNamingTheFieldAndWritesNothing() throws Exception {
    Lease lease = leased(node, "bad");
    String before = logsFingerprint(db);
    List<LogLine> withNul = new ArrayList<>(numbered("ok", 5));
    withNul.set(3, LogLine.newBuilder().setText("a\u0000b").build());
    assertInvalid(append(lease, withNul), "lines[3].text");
    assertInvalid(append(lease, numbered("many", 1001)), "lines");
    assertInvalid(append(lease, List.of()), "lines");
    assertInvalid(append(lease, List.of(LogLine.newBuilder().setText("x").setStream("s".repeat(65)).build())), "lines[0].stream");
    assertInvalid(append(lease, List.of(LogLine.newBuilder().setText("x").setStream("a\u0000").build())), "lines[0].stream");
    assertInvalid(append(lease, List.of(LogLine.newBuilder().setText("x").build(),
        LogLine.newBuilder().setText("y").setTime(Timestamp.newBuilder().setSeconds(1).setNanos(-5)).build())), "lines[1].time");
    assertInvalid(append(lease, lines("z".repeat(1 << 20), "z".repeat(1 << 20), "z".repeat(1 << 20), "z".repeat(1 << 20), "z")), "lines");
    assertInvalid(append(lease, lines("x")).toBuilder().setJobId("not-a-uuid").build(), "job_id");
    assertInvalid(append(lease, lines("x")).toBuilder().setLeaseToken("").build(), "lease_token");
    assertEquals(before, logsFingerprint(db));

    String id = lease.getJob().getId();
    assertInvalidList(ListJobLogsRequest.newBuilder().setId(id).setAfterSequence(-1).build(), "after_sequence");
    assertInvalidList(ListJobLogsRequest.newBuilder().setId(id).setPageSize(-1).build(), "page_size");
    assertInvalidList(ListJobLogsRequest.newBuilder().setId(id).setPageToken("bm9wZQ").build(), "page_token");
    StatusRuntimeException unknown = assertThrows(StatusRuntimeException.class,
        () -> node.jobs().listJobLogs(ListJobLogsRequest.newBuilder().setId(java.util.UUID.randomUUID().toString()).build()));
    assertEquals(Status.Code.NOT_FOUND, unknown.getStatus().getCode());
  }

  private static void assertLeaseLost(AppendJobLogsRequest request, String state) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> node.workers().appendJobLogs(request));
    assertEquals(Status.Code.FAILED_PRECONDITION, e.getStatus().getCode());
    com.google.rpc.ErrorInfo info = detail(e, com.google.rpc.ErrorInfo.class);
    assertEquals("LEASE_LOST", info.getReason());
    assertEquals(state, info.getMetadataOrThrow("state"));
  }

  private static void assertInvalid(AppendJobLogsRequest request, String field) {
    StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> node.workers().appendJobLogs(request));
    assertInvalid(e, field);
  }

  private static void assertInvalidList(ListJobLogsRequest request, String field) {
    assertInvalid(assertThrows(StatusRuntimeException.class, () -> node.jobs().listJobLogs(request)), field);
  }

  private static void assertInvalid(StatusRuntimeException e, String field) {
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), e.toString());
    List<String> fields = detail(e, BadRequest.class).getFieldViolationsList().stream().map(BadRequest.FieldViolation::getField).toList();
    assertTrue(fields.contains(field), "expected a violation of " + field + ", got " + fields);
  }

  private static <T extends com.google.protobuf.Message> T detail(StatusRuntimeException e, Class<T> type) {
    for (com.google.protobuf.Any any : StatusProto.fromThrowable(e).getDetailsList()) {
      if (any.is(type)) {
        try {
          return any.unpack(type);
        } catch (com.google.protobuf.InvalidProtocolBufferException x) {
          throw new AssertionError(x);
        }
      }
    }
    throw new AssertionError("no " + type.getSimpleName() + " in " + e);
  }
}
