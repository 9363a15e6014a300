package io.overseer.cli;

import io.overseer.client.OverseerClient;
import io.overseer.v1.Asset;
import io.overseer.v1.ListJobAssetsResponse;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "assets", mixinStandardHelpOptions = true,
    description = "List the output assets a job's workers recorded.")
final class AssetsCommand extends ServerCommand {
  @Parameters(index = "0", paramLabel = "ID", description = "Job id.")
  String id;

  @Override
  int run(OverseerClient client) {
    List<Asset> assets = client.assets(id);
    if (output.json()) {
      printJson(ListJobAssetsResponse.newBuilder().addAllAssets(assets).build());
      return 0;
    }
    Table table = new Table("ID", "TYPE", "URI", "SIZE", "CONTENT TYPE", "CHECKSUM", "CREATED");
    for (Asset a : assets) {
      table.row(a.getId(), a.getAssetType(), a.getUri(), Texts.bytes(a.getSizeBytes()),
          a.getContentType(), a.getChecksum(), Texts.time(a.getCreateTime()));
    }
    table.print(out());
    return 0;
  }
}
