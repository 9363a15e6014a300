package io.overseer.server.domain;

import java.time.Instant;
import java.util.UUID;

/** An output of a job, recorded by the worker that holds its lease. */
public record Asset(
    UUID id,
    UUID jobId,
    String owner,
    String assetType,
    String uri,
    String storagePath,
    long sizeBytes,
    String contentType,
    String checksum,
    Instant createTime) {}
