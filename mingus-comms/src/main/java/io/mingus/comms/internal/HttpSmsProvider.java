package io.mingus.comms.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.mingus.comms.OutgoingSms;
import io.mingus.comms.ProviderException;
import io.mingus.comms.SendResult;
import io.mingus.comms.SmsProvider;
import java.io.IOException;
import io.mingus.db.ConfigurationException;
import io.mingus.db.Environment;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;

/**
 * SMS through a Twilio-style REST API: {@code POST {base}/Accounts/{sid}/Messages.json} with the
 * form fields {@code To}, {@code From}, {@code Body}, basic authentication (account SID, auth
 * token) and an {@code Idempotency-Key} header holding the communication id, so a retried task is
 * recognised by the provider. A 2xx answer's JSON {@code sid} is the provider message id.
 *
 * <p>Outcomes: timeouts, I/O failures, 5xx, 408 and 429 are retryable; other 4xx are permanent and
 * carry the provider's {@code message} (and {@code code}) as the reason. The token never appears in
 * messages, logs or {@link #toString()}. Thread-safe: one {@link HttpClient} serves every call.
 */
public final class HttpSmsProvider implements SmsProvider {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MAX_REASON = 300;

  /**
   * The provider's settings.
   *
   * @param baseUrl the API base, such as {@code https://api.twilio.com/2010-04-01}
   * @param accountSid the account; also the basic-auth user
   * @param authToken the secret; the basic-auth password
   * @param from the sender number (E.164) or messaging service
   * @param connectTimeout how long to wait for a connection
   * @param requestTimeout how long to wait for the whole answer
   */
  public record Config(URI baseUrl, String accountSid, String authToken, String from, Duration connectTimeout,
      Duration requestTimeout) {
    /** Refuses missing values. */
    public Config {
      Objects.requireNonNull(baseUrl, "baseUrl");
      Objects.requireNonNull(accountSid, "accountSid");
      Objects.requireNonNull(authToken, "authToken");
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(connectTimeout, "connectTimeout");
      Objects.requireNonNull(requestTimeout, "requestTimeout");
    }

    @Override
    public String toString() {
      return "HttpSmsProvider.Config[baseUrl=" + baseUrl + ", accountSid=" + accountSid + ", authToken=****, from="
          + from + ", connectTimeout=" + connectTimeout + ", requestTimeout=" + requestTimeout + "]";
    }
  }

  private final Config config;
  private final HttpClient client;
  private final URI endpoint;
  private final String authorization;

  /** A provider with these settings. */
  public HttpSmsProvider(Config config) {
    this.config = Objects.requireNonNull(config, "config");
    this.client = HttpClient.newBuilder().connectTimeout(config.connectTimeout()).build();
    String base = config.baseUrl().toString().replaceAll("/+$", "");
    this.endpoint = URI.create(base + "/Accounts/" + URLEncoder.encode(config.accountSid(), StandardCharsets.UTF_8)
        + "/Messages.json");
    this.authorization = "Basic " + Base64.getEncoder().encodeToString(
        (config.accountSid() + ":" + config.authToken()).getBytes(StandardCharsets.UTF_8));
  }

  /**
   * The provider from {@code SMS_API_URL}, {@code SMS_ACCOUNT_SID}, {@code SMS_AUTH_TOKEN}, {@code
   * SMS_FROM} (all required) and {@code SMS_TIMEOUT_SECONDS} (default 10; the connect timeout is
   * half of it).
   *
   * @throws ConfigurationException with one line naming the variable that is missing or malformed
   */
  public static HttpSmsProvider fromEnvironment(Map<String, String> variables) {
    Environment env = Environment.of(variables);
    String url = env.required("SMS_API_URL", "the API base URL, such as https://api.twilio.com/2010-04-01", null);
    URI base = null;
    try {
      base = URI.create(url);
    } catch (IllegalArgumentException e) {
      // reported below
    }
    if (base == null || base.getScheme() == null || !base.getScheme().matches("https?") || base.getHost() == null) {
      throw Environment.bad("SMS_API_URL", url, "an http(s) URL of the API base, such as"
          + " https://api.twilio.com/2010-04-01");
    }
    int timeout = env.integer("SMS_TIMEOUT_SECONDS", 10, 1, 300);
    String because = "SMS_API_URL is set";
    return new HttpSmsProvider(new Config(base,
        env.required("SMS_ACCOUNT_SID", "the account SID", because),
        env.required("SMS_AUTH_TOKEN", "the auth token", because),
        env.required("SMS_FROM", "the sender number in E.164 form", because),
        Duration.ofMillis(timeout * 500L), Duration.ofSeconds(timeout)));
  }


  @Override
  public String name() {
    return "http-sms";
  }

  @Override
  public SendResult send(OutgoingSms sms) {
    String form = "To=" + enc(sms.to()) + "&From=" + enc(config.from()) + "&Body=" + enc(sms.body());
    HttpRequest request = HttpRequest.newBuilder(endpoint)
        .timeout(config.requestTimeout())
        .header("Authorization", authorization)
        .header("Idempotency-Key", sms.idempotencyKey())
        .header("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
        .header("Accept", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(form, StandardCharsets.UTF_8))
        .build();
    HttpResponse<String> response;
    try {
      response = client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (HttpTimeoutException e) {
      throw new ProviderException("SMS API " + endpoint + " did not answer within " + config.requestTimeout()
          + " for communication " + sms.communicationId(), true, e);
    } catch (IOException e) {
      throw new ProviderException("SMS API " + endpoint + " could not be reached for communication "
          + sms.communicationId() + ": " + e, true, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ProviderException("interrupted while sending communication " + sms.communicationId(), true, e);
    }
    return outcome(response, sms.communicationId());
  }

  private SendResult outcome(HttpResponse<String> response, long communicationId) {
    int status = response.statusCode();
    if (status >= 200 && status < 300) {
      JsonNode sid = parse(response.body()).path("sid");
      return new SendResult(sid.isTextual() ? sid.asText() : null);
    }
    boolean retryable = status >= 500 || status == 408 || status == 429;
    throw new ProviderException("SMS API answered HTTP " + status + " for communication " + communicationId + ": "
        + reason(response.body()), retryable);
  }

  private static String reason(String body) {
    JsonNode json = parse(body);
    String message = json.path("message").isTextual() ? json.path("message").asText() : body;
    if (message == null || message.isBlank()) {
      message = "(no message)";
    }
    if (json.path("code").isNumber()) {
      message = message + " (code " + json.path("code").asInt() + ")";
    }
    return message.length() > MAX_REASON ? message.substring(0, MAX_REASON) + "..." : message;
  }

  private static JsonNode parse(String body) {
    try {
      return body == null || body.isBlank() ? JSON.missingNode() : JSON.readTree(body);
    } catch (IOException e) {
      return JSON.missingNode();
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return "HttpSmsProvider[" + config + "]";
  }
}
