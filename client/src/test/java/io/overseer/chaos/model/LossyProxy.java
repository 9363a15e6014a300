package io.overseer.chaos.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on 127.0.0.1 in front of a server, which can lose the server's replies for real:
 * {@link #loseReplies()} makes every open connection swallow what the server sends (the client's
 * bytes still reach the server), and {@link #cut()} resets every open connection. New connections
 * pass everything. So a call made after {@code loseReplies()} reaches the server, which does the
 * work and answers into the void; the client sees its deadline pass or its connection reset.
 */
final class LossyProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final InetSocketAddress upstream;
  private final List<Pipe> pipes = new CopyOnWriteArrayList<>();
  private final AtomicLong swallowedBytes = new AtomicLong();
  private final Thread acceptor;
  private volatile boolean closed;

  LossyProxy(int upstreamPort) throws IOException {
    this.upstream = new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort);
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.acceptor = new Thread(this::acceptLoop, "lossy-proxy-" + listener.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** host:port to give the client. */
  String target() {
    return "127.0.0.1:" + listener.getLocalPort();
  }

  /** From now on, the open connections drop whatever the server sends. */
  void loseReplies() {
    for (Pipe p : pipes) {
      p.swallow = true;
    }
  }

  /** Resets every open connection (RST); the client reconnects through a fresh, clean one. */
  void cut() {
    for (Pipe p : pipes) {
      p.close();
    }
  }

  /** Connections open now. */
  int openConnections() {
    return pipes.size();
  }

  long swallowedBytes() {
    return swallowedBytes.get();
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket();
        server.connect(upstream, 5000);
        client.setTcpNoDelay(true);
        server.setTcpNoDelay(true);
        Pipe pipe = new Pipe(client, server);
        pipes.add(pipe);
        pipe.start();
      } catch (IOException e) {
        if (!closed) {
          System.err.println("lossy proxy: " + e);
        }
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      listener.close();
    } catch (IOException e) {
      // closing anyway
    }
    cut();
  }

  /** One proxied connection: two pumps, client to server and server to client. */
  private final class Pipe {
    final Socket client;
    final Socket server;
    volatile boolean swallow;

    Pipe(Socket client, Socket server) {
      this.client = client;
      this.server = server;
    }

    void start() {
      Thread up = new Thread(() -> pump(client, server, false), "proxy-up");
      Thread down = new Thread(() -> pump(server, client, true), "proxy-down");
      up.setDaemon(true);
      down.setDaemon(true);
      up.start();
      down.start();
    }

    private void pump(Socket from, Socket to, boolean replies) {
      byte[] buffer = new byte[64 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int n;
        while ((n = in.read(buffer)) >= 0) {
          if (replies && swallow) {
            swallowedBytes.addAndGet(n);
            continue;
          }
          out.write(buffer, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // the connection was cut or closed
      } finally {
        close();
      }
    }

    void close() {
      pipes.remove(this);
      for (Socket s : new Socket[] {client, server}) {
        try {
          s.setSoLinger(true, 0); // a reset, as a dropped connection looks to the peers
          s.close();
        } catch (IOException e) {
          // already closed
        }
      }
    }
  }
}
