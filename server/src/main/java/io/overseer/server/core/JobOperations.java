package io.overseer.server.core;

import io.overseer.server.domain.Asset;
import io.overseer.server.domain.ConflictException;
import io.overseer.server.domain.IdempotencyConflictException;
import io.overseer.server.domain.Job;
import io.overseer.server.domain.JobEvent;
import io.overseer.server.domain.JobNotFoundException;
import io.overseer.server.domain.JobStateMachine;
import io.overseer.server.domain.NewJob;
import io.overseer.server.domain.Principal;
import io.overseer.server.domain.ResourceExhaustedException;
import io.overseer.server.domain.State;
import io.overseer.server.store.AssetRepository;
import io.overseer.server.store.Database;
import io.overseer.server.store.EventRepository;
import io.overseer.server.store.JobRepository;
import io.overseer.server.store.JobRepository.KeyedJob;
import io.overseer.server.store.JobRepository.ListQuery;
import io.overseer.server.store.LeaseRepository.Ending;
import io.overseer.server.store.LeaseRepository.LeaseCondition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * What callers do to jobs: create, read, list, cancel. Decides with the state machine, writes
 * through the repositories, signals after commit. Requests arrive validated.
 */
public final class JobOperations {
  private static final int MAX_CAS_TRIES = 10;

  private final Database db;
  private final JobRepository jobs;
  private final EventRepository events;
  private final AssetRepository assets;
  private final TransitionPublisher publisher;
  private final JobEndings endings;
  private final int maxQueuedPerOwner;
  private final GroupCommit<Creation, Optional<Job>> creations;

  /** One CreateJob's insert, for the group commit. */
  public record Creation(String owner, NewJob job) {}

  public JobOperations(
      Database db,
      JobRepository jobs,
      EventRepository events,
      AssetRepository assets,
      TransitionPublisher publisher,
      JobEndings endings,
      int maxQueuedPerOwner,
      GroupCommit<Creation, Optional<Job>> creations) {
    this.db = db;
    this.jobs = jobs;
    this.events = events;
    this.assets = assets;
    this.publisher = publisher;
    this.endings = endings;
    this.maxQueuedPerOwner = maxQueuedPerOwner;
    this.creations = creations;
  }

  /**
   * The group-commit write of CreateJob: one multi-row insert per owner (owners in one order, so
   * concurrent flushes lock idempotency keys in one order); for each creation, its job, or empty if
   * the owner already used its idempotency key.
   */
  public static GroupCommit.BatchWrite<Creation, Optional<Job>> insertAll(JobRepository jobs) {
    return (c, batch) -> {
      Map<String, List<NewJob>> byOwner = new TreeMap<>();
      batch.forEach(x -> byOwner.computeIfAbsent(x.owner(), o -> new ArrayList<>()).add(x.job()));
      Map<UUID, Job> inserted = new HashMap<>();
      for (Map.Entry<String, List<NewJob>> owner : byOwner.entrySet()) {
        jobs.insertBatch(c, owner.getKey(), owner.getValue()).forEach(j -> inserted.put(j.id(), j));
      }
      return batch.stream().map(x -> Optional.ofNullable(inserted.get(x.job().id()))).toList();
    };
  }

  /** Creates the job, or returns the owner's job with the same idempotency key and fields. */
  public Job create(Principal principal, NewJob job) {
    String owner = principal.name();
    checkQuota(owner, 1);
    Optional<Job> created = creations.submit(new Creation(owner, job));
    if (created.isPresent()) {
      publisher.created(created.get());
      announce(created.get());
      return created.get();
    }
    return db.autocommit(c -> existingForKey(c, owner, job));
  }

  /** Creates all the jobs in one transaction, or none (an idempotency conflict rolls back all). */
  public List<Job> createBatch(Principal principal, List<NewJob> batch) {
    String owner = principal.name();
    checkQuota(owner, batch.size());
    List<Job> result =
        db.transaction(
            c -> {
              Map<UUID, Job> inserted = new HashMap<>();
              for (Job j : jobs.insertBatch(c, owner, batch)) {
                inserted.put(j.id(), j);
              }
              // the items not inserted used a key already taken: look them all up at once
              List<NewJob> keyed = new ArrayList<>();
              for (NewJob n : batch) {
                if (!inserted.containsKey(n.id())) {
                  keyed.add(n);
                }
              }
              Map<Integer, KeyedJob> existing =
                  keyed.isEmpty() ? Map.of() : jobs.findByIdempotencyKeys(c, owner, keyed);
              List<Job> ordered = new ArrayList<>(batch.size());
              int k = 0;
              for (NewJob n : batch) {
                Job j = inserted.get(n.id());
                ordered.add(j != null ? j : sameRequestOrThrow(n, existing.get(k++)));
              }
              return ordered;
            });
    java.util.Set<UUID> newIds = new java.util.HashSet<>();
    batch.forEach(n -> newIds.add(n.id()));
    result.stream().filter(j -> newIds.contains(j.id())).forEach(publisher::created);
    result.stream()
        .filter(j -> State.CLAIMABLE.contains(j.state()))
        .map(j -> Map.entry(j.queue(), j.runAt()))
        .distinct()
        .forEach(e -> publisher.claimableAt(e.getKey(), e.getValue()));
    return result;
  }

  private Job existingForKey(java.sql.Connection c, String owner, NewJob job)
      throws java.sql.SQLException {
    return sameRequestOrThrow(
        job, jobs.findByIdempotencyKey(c, owner, job.idempotencyKey(), job.paramsJson()).orElse(null));
  }

  /**
   * The job that took {@code job}'s idempotency key, if it was created from the same request.
   * Null (the key's job vanished, e.g. its creator rolled back) is a conflict worth a retry.
   */
  private static Job sameRequestOrThrow(NewJob job, KeyedJob existing) {
    if (existing == null) {
      throw new ConflictException(String.valueOf(job.idempotencyKey()));
    }
    if (!job.sameRequestAs(existing.job(), existing.sameParams())) {
      throw new IdempotencyConflictException(job.idempotencyKey(), existing.job().id().toString());
    }
    return existing.job();
  }

  public Job get(Principal principal, UUID id) {
    return db.autocommit(c -> jobs.find(c, id, principal.ownerScope()))
        .orElseThrow(() -> new JobNotFoundException(id.toString()));
  }

  public List<Job> list(ListQuery query) {
    return db.autocommit(c -> jobs.list(c, query));
  }

  /**
   * A job no worker holds (QUEUED) becomes CANCELLED at once; a leased one gets cancel_requested
   * (the worker acknowledges, or maintenance ends it after the grace period); a terminal job is an
   * invalid transition.
   */
  public Job cancel(Principal principal, UUID id, String reason) {
    String message = reason.isEmpty() ? "cancelled by " + principal.name() : reason;
    for (int i = 0; i < MAX_CAS_TRIES; i++) {
      Job job = get(principal, id);
      JobStateMachine.require(id.toString(), job.state(), State.CANCELLED);
      if (!job.state().isLeased()) {
        Ending now =
            new Ending(id, Set.of(job.state()), null, LeaseCondition.NONE, null, State.CANCELLED, null, message, 0,
                false, principal.name(), "", null);
        List<Job> cancelled = endings.endNow(List.of(now));
        if (!cancelled.isEmpty()) {
          return cancelled.get(0);
        }
      } else if (job.cancelRequested()) {
        return job;
      } else {
        Set<State> from = JobStateMachine.sources(State.CANCELLED, State.LEASED);
        Optional<Job> flagged =
            db.autocommit(c -> jobs.requestCancel(c, id, from, job.attempt(), message, principal.name()));
        if (flagged.isPresent()) {
          publisher.eventAppended(flagged.get());
          return flagged.get();
        }
      }
    }
    throw new ConflictException(id.toString());
  }

  /**
   * A serving job becomes STOPPING (its worker is told by its heartbeats, stops the service and
   * completes the job, or maintenance fails it after the stop grace period); a stopping one is
   * returned as it is; any other job is cancelled as {@link #cancel} would (a job that never served
   * has no service to stop).
   */
  public Job stop(Principal principal, UUID id, String reason) {
    String message = reason.isEmpty() ? "stopped by " + principal.name() : reason;
    for (int i = 0; i < MAX_CAS_TRIES; i++) {
      Job job = get(principal, id);
      if (job.state().isTerminal()) {
        JobStateMachine.require(id.toString(), job.state(), State.STOPPING);
      }
      if (job.state() == State.STOPPING) {
        return job;
      }
      if (!JobStateMachine.isAllowed(job.state(), State.STOPPING)) {
        return cancel(principal, id, message);
      }
      Optional<Job> stopping = db.autocommit(c -> jobs.requestStop(c, id, job.attempt(), message, principal.name()));
      if (stopping.isPresent()) {
        publisher.eventAppended(stopping.get());
        return stopping.get();
      }
    }
    throw new ConflictException(id.toString());
  }

  /** The job (visible to the principal) and its events after {@code afterSequence}. */
  public List<JobEvent> events(Principal principal, UUID id, long afterSequence, int limit) {
    get(principal, id);
    return db.autocommit(c -> events.listAfter(c, id, afterSequence, limit));
  }

  public List<Asset> assets(Principal principal, UUID id) {
    get(principal, id);
    return db.autocommit(c -> assets.list(c, id));
  }

  /**
   * The per-owner quota of queued jobs (--max-queued-per-owner). A soft limit: concurrent
   * creates of one owner may overshoot it by what they create together.
   */
  private void checkQuota(String owner, int adding) {
    if (maxQueuedPerOwner <= 0) {
      return;
    }
    long queued = db.autocommit(c -> jobs.countQueued(c, owner));
    if (queued + adding > maxQueuedPerOwner) {
      throw new ResourceExhaustedException(
          "QUEUED_JOBS_QUOTA",
          owner + " has " + queued + " queued jobs; creating " + adding + " more would pass the quota of " + maxQueuedPerOwner,
          Map.of("owner", owner, "queued", Long.toString(queued), "limit", Integer.toString(maxQueuedPerOwner)),
          "wait for queued jobs to be claimed, cancel some, or ask the operator to raise --max-queued-per-owner");
    }
  }

  private void announce(Job job) {
    publisher.claimableAt(job.queue(), job.runAt());
  }
}
