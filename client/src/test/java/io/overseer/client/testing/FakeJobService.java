package io.overseer.client.testing;

import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.overseer.v1.Asset;
import io.overseer.v1.CancelJobRequest;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.GetJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobEvent;
import io.overseer.v1.JobServiceGrpc;
import io.overseer.v1.JobState;
import io.overseer.v1.ListJobAssetsRequest;
import io.overseer.v1.ListJobAssetsResponse;
import io.overseer.v1.ListJobEventsRequest;
import io.overseer.v1.ListJobEventsResponse;
import io.overseer.v1.ListJobsRequest;
import io.overseer.v1.ListJobsResponse;
import io.overseer.v1.StopJobRequest;
import io.overseer.v1.WatchJobRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Scriptable JobService. Jobs live in a list (newest first); pages hold {@link #pageSize} jobs
 * unless the request asks for fewer. Each WatchJob call plays the next script in {@link
 * #watchScripts}: its events (those after the request's sequence), then its ending error, or OK.
 */
public final class FakeJobService extends JobServiceGrpc.JobServiceImplBase {
  /** One scripted WatchJob call. */
  public record WatchScript(List<JobEvent> events, StatusRuntimeException end) {}

  public final List<Job> jobs = new CopyOnWriteArrayList<>();
  public final Map<String, List<JobEvent>> events = new ConcurrentHashMap<>();
  public final Map<String, List<Asset>> assets = new ConcurrentHashMap<>();
  public final BlockingQueue<WatchScript> watchScripts = new LinkedBlockingQueue<>();
  public final BlockingQueue<WatchJobRequest> watchRequests = new LinkedBlockingQueue<>();
  public final BlockingQueue<Object> requests = new LinkedBlockingQueue<>();
  public volatile int pageSize = 2;

  public Job add(Job.Builder job) {
    Job stored = job.setId(job.getId().isEmpty() ? UUID.randomUUID().toString() : job.getId())
        .build();
    jobs.add(0, stored);
    return stored;
  }

  private Job find(String id) {
    return jobs.stream().filter(j -> j.getId().equals(id)).findFirst()
        .orElseThrow(() -> Errors.notFound(id));
  }

  @Override
  public void createJob(CreateJobRequest request, StreamObserver<Job> response) {
    requests.add(request);
    Job job = add(Job.newBuilder()
        .setType(request.getType())
        .setQueue(request.getQueue().isEmpty() ? "default" : request.getQueue())
        .setState(JobState.JOB_STATE_QUEUED)
        .setParams(request.getParams())
        .setPriority(request.getPriority())
        .setMaxAttempts(request.getMaxAttempts() == 0 ? 3 : request.getMaxAttempts())
        .putAllLabels(request.getLabelsMap())
        .setOwner("anonymous"));
    response.onNext(job);
    response.onCompleted();
  }

  @Override
  public void getJob(GetJobRequest request, StreamObserver<Job> response) {
    try {
      response.onNext(find(request.getId()));
      response.onCompleted();
    } catch (StatusRuntimeException e) {
      response.onError(e);
    }
  }

  @Override
  public void listJobs(ListJobsRequest request, StreamObserver<ListJobsResponse> response) {
    requests.add(request);
    List<Job> matching = new ArrayList<>();
    for (Job job : jobs) {
      if (!request.getStatesList().isEmpty() && !request.getStatesList().contains(job.getState())) {
        continue;
      }
      if (!request.getType().isEmpty() && !request.getType().equals(job.getType())) {
        continue;
      }
      matching.add(job);
    }
    int size = request.getPageSize() > 0 ? Math.min(request.getPageSize(), pageSize) : pageSize;
    int from = request.getPageToken().isEmpty() ? 0 : Integer.parseInt(request.getPageToken());
    int to = Math.min(matching.size(), from + size);
    ListJobsResponse.Builder out = ListJobsResponse.newBuilder().addAllJobs(matching.subList(from, to));
    if (to < matching.size()) {
      out.setNextPageToken(Integer.toString(to));
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void cancelJob(CancelJobRequest request, StreamObserver<Job> response) {
    try {
      Job job = find(request.getId()).toBuilder().setState(JobState.JOB_STATE_CANCELLED).build();
      jobs.replaceAll(j -> j.getId().equals(job.getId()) ? job : j);
      response.onNext(job);
      response.onCompleted();
    } catch (StatusRuntimeException e) {
      response.onError(e);
    }
  }

  /**
   * SERVING → STOPPING, QUEUED → CANCELLED, RUNNING: cancel requested; a terminal job is
   * INVALID_TRANSITION.
   */
  @Override
  public void stopJob(StopJobRequest request, StreamObserver<Job> response) {
    requests.add(request);
    try {
      Job job = find(request.getId());
      Job.Builder stopped = job.toBuilder();
      switch (job.getState()) {
        case JOB_STATE_QUEUED -> stopped.setState(JobState.JOB_STATE_CANCELLED);
        case JOB_STATE_SERVING, JOB_STATE_STOPPING ->
            stopped.setState(JobState.JOB_STATE_STOPPING).setStopRequested(true);
        case JOB_STATE_RUNNING -> stopped.setCancelRequested(true);
        default -> throw Errors.invalidTransition(job.getId(), job.getState(),
            JobState.JOB_STATE_STOPPING);
      }
      Job done = stopped.build();
      jobs.replaceAll(j -> j.getId().equals(done.getId()) ? done : j);
      response.onNext(done);
      response.onCompleted();
    } catch (StatusRuntimeException e) {
      response.onError(e);
    }
  }

  @Override
  public void watchJob(WatchJobRequest request, StreamObserver<JobEvent> response) {
    watchRequests.add(request);
    WatchScript script = watchScripts.poll();
    if (script == null) {
      response.onError(Errors.notFound(request.getId()));
      return;
    }
    for (JobEvent event : script.events()) {
      if (event.getSequence() > request.getAfterSequence()) {
        response.onNext(event);
      }
    }
    if (script.end() != null) {
      response.onError(script.end());
    } else {
      response.onCompleted();
    }
  }

  @Override
  public void listJobEvents(ListJobEventsRequest request,
      StreamObserver<ListJobEventsResponse> response) {
    List<JobEvent> all = events.getOrDefault(request.getId(), List.of());
    int from = request.getPageToken().isEmpty() ? 0 : Integer.parseInt(request.getPageToken());
    int to = Math.min(all.size(), from + pageSize);
    ListJobEventsResponse.Builder out =
        ListJobEventsResponse.newBuilder().addAllEvents(all.subList(from, to));
    if (to < all.size()) {
      out.setNextPageToken(Integer.toString(to));
    }
    response.onNext(out.build());
    response.onCompleted();
  }

  @Override
  public void listJobAssets(ListJobAssetsRequest request,
      StreamObserver<ListJobAssetsResponse> response) {
    response.onNext(ListJobAssetsResponse.newBuilder()
        .addAllAssets(assets.getOrDefault(request.getId(), List.of())).build());
    response.onCompleted();
  }
}
