package io.overseer.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import com.google.rpc.ErrorInfo;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.MethodDescriptor;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.overseer.server.testing.TestDatabase;
import io.overseer.server.testing.TestServer;
import io.overseer.v1.CreateJobRequest;
import io.overseer.v1.GetJobRequest;
import io.overseer.v1.Job;
import io.overseer.v1.JobServiceGrpc;
import io.overseer.v1.ListJobsRequest;
import io.overseer.v1.WorkerServiceGrpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every RPC, enumerated from the service descriptors so a new one cannot slip past: no token,
 * the wrong role, another owner's job, and admin.
 */
class AuthTest {
  @TempDir static Path dir;
  static TestDatabase db;
  static TestServer node;
  static Path tokensFile;

  @BeforeAll
  static void start() throws Exception {
    tokensFile =
        Tokens.write(
            dir.resolve("tokens"),
            List.of(
                "# principals of the auth test",
                Tokens.line("alice-token", "alice", "caller"),
                Tokens.line("bob-token", "bob", "caller"),
                Tokens.line("worker-token", "w", "worker"),
                "",
                Tokens.line("admin-token", "root", "admin")));
    db = TestDatabase.create();
    node = TestServer.inProcess(db, "--auth-tokens-file=" + tokensFile);
  }

  @AfterAll
  static void stop() {
    node.close();
    db.close();
  }

  static List<MethodDescriptor<?, ?>> everyRpc() {
    List<MethodDescriptor<?, ?>> methods = new ArrayList<>();
    for (ServiceDescriptor s : List.of(JobServiceGrpc.getServiceDescriptor(), WorkerServiceGrpc.getServiceDescriptor())) {
      methods.addAll(s.getMethods());
    }
    return methods;
  }

  @Test
  void noTokenIsUnauthenticatedOnEveryRpc() {
    for (MethodDescriptor<?, ?> m : everyRpc()) {
      StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> call(node.channel(), m, null), m.getFullMethodName());
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), m.getFullMethodName());
      assertEquals("TOKEN_MISSING", errorInfo(e).getReason());
    }
  }

  @Test
  void unknownTokenIsUnauthenticated() {
    for (MethodDescriptor<?, ?> m : everyRpc()) {
      StatusRuntimeException e =
          assertThrows(StatusRuntimeException.class, () -> call(Tokens.withToken(node.channel(), "nope"), m, null), m.getFullMethodName());
      assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), m.getFullMethodName());
      assertEquals("TOKEN_INVALID", errorInfo(e).getReason());
    }
  }

  @Test
  void wrongRoleIsPermissionDeniedOnEveryRpc() {
    for (MethodDescriptor<?, ?> m : everyRpc()) {
      boolean workerRpc = m.getServiceName().equals("overseer.v1.WorkerService");
      String token = workerRpc ? "alice-token" : "worker-token";
      StatusRuntimeException e =
          assertThrows(StatusRuntimeException.class, () -> call(Tokens.withToken(node.channel(), token), m, null), m.getFullMethodName());
      assertEquals(Status.Code.PERMISSION_DENIED, e.getStatus().getCode(), m.getFullMethodName());
      assertEquals("ROLE_REQUIRED", errorInfo(e).getReason());
    }
  }

  @Test
  void anotherOwnersJobIsNotFoundAndAdminSeesIt() {
    Job alices = JobServiceGrpc.newBlockingStub(Tokens.withToken(node.channel(), "alice-token"))
        .createJob(CreateJobRequest.newBuilder().setType("secret").build());
    int checked = 0;
    for (MethodDescriptor<?, ?> m : JobServiceGrpc.getServiceDescriptor().getMethods()) {
      FieldDescriptor id = prototype(m).getDescriptorForType().findFieldByName("id");
      if (id == null) {
        continue;
      }
      Message request = prototype(m).toBuilder().setField(id, alices.getId()).build();
      StatusRuntimeException e =
          assertThrows(StatusRuntimeException.class, () -> call(Tokens.withToken(node.channel(), "bob-token"), m, request), m.getFullMethodName());
      assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode(), m.getFullMethodName());
      assertEquals("JOB_NOT_FOUND", errorInfo(e).getReason());
      checked++;
    }
    assertEquals(6, checked, "every JobService RPC with an id was checked (StopJob too)");
    // bob's listing does not show alice's job; the admin's does
    assertFalse(JobServiceGrpc.newBlockingStub(Tokens.withToken(node.channel(), "bob-token"))
        .listJobs(ListJobsRequest.getDefaultInstance()).getJobsList().stream().anyMatch(j -> j.getId().equals(alices.getId())));
    assertEquals("alice", JobServiceGrpc.newBlockingStub(Tokens.withToken(node.channel(), "admin-token"))
        .getJob(GetJobRequest.newBuilder().setId(alices.getId()).build()).getOwner());
  }

  @Test
  void adminIsAllowedOnEveryRpc() {
    Job job = JobServiceGrpc.newBlockingStub(Tokens.withToken(node.channel(), "alice-token"))
        .createJob(CreateJobRequest.newBuilder().setType("x").build());
    for (MethodDescriptor<?, ?> m : everyRpc()) {
      Message request = prototype(m);
      FieldDescriptor id = request.getDescriptorForType().findFieldByName("id");
      if (id != null) {
        request = request.toBuilder().setField(id, job.getId()).build();
      }
      try {
        call(Tokens.withToken(node.channel(), "admin-token"), m, request);
      } catch (StatusRuntimeException e) {
        Status.Code code = e.getStatus().getCode();
        // past authentication and authorisation: only the request's own validity decides
        assertFalse(code == Status.Code.UNAUTHENTICATED || code == Status.Code.PERMISSION_DENIED, m.getFullMethodName() + ": " + e);
      }
    }
  }

  @Test
  void healthNeedsNoToken() {
    HealthCheckResponse r = HealthGrpc.newBlockingStub(node.channel()).check(HealthCheckRequest.getDefaultInstance());
    assertEquals(HealthCheckResponse.ServingStatus.SERVING, r.getStatus());
  }

  @Test
  void eventsRecordThePrincipal() {
    Job job = JobServiceGrpc.newBlockingStub(Tokens.withToken(node.channel(), "alice-token"))
        .createJob(CreateJobRequest.newBuilder().setType("x").build());
    assertEquals("alice", job.getOwner());
    var events = JobServiceGrpc.newBlockingStub(Tokens.withToken(node.channel(), "alice-token"))
        .listJobEvents(io.overseer.v1.ListJobEventsRequest.newBuilder().setId(job.getId()).build());
    assertEquals("alice", events.getEvents(0).getActor());
  }

  @Test
  void removedTokenStopsWorkingWithinTenSeconds() throws Exception {
    JobServiceGrpc.JobServiceBlockingStub bob = JobServiceGrpc.newBlockingStub(Tokens.withToken(node.channel(), "bob-token"));
    bob.listJobs(ListJobsRequest.getDefaultInstance());
    List<String> kept = new ArrayList<>();
    for (String line : Files.readAllLines(tokensFile)) {
      if (!line.contains(" bob ")) {
        kept.add(line);
      }
    }
    Path replacement = Tokens.write(dir.resolve("tokens.new"), kept);
    Files.move(replacement, tokensFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      try {
        bob.listJobs(ListJobsRequest.getDefaultInstance());
      } catch (StatusRuntimeException e) {
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
        return;
      }
      if (System.nanoTime() > deadline) {
        fail("bob's removed token still works after 10 s");
      }
      Thread.onSpinWait();
    }
  }

  private static Message prototype(MethodDescriptor<?, ?> m) {
    return (Message) ((MethodDescriptor.PrototypeMarshaller<?>) m.getRequestMarshaller()).getMessagePrototype();
  }

  @SuppressWarnings("unchecked")
  private static void call(Channel channel, MethodDescriptor<?, ?> method, Message request) {
    MethodDescriptor<Message, Message> m = (MethodDescriptor<Message, Message>) method;
    Message req = request == null ? prototype(method) : request;
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS);
    if (m.getType() == MethodDescriptor.MethodType.SERVER_STREAMING) {
      Iterator<Message> it = ClientCalls.blockingServerStreamingCall(channel, m, options, req);
      while (it.hasNext()) {
        it.next();
      }
    } else {
      ClientCalls.blockingUnaryCall(channel, m, options, req);
    }
  }

  static ErrorInfo errorInfo(StatusRuntimeException e) {
    com.google.rpc.Status s = StatusProto.fromThrowable(e);
    for (var any : s.getDetailsList()) {
      if (any.is(ErrorInfo.class)) {
        try {
          return any.unpack(ErrorInfo.class);
        } catch (Exception x) {
          throw new AssertionError(x);
        }
      }
    }
    throw new AssertionError("no ErrorInfo in " + e);
  }
}
