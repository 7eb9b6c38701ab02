package io.mingus.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A local Twilio-style SMS API for the sends benchmark: {@code POST .../Messages.json} answers
 * {@code 201 {"sid": "SM<key>"}} after a fixed latency, each request on a virtual thread of its own,
 * so a thousand requests wait at once. Counts the requests and the distinct idempotency keys.
 * Thread-safe; {@link #close()} stops it.
 */
final class SmsStub implements AutoCloseable {
  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final Duration latency;
  private final AtomicLong requests = new AtomicLong();
  private final Set<String> keys = ConcurrentHashMap.newKeySet();

  SmsStub(Duration latency) throws IOException {
    this.latency = latency;
    // The JDK server keeps at most 200 idle keep-alive connections by default and closes the others,
    // which a client holding a thousand then finds closed on its next request ("header parser
    // received no bytes"), a failure a real provider's API does not cause. Read once, at its first use.
    System.setProperty("sun.net.httpserver.maxIdleConnections", "8192");
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4096);
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** The API base to give the provider as {@code SMS_API_URL}. */
  String baseUrl() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/2010-04-01";
  }

  long requests() {
    return requests.get();
  }

  long distinctKeys() {
    return keys.size();
  }

  void reset() {
    requests.set(0);
    keys.clear();
  }

  private void handle(HttpExchange ex) throws IOException {
    try (ex; InputStream in = ex.getRequestBody()) {
      in.readAllBytes();
      requests.incrementAndGet();
      String key = ex.getRequestHeaders().getFirst("Idempotency-Key");
      if (key != null) {
        keys.add(key);
      }
      try {
        Thread.sleep(latency);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      byte[] body = ("{\"sid\":\"SM" + key + "\",\"status\":\"queued\"}").getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(201, body.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
