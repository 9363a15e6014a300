package io.overseer.server.auth;

import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;

/** Writes tokens files and attaches bearer tokens, for the auth tests. */
final class Tokens {
  private Tokens() {}

  static String line(String token, String principal, String roles) {
    return "sha256:" + HexFormat.of().formatHex(TokenFile.sha256(token)) + " " + principal + " " + roles;
  }

  static Path write(Path file, List<String> lines) throws IOException {
    Files.write(file, lines);
    return file;
  }

  static Channel withToken(Channel channel, String token) {
    Metadata md = new Metadata();
    md.put(AuthInterceptor.AUTHORIZATION, "Bearer " + token);
    return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(md));
  }
}
