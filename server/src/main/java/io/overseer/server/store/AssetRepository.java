package io.overseer.server.store;

import io.overseer.server.domain.Asset;
import io.overseer.server.domain.JobEvent.EventKind;
import io.overseer.server.domain.State;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** Assets of jobs. Deleted with their job by the foreign key's cascade. */
public final class AssetRepository {
  /** Under a live lease: inserts the asset and appends an ASSET_ADDED event, in one statement. */
  private static final String ADD =
      "WITH t AS (UPDATE jobs SET last_sequence = last_sequence + 1, update_time = now()"
          + " WHERE id = ? AND state = ANY(?::text[]) AND lease_token = ? AND lease_expires_at > now()"
          + " RETURNING *),"
          + " a AS (INSERT INTO assets (id, job_id, owner, asset_type, uri, storage_path, size_bytes,"
          + " content_type, checksum) SELECT ?, id, owner, ?, ?, ?, ?, ?, ? FROM t RETURNING *)"
          + EventInsert.of(EventKind.ASSET_ADDED).message("a.asset_type || ' ' || a.uri").assetId("a.id").from("t, a").sql()
          + " SELECT * FROM a";

  private static final String LIST =
      "SELECT * FROM assets WHERE job_id = ? ORDER BY create_time, id";

  /** Empty if the lease is lost. */
  public Optional<Asset> add(Connection c, UUID jobId, String leaseToken, Asset asset, String actor)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(ADD)) {
      int i = 0;
      ps.setObject(++i, jobId);
      ps.setArray(++i, StateSql.array(c, State.LEASED));
      ps.setString(++i, leaseToken);
      ps.setObject(++i, asset.id());
      ps.setString(++i, asset.assetType());
      ps.setString(++i, asset.uri());
      ps.setString(++i, asset.storagePath());
      ps.setLong(++i, asset.sizeBytes());
      ps.setString(++i, asset.contentType());
      ps.setString(++i, asset.checksum());
      ps.setString(++i, actor);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(Rows.asset(rs)) : Optional.empty();
      }
    }
  }

  public List<Asset> list(Connection c, UUID jobId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(LIST)) {
      ps.setObject(1, jobId);
      List<Asset> assets = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          assets.add(Rows.asset(rs));
        }
      }
      return assets;
    }
  }
}
