package io.overseer.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors;
import com.google.protobuf.Descriptors.FileDescriptor;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * What grpcurl needs with no .proto files at hand, over a real TCP (Netty) connection: server
 * reflection v1 and v1alpha, and the standard health check.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReflectionTest {
  private static final List<String> SERVICES = List.of("overseer.v1.JobService", "overseer.v1.WorkerService", "grpc.health.v1.Health");

  private TestDatabase db;
  private TestServer node;

  @BeforeAll
  void start() throws Exception {
    db = TestDatabase.create();
    node = TestServer.tcp(db);
  }

  @AfterAll
  void stop() {
    node.close();
    db.close();
  }

  /** Sends {@code requests} on one reflection stream and collects every response. */
  private static <Q, R> List<R> exchange(Function<StreamObserver<R>, StreamObserver<Q>> open, List<Q> requests) throws Exception {
    List<R> responses = java.util.Collections.synchronizedList(new ArrayList<>());
    CompletableFuture<Void> done = new CompletableFuture<>();
    StreamObserver<Q> out =
        open.apply(
            new StreamObserver<>() {
              @Override
              public void onNext(R value) {
                responses.add(value);
              }

              @Override
              public void onError(Throwable t) {
                done.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {
                done.complete(null);
              }
            });
    requests.forEach(out::onNext);
    out.onCompleted();
    done.get(30, TimeUnit.SECONDS);
    assertEquals(requests.size(), responses.size(), "one response per request");
    return responses;
  }

  /** Builds the file descriptors (dependencies first) and finds JobService.CreateJob in them. */
  private static void buildAndFindCreateJob(List<ByteString> serialized) throws Exception {
    Map<String, FileDescriptorProto> protos = new HashMap<>();
    for (ByteString bytes : serialized) {
      FileDescriptorProto p = FileDescriptorProto.parseFrom(bytes);
      protos.put(p.getName(), p);
    }
    assertTrue(protos.containsKey("overseer/v1/job_service.proto"), "files: " + protos.keySet());
    assertTrue(protos.containsKey("overseer/v1/job.proto"), "a dependency is sent along: " + protos.keySet());
    Map<String, FileDescriptor> built = new HashMap<>();
    FileDescriptor file = build("overseer/v1/job_service.proto", protos, built);
    Descriptors.ServiceDescriptor service = file.findServiceByName("JobService");
    assertNotNull(service);
    assertEquals("overseer.v1.JobService", service.getFullName());
    Descriptors.MethodDescriptor create = service.findMethodByName("CreateJob");
    assertNotNull(create, "method CreateJob");
    assertEquals("overseer.v1.CreateJobRequest", create.getInputType().getFullName());
    assertEquals("overseer.v1.Job", create.getOutputType().getFullName());
    assertNotNull(service.findMethodByName("WatchJob"));
    assertTrue(service.findMethodByName("WatchJob").isServerStreaming());
    assertNotNull(create.getOutputType().findFieldByName("labels"));
  }

  private static FileDescriptor build(String name, Map<String, FileDescriptorProto> protos, Map<String, FileDescriptor> built)
      throws Exception {
    FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    FileDescriptorProto proto = protos.get(name);
    assertNotNull(proto, "the reflection answer includes the dependency " + name + " (got " + protos.keySet() + ")");
    List<FileDescriptor> deps = new ArrayList<>();
    for (String dep : proto.getDependencyList()) {
      deps.add(build(dep, protos, built));
    }
    FileDescriptor fd = FileDescriptor.buildFrom(proto, deps.toArray(FileDescriptor[]::new));
    built.put(name, fd);
    return fd;
  }

  @Test
  void reflectionV1ListsTheServicesAndResolvesJobService() throws Exception {
    ManagedChannel channel = node.channel();
    var stub = io.grpc.reflection.v1.ServerReflectionGrpc.newStub(channel);
    var list = io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setListServices("").build();
    var file = io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setFileContainingSymbol("overseer.v1.JobService").build();
    var method = io.grpc.reflection.v1.ServerReflectionRequest.newBuilder().setFileContainingSymbol("overseer.v1.JobService.CreateJob").build();
    List<io.grpc.reflection.v1.ServerReflectionResponse> responses = exchange(stub::serverReflectionInfo, List.of(list, file, method));

    List<String> names = responses.get(0).getListServicesResponse().getServiceList().stream().map(s -> s.getName()).toList();
    assertTrue(names.containsAll(SERVICES), "services: " + names);
    assertTrue(names.contains("grpc.reflection.v1.ServerReflection"), "services: " + names);
    buildAndFindCreateJob(responses.get(1).getFileDescriptorResponse().getFileDescriptorProtoList());
    buildAndFindCreateJob(responses.get(2).getFileDescriptorResponse().getFileDescriptorProtoList());
  }

  @Test
  void reflectionV1alphaListsTheServicesAndResolvesJobService() throws Exception {
    ManagedChannel channel = node.channel();
    var stub = io.grpc.reflection.v1alpha.ServerReflectionGrpc.newStub(channel);
    var list = io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder().setListServices("").build();
    var file = io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder().setFileContainingSymbol("overseer.v1.JobService").build();
    var unknown = io.grpc.reflection.v1alpha.ServerReflectionRequest.newBuilder().setFileContainingSymbol("overseer.v1.NoSuchThing").build();
    List<io.grpc.reflection.v1alpha.ServerReflectionResponse> responses = exchange(stub::serverReflectionInfo, List.of(list, file, unknown));

    List<String> names = responses.get(0).getListServicesResponse().getServiceList().stream().map(s -> s.getName()).toList();
    assertTrue(names.containsAll(SERVICES), "services: " + names);
    buildAndFindCreateJob(responses.get(1).getFileDescriptorResponse().getFileDescriptorProtoList());
    assertEquals(
        io.grpc.Status.Code.NOT_FOUND.value(), responses.get(2).getErrorResponse().getErrorCode(), "an unknown symbol");
  }

  @Test
  void healthCheckIsServingWithNothingElse() {
    var health = HealthGrpc.newBlockingStub(node.channel()).withDeadlineAfter(10, TimeUnit.SECONDS);
    assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.getDefaultInstance()).getStatus());
    for (String service : List.of("overseer.v1.JobService", "overseer.v1.WorkerService")) {
      assertEquals(ServingStatus.SERVING, health.check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus());
    }
  }
}
