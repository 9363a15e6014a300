package io.overseer.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobServiceGrpc;
import io.overseer.v1.JobServiceGrpc.JobServiceBlockingStub;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TLS and mutual TLS over Netty, with certificates made by the test. */
class TlsTest {
  @TempDir static Path dir;
  static Certificates certs;
  static TestDatabase db;

  @BeforeAll
  static void setUp() throws Exception {
    certs = new Certificates(dir);
    db = TestDatabase.create();
  }

  @AfterAll
  static void tearDown() {
    db.close();
  }

  @Test
  void tlsWithToken() throws Exception {
    Certificates.Issued server = certs.issue("server", "localhost", true);
    Path tokens = Tokens.write(dir.resolve("tls-tokens"), List.of(Tokens.line("t1", "carol", "caller")));
    try (TestServer node = TestServer.tcp(db, "--tls-cert=" + server.cert(), "--tls-key=" + server.key(), "--auth-tokens-file=" + tokens)) {
      ManagedChannel tls = channel(node, TlsChannelCredentials.newBuilder().trustManager(certs.ca().cert().toFile()).build());
      try {
        Job job = JobServiceGrpc.newBlockingStub(Tokens.withToken(tls, "t1")).createJob(CreateJobRequest.newBuilder().setType("tls").build());
        assertEquals("carol", job.getOwner());
      } finally {
        tls.shutdownNow();
      }
      ManagedChannel plain = channel(node, InsecureChannelCredentials.create());
      try {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub(plain).createJob(CreateJobRequest.newBuilder().setType("x").build()));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), "a plaintext client cannot talk to a TLS server");
      } finally {
        plain.shutdownNow();
      }
    }
  }

  @Test
  void mutualTlsNamesThePrincipalAndRefusesClientsWithoutCertificate() throws Exception {
    Certificates.Issued server = certs.issue("server2", "localhost", true);
    Certificates.Issued client = certs.issue("client", "svc-billing", false);
    try (TestServer node = TestServer.tcp(db, "--tls-cert=" + server.cert(), "--tls-key=" + server.key(), "--tls-client-ca=" + certs.ca().cert())) {
      ManagedChannel mtls =
          channel(
              node,
              TlsChannelCredentials.newBuilder()
                  .trustManager(certs.ca().cert().toFile())
                  .keyManager(client.cert().toFile(), client.key().toFile())
                  .build());
      try {
        Job job = stub(mtls).createJob(CreateJobRequest.newBuilder().setType("mtls").build());
        assertEquals("svc-billing", job.getOwner());
      } finally {
        mtls.shutdownNow();
      }
      ManagedChannel noCert = channel(node, TlsChannelCredentials.newBuilder().trustManager(certs.ca().cert().toFile()).build());
      try {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> stub(noCert).createJob(CreateJobRequest.newBuilder().setType("x").build()));
        assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), "the handshake fails without a client certificate: " + e);
      } finally {
        noCert.shutdownNow();
      }
    }
  }

  private static ManagedChannel channel(TestServer node, ChannelCredentials credentials) {
    return Grpc.newChannelBuilder(node.target(), credentials).build();
  }

  private static JobServiceBlockingStub stub(ManagedChannel channel) {
    return JobServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }
}
