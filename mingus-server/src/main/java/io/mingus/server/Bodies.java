package io.mingus.server;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import io.javalin.http.Context;
import java.io.IOException;
import java.io.InputStream;
import java.time.LocalTime;
import java.util.Collection;
import java.util.List;

/**
 * Reads a request body as one JSON document of a given type, within a size limit. Every way a body
 * can be wrong is a 400 naming the field (by its JSON path) and the rule, never echoing the value;
 * a body over the limit is a 413. Thread-safe.
 */
final class Bodies {
  /**
   * How much of an over-limit body, in multiples of the limit, is read and thrown away before the
   * 413 is sent. A client that does not wait for {@code 100 Continue} is still writing its body
   * when the answer is ready; if the server answered at once and closed, the unread bytes would
   * make the close a TCP reset and the client would lose the 413 (it saw "connection reset" or no
   * response at all). Bodies larger than this are refused without reading them (a chunked one
   * after reading this much).
   */
  private static final long DRAIN_FACTOR = 4;

  private final ObjectMapper mapper;
  private final long maxBytes;

  Bodies(ObjectMapper mapper, long maxBytes) {
    this.mapper = mapper;
    this.maxBytes = maxBytes;
  }

  <T> T read(Context ctx, Class<T> type) {
    HttpEdge.requireJson(ctx);
    byte[] body = bytes(ctx);
    if (body.length == 0) {
      throw HttpProblem.invalid("body", "is required: send a JSON object");
    }
    try {
      T value = mapper.readValue(body, type);
      if (value == null) {
        throw HttpProblem.invalid("body", "must be a JSON object, not null");
      }
      return value;
    } catch (UnrecognizedPropertyException e) {
      String field = path(e);
      throw HttpProblem.invalid("unknown field " + field,
          List.of(new Problem.FieldProblem(field, "is not a known field; allowed: "
              + String.join(", ", e.getKnownPropertyIds().stream().map(String::valueOf).sorted().toList()))));
    } catch (MismatchedInputException e) {
      String field = path(e);
      throw HttpProblem.invalid(field, expected(e.getTargetType(), field));
    } catch (JsonMappingException e) {
      String field = path(e);
      throw HttpProblem.invalid(field, "has a value that is not allowed");
    } catch (InputCoercionException e) {
      throw HttpProblem.invalid("body", "holds a number out of range (at line " + e.getLocation().getLineNr()
          + ", column " + e.getLocation().getColumnNr() + ")");
    } catch (JsonParseException e) {
      throw HttpProblem.invalid("body", "is not well-formed JSON (at line " + e.getLocation().getLineNr()
          + ", column " + e.getLocation().getColumnNr() + ")");
    } catch (JsonProcessingException e) {
      throw HttpProblem.invalid("body", "is not well-formed JSON");
    } catch (IOException e) {
      throw unreadable(e);
    }
  }

  private byte[] bytes(Context ctx) {
    long declared = ctx.req().getContentLengthLong();
    if (declared > maxBytes) {
      throw tooLarge(ctx, declared);
    }
    try (InputStream in = ctx.req().getInputStream()) {
      if (declared >= 0) {
        // one array of the declared size (a 16 KB buffer per request was a fifth of the server's
        // garbage under load); Jetty ends the stream at the declared length
        return in.readNBytes((int) declared);
      }
      // chunked: at most one byte past the limit
      byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
      if (body.length > maxBytes) {
        try {
          discard(in, DRAIN_FACTOR * maxBytes - body.length);
        } catch (IOException e) {
          // the client went away while its surplus was being read: the 413 is still the answer
        }
        throw HttpProblem.tooLarge(maxBytes);
      }
      return body;
    } catch (IOException e) {
      throw unreadable(e);
    }
  }

  /**
   * The 413 for a declared length over the limit. A client that sent {@code Expect: 100-continue}
   * has not sent its body and gets the answer at once; one that is sending anyway has its body
   * read and discarded first when it is at most {@link #DRAIN_FACTOR} times the limit.
   */
  private HttpProblem tooLarge(Context ctx, long declared) {
    String expect = ctx.header("Expect");
    if ((expect == null || !expect.equalsIgnoreCase("100-continue")) && declared <= DRAIN_FACTOR * maxBytes) {
      try (InputStream in = ctx.req().getInputStream()) {
        discard(in, declared);
      } catch (IOException e) {
        // the client went away: the 413 is still the answer, if anyone reads it
      }
    }
    return HttpProblem.tooLarge(maxBytes);
  }

  private static void discard(InputStream in, long atMost) throws IOException {
    byte[] sink = new byte[8192];
    for (long left = atMost; left > 0; ) {
      int n = in.read(sink, 0, (int) Math.min(sink.length, left));
      if (n < 0) {
        return;
      }
      left -= n;
    }
  }

  /**
   * The client went away or stalled: its request, not the server, is at fault, and the problem
   * says so without naming Jetty's exception.
   */
  static HttpProblem unreadable(IOException e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.util.concurrent.TimeoutException || t instanceof java.net.SocketTimeoutException) {
        return HttpProblem.invalid("body", "was not received in time: send the whole body promptly");
      }
    }
    return HttpProblem.invalid("body", "was cut off: the connection ended before the whole body arrived");
  }

  /** The JSON path of the failure: {@code communications[3].user_id}, or {@code body} at the top. */
  private static String path(JsonMappingException e) {
    StringBuilder out = new StringBuilder();
    for (JsonMappingException.Reference ref : e.getPath()) {
      if (ref.getFieldName() != null) {
        if (!out.isEmpty()) {
          out.append('.');
        }
        out.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        out.append('[').append(ref.getIndex()).append(']');
      }
    }
    if (e instanceof UnrecognizedPropertyException u && e.getPath().isEmpty()) {
      return u.getPropertyName();
    }
    return out.isEmpty() ? "body" : out.toString();
  }

  private static String expected(Class<?> type, String field) {
    if (type == null) {
      return "has the wrong type";
    }
    if (type == Long.class || type == long.class || type == Integer.class || type == int.class) {
      return "must be a whole number in range";
    }
    if (type == String.class) {
      return "must be a string";
    }
    if (type == Boolean.class || type == boolean.class) {
      return "must be true or false";
    }
    if (type == LocalTime.class) {
      return "must be a time of day such as \"22:00\"";
    }
    if (Collection.class.isAssignableFrom(type)) {
      return "must be an array";
    }
    if (type.isRecord()) {
      return field.equals("body") ? "must be a JSON object" : "must be an object";
    }
    return "has the wrong type";
  }
}
