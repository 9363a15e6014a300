package io.overseer.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.overseer.v1.BatchCreateJobsRequest;
import io.overseer.v1.CancelJobRequest;
import io.overseer.v1.ClaimJobsRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobState;
import io.overseer.v1.ListJobsRequest;
import io.overseer.v1.ListJobsResponse;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** ListJobs: newest first, filters, keyset pagination, page sizes. */
class ListJobsTest extends InProcessNodeTest {
  private List<String> ids(ListJobsRequest request) {
    return jobs.listJobs(request).getJobsList().stream().map(Job::getId).toList();
  }

  /** Every page of {@code request} with {@code pageSize}; checks each page's size. */
  private List<Job> walk(ListJobsRequest request, int pageSize) {
    List<Job> all = new ArrayList<>();
    String token = "";
    do {
      ListJobsResponse page = jobs.listJobs(request.toBuilder().setPageSize(pageSize).setPageToken(token).build());
      token = page.getNextPageToken();
      assertTrue(page.getJobsCount() <= pageSize);
      if (!token.isEmpty()) {
        assertEquals(pageSize, page.getJobsCount(), "only the last page is short");
      }
      all.addAll(page.getJobsList());
    } while (!token.isEmpty());
    return all;
  }

  private static final Comparator<Job> NEWEST_FIRST =
      Comparator.<Job, Long>comparing(j -> j.getCreateTime().getSeconds() * 1_000_000_000L + j.getCreateTime().getNanos())
          .reversed();

  @Test
  void newestFirst() {
    List<String> created = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      created.add(jobs.createJob(CreateJobRequest.newBuilder().setType("demo").build()).getId());
    }
    List<String> expected = new ArrayList<>(created);
    java.util.Collections.reverse(expected);
    List<Job> listed = jobs.listJobs(ListJobsRequest.getDefaultInstance()).getJobsList();
    assertEquals(expected, listed.stream().map(Job::getId).toList());
    assertEquals("", jobs.listJobs(ListJobsRequest.getDefaultInstance()).getNextPageToken());
    List<Job> sorted = new ArrayList<>(listed);
    sorted.sort(NEWEST_FIRST);
    assertEquals(sorted, listed, "ordered by create_time descending");
  }

  @Test
  void filtersByStatesTypeQueueAndAllLabels() {
    List<Job> all = new ArrayList<>();
    String[] types = {"a", "b"};
    String[] queues = {"default", "q2", "q3"};
    List<Map<String, String>> labelSets =
        List.of(Map.of(), Map.of("env", "prod"), Map.of("env", "prod", "team", "x"), Map.of("env", "dev", "team", "x"));
    int n = 0;
    for (String type : types) {
      for (String queue : queues) {
        for (Map<String, String> labels : labelSets) {
          all.add(
              jobs.createJob(
                  CreateJobRequest.newBuilder().setType(type).setQueue(queue).setPriority(n++).putAllLabels(labels).build()));
        }
      }
    }
    // a few cancelled, one running (the highest priority is claimed first)
    for (int i = 0; i < all.size(); i += 5) {
      all.set(i, jobs.cancelJob(CancelJobRequest.newBuilder().setId(all.get(i).getId()).build()));
    }
    Job running = node.workers().claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("w").build()).getLeases(0).getJob();
    all.replaceAll(j -> j.getId().equals(running.getId()) ? running : j);
    all.sort(NEWEST_FIRST);

    record Case(ListJobsRequest request, Predicate<Job> matches) {}
    List<Case> cases =
        List.of(
            new Case(ListJobsRequest.getDefaultInstance(), j -> true),
            new Case(ListJobsRequest.newBuilder().addStates(JobState.JOB_STATE_CANCELLED).build(),
                j -> j.getState() == JobState.JOB_STATE_CANCELLED),
            new Case(ListJobsRequest.newBuilder().addStates(JobState.JOB_STATE_QUEUED).addStates(JobState.JOB_STATE_RUNNING).build(),
                j -> j.getState() != JobState.JOB_STATE_CANCELLED),
            new Case(ListJobsRequest.newBuilder().addStates(JobState.JOB_STATE_RUNNING).build(),
                j -> j.getId().equals(running.getId())),
            new Case(ListJobsRequest.newBuilder().addStates(JobState.JOB_STATE_COMPLETED).build(), j -> false),
            new Case(ListJobsRequest.newBuilder().setType("a").build(), j -> j.getType().equals("a")),
            new Case(ListJobsRequest.newBuilder().setType("zzz").build(), j -> false),
            new Case(ListJobsRequest.newBuilder().setQueue("q2").build(), j -> j.getQueue().equals("q2")),
            new Case(ListJobsRequest.newBuilder().setQueue("default").build(), j -> j.getQueue().equals("default")),
            new Case(ListJobsRequest.newBuilder().putLabels("env", "prod").build(),
                j -> "prod".equals(j.getLabelsMap().get("env"))),
            new Case(ListJobsRequest.newBuilder().putLabels("env", "prod").putLabels("team", "x").build(),
                j -> "prod".equals(j.getLabelsMap().get("env")) && "x".equals(j.getLabelsMap().get("team"))),
            new Case(ListJobsRequest.newBuilder().putLabels("team", "x").build(), j -> "x".equals(j.getLabelsMap().get("team"))),
            new Case(ListJobsRequest.newBuilder().putLabels("team", "y").build(), j -> false),
            new Case(ListJobsRequest.newBuilder().putLabels("env", "").build(), j -> false),
            new Case(
                ListJobsRequest.newBuilder()
                    .setType("b").setQueue("q3").putLabels("team", "x").addStates(JobState.JOB_STATE_QUEUED).build(),
                j -> j.getType().equals("b") && j.getQueue().equals("q3") && "x".equals(j.getLabelsMap().get("team"))
                    && j.getState() == JobState.JOB_STATE_QUEUED));
    for (Case c : cases) {
      List<String> expected = all.stream().filter(c.matches()).map(Job::getId).toList();
      assertEquals(expected, ids(c.request()), () -> "filter " + c.request());
      assertEquals(expected, walk(c.request(), 2).stream().map(Job::getId).toList(), () -> "paged filter " + c.request());
    }
    assertTrue(all.stream().filter(j -> j.getType().equals("a")).count() > 1);
  }

  @Test
  void pagesWalkEveryJobOnceEvenWithInsertsBetweenPages() {
    // a batch shares one create_time: the id breaks the tie
    BatchCreateJobsRequest.Builder batch = BatchCreateJobsRequest.newBuilder();
    for (int i = 0; i < 25; i++) {
      batch.addRequests(CreateJobRequest.newBuilder().setType("batch"));
    }
    jobs.batchCreateJobs(batch.build());
    for (int i = 0; i < 12; i++) {
      jobs.createJob(CreateJobRequest.newBuilder().setType("single").build());
    }
    List<Job> everything = jobs.listJobs(ListJobsRequest.newBuilder().setPageSize(1000).build()).getJobsList();
    assertEquals(37, everything.size());

    for (int pageSize : new int[] {1, 3, 7, 36, 37, 38}) {
      assertEquals(everything, walk(ListJobsRequest.getDefaultInstance(), pageSize), "page_size " + pageSize);
    }

    // jobs created while a client walks the pages do not shift it: no duplicates, no gaps
    List<Job> walked = new ArrayList<>();
    String token = "";
    int inserted = 0;
    do {
      ListJobsResponse page = jobs.listJobs(ListJobsRequest.newBuilder().setPageSize(4).setPageToken(token).build());
      walked.addAll(page.getJobsList());
      token = page.getNextPageToken();
      jobs.createJob(CreateJobRequest.newBuilder().setType("late").build());
      inserted++;
    } while (!token.isEmpty());
    assertEquals(everything, walked);
    Set<String> unique = new HashSet<>();
    walked.forEach(j -> assertTrue(unique.add(j.getId()), "seen twice: " + j.getId()));
    assertEquals(37 + inserted, ApiTesting.count(db, "SELECT count(*) FROM jobs"));
  }

  @Test
  void pageSizeDefaultsTo100AndIsLoweredTo1000() {
    for (int b = 0; b < 2; b++) {
      BatchCreateJobsRequest.Builder batch = BatchCreateJobsRequest.newBuilder();
      for (int i = 0; i < (b == 0 ? 1000 : 5); i++) {
        batch.addRequests(CreateJobRequest.newBuilder().setType("bulk"));
      }
      jobs.batchCreateJobs(batch.build());
    }
    ListJobsResponse byDefault = jobs.listJobs(ListJobsRequest.getDefaultInstance());
    assertEquals(100, byDefault.getJobsCount());
    assertFalse(byDefault.getNextPageToken().isEmpty());

    for (int asked : new int[] {1001, 5000, Integer.MAX_VALUE}) {
      ListJobsResponse big = jobs.listJobs(ListJobsRequest.newBuilder().setPageSize(asked).build());
      assertEquals(1000, big.getJobsCount(), "page_size " + asked + " is lowered to 1000");
      assertFalse(big.getNextPageToken().isEmpty());
      ListJobsResponse rest =
          jobs.listJobs(ListJobsRequest.newBuilder().setPageSize(asked).setPageToken(big.getNextPageToken()).build());
      assertEquals(5, rest.getJobsCount());
      assertEquals("", rest.getNextPageToken());
    }
  }

  @Test
  void aPastRunAtMeansNow() {
    Job job =
        jobs.createJob(
            CreateJobRequest.newBuilder()
                .setType("demo")
                .setRunAt(com.google.protobuf.Timestamp.newBuilder().setSeconds(1_000_000_000L))
                .build());
    assertFalse(job.getRunAt().getSeconds() < job.getCreateTime().getSeconds(), "run_at " + job.getRunAt());
    assertEquals(1, node.workers().claimJobs(ClaimJobsRequest.newBuilder().setWorkerId("w").build()).getLeasesCount());
  }
}
