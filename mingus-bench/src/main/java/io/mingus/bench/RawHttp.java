package io.mingus.bench;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * A load generator's HTTP/1.1 client: one keep-alive connection, one request at a time, the
 * request written in one piece and the response read by its {@code Content-Length} (or chunks).
 * It spends a few microseconds of CPU per request where {@link java.net.http.HttpClient} spends
 * tens (its selector thread, futures and header maps), so that on a machine whose cores the server
 * and the database share, the client takes less of them. Reconnects when the server closed the
 * connection. Not thread-safe: one per load thread.
 */
final class RawHttp implements AutoCloseable {
  /** A response: its status and body. */
  record Response(int status, String body) {}

  private final String host;
  private final int port;
  private Socket socket;
  private OutputStream out;
  private InputStream in;

  RawHttp(URI base) {
    this.host = base.getHost();
    this.port = base.getPort() < 0 ? 80 : base.getPort();
  }

  /** Sends {@code method path} with a JSON body and reads the whole response. */
  Response send(String method, String path, String json) throws IOException {
    byte[] body = json.getBytes(StandardCharsets.UTF_8);
    byte[] head = (method + " " + path + " HTTP/1.1\r\nHost: " + host + ":" + port
        + "\r\nContent-Type: application/json\r\nAccept: application/json\r\nContent-Length: " + body.length
        + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] request = new byte[head.length + body.length];
    System.arraycopy(head, 0, request, 0, head.length);
    System.arraycopy(body, 0, request, head.length, body.length);
    if (socket == null) {
      connect();
    }
    try {
      out.write(request);
      out.flush();
      return read();
    } catch (IOException e) {
      // the server closed an idle keep-alive connection: once more on a new one
      close();
      connect();
      out.write(request);
      out.flush();
      return read();
    }
  }

  private void connect() throws IOException {
    Socket s = new Socket();
    s.setTcpNoDelay(true);
    s.connect(new InetSocketAddress(host, port), 5000);
    s.setSoTimeout(30_000);
    socket = s;
    out = s.getOutputStream();
    in = new BufferedInputStream(s.getInputStream(), 16 * 1024);
  }

  private Response read() throws IOException {
    String status = line();
    if (status == null) {
      throw new IOException("the server closed the connection before answering");
    }
    int code = Integer.parseInt(status.substring(9, 12));
    long length = -1;
    boolean chunked = false;
    boolean closeAfter = false;
    for (String h; !(h = header()).isEmpty(); ) {
      int colon = h.indexOf(':');
      String name = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = h.substring(colon + 1).trim();
      switch (name) {
        case "content-length" -> length = Long.parseLong(value);
        case "transfer-encoding" -> chunked = value.toLowerCase(Locale.ROOT).contains("chunked");
        case "connection" -> closeAfter = value.equalsIgnoreCase("close");
        default -> { }
      }
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream(length > 0 ? (int) length : 256);
    if (chunked) {
      for (int size; (size = Integer.parseInt(line().split(";")[0].trim(), 16)) > 0; ) {
        body.write(in.readNBytes(size));
        line();
      }
      while (!line().isEmpty()) {
        // trailers
      }
    } else if (length > 0) {
      body.write(in.readNBytes((int) length));
    }
    if (closeAfter) {
      close();
    }
    return new Response(code, body.toString(StandardCharsets.UTF_8));
  }

  private String header() throws IOException {
    String h = line();
    if (h == null) {
      throw new IOException("the connection ended in the middle of a response's headers");
    }
    return h;
  }

  private String line() throws IOException {
    StringBuilder sb = new StringBuilder(64);
    for (int c; (c = in.read()) != -1; ) {
      if (c == '\n') {
        int n = sb.length();
        return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
      }
      sb.append((char) c);
    }
    if (sb.isEmpty()) {
      return null;
    }
    throw new IOException("the connection ended in the middle of a line");
  }

  @Override
  public void close() {
    if (socket != null) {
      try {
        socket.close();
      } catch (IOException e) {
        // closing anyway
      }
      socket = null;
    }
  }
}
