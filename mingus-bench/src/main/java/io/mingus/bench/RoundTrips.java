package io.mingus.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy in front of PostgreSQL that counts round trips: on each connection, every burst of
 * client bytes that follows server bytes (or opens the connection) is one request, however many
 * protocol messages it holds (pgjdbc sends a pipelined batch, or Parse/Bind/Execute/Sync, in one
 * burst). A burst split by the socket into several reads counts once. For a diagnostic drain only:
 * the copying adds latency. Thread-safe; {@link #close()} stops it and its connections.
 */
final class RoundTrips implements AutoCloseable {
  private final ServerSocket server;
  private final String host;
  private final int port;
  private final AtomicLong trips = new AtomicLong();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile boolean closed;

  RoundTrips(String host, int port) throws IOException {
    this.host = host;
    this.port = port;
    this.server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
    Thread.ofVirtual().name("round-trips-accept").start(this::accept);
  }

  int port() {
    return server.getLocalPort();
  }

  /** Requests sent through the proxy so far. */
  long trips() {
    return trips.get();
  }

  private void accept() {
    while (!closed) {
      try {
        Socket client = server.accept();
        Socket db = new Socket(host, port);
        client.setTcpNoDelay(true);
        db.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(db);
        AtomicBoolean serverSpoke = new AtomicBoolean(true);
        Thread.ofVirtual().start(() -> pump(client, db, serverSpoke, true));
        Thread.ofVirtual().start(() -> pump(db, client, serverSpoke, false));
      } catch (IOException e) {
        if (!closed) {
          System.err.println("round-trip proxy: " + e);
        }
      }
    }
  }

  private void pump(Socket from, Socket to, AtomicBoolean serverSpoke, boolean clientSide) {
    byte[] buf = new byte[64 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      int n;
      while ((n = in.read(buf)) >= 0) {
        if (clientSide) {
          if (serverSpoke.getAndSet(false)) {
            trips.incrementAndGet();
          }
        } else {
          serverSpoke.set(true);
        }
        out.write(buf, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // one side closed: close the other
    } finally {
      try {
        to.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
  }
}
