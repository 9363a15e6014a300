package io.overseer.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.overseer.client.worker.JobContext;
import io.overseer.client.worker.JobHandler;
import io.overseer.client.worker.JobResult;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The built-in handler of type {@code demo-service}, a service job: starts an HTTP server on a
 * free port of the worker's loopback interface that answers {@code GET /} with 200 and the job id,
 * reports SERVING at {@code http://127.0.0.1:PORT/} (endpoint {@code http}) and serves until the
 * job is stopped; then closes the server and completes the job with {@code {"served_requests":
 * N}}. Cancelled, cut off (lease lost) or handed back (the worker shutting down), it closes the
 * server too and the runtime ends the job accordingly.
 */
final class DemoServiceHandler implements JobHandler {
  static final String TYPE = "demo-service";
  static final String HOST = "127.0.0.1";

  @Override
  public JobResult handle(JobContext ctx) throws Exception {
    AtomicLong served = new AtomicLong();
    HttpServer server = HttpServer.create(new InetSocketAddress(HOST, 0), 0);
    server.createContext("/", exchange -> answer(exchange, ctx.jobId(), served));
    server.start();
    try {
      String uri = "http://" + HOST + ":" + server.getAddress().getPort() + "/";
      ctx.serving("http", uri);
      ctx.awaitStop();
    } finally {
      server.stop(0);
    }
    return JobResult.of(Map.of("served_requests", served.get()));
  }

  /** {@code GET /}: 200 and the job id; other paths 404, other methods 405. */
  private static void answer(HttpExchange exchange, String jobId, AtomicLong served)
      throws IOException {
    try {
      String method = exchange.getRequestMethod();
      int status;
      String body;
      if (!exchange.getRequestURI().getPath().equals("/")) {
        status = 404;
        body = "not found: this demo service answers GET /\n";
      } else if (!method.equals("GET") && !method.equals("HEAD")) {
        status = 405;
        body = "method not allowed: this demo service answers GET /\n";
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
      } else {
        status = 200;
        body = "demo-service job " + jobId + ": request " + served.incrementAndGet() + "\n";
      }
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
      if (method.equals("HEAD")) {
        exchange.sendResponseHeaders(status, -1);
        return;
      }
      exchange.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    } finally {
      exchange.close();
    }
  }
}
