package io.mingus.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mingus.db.ConfigurationException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SettingsTest {
  @Test
  void settings_are_read_from_the_environment_and_mask_their_secrets() {
    ServerSettings s = ServerSettings.fromEnvironment(Map.of("PORT", "9090", "MINGUS_ADMIN_TOKEN",
        "a-long-admin-token-123", "MINGUS_API_KEYS", " one , two,,", "MINGUS_HOST", "127.0.0.1"));
    assertThat(s.port()).isEqualTo(9090);
    assertThat(s.host()).isEqualTo("127.0.0.1");
    assertThat(s.apiKeys()).containsExactly("one", "two");
    assertThat(s.toString()).doesNotContain("a-long-admin-token-123", "one", "two").contains("****", "2 keys");
    assertThat(ServerSettings.fromEnvironment(Map.of())).isEqualTo(ServerSettings.defaults());
  }

  @Test
  void a_bad_port_or_a_short_token_is_refused_naming_the_variable() {
    assertThatThrownBy(() -> ServerSettings.fromEnvironment(Map.of("PORT", "http")))
        .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("PORT=http is not allowed");
    assertThatThrownBy(() -> ServerSettings.fromEnvironment(Map.of("PORT", "70000")))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("0 to 65535");
    assertThatThrownBy(() -> ServerSettings.fromEnvironment(Map.of("MINGUS_ADMIN_TOKEN", "short")))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("MINGUS_ADMIN_TOKEN")
        .hasMessageNotContaining("short");
  }

  @Test
  void loopback_addresses_are_recognised_and_others_are_not() {
    assertThat(List.of("127.0.0.1", "::1", "[::1]", "127.1.2.3")).allMatch(Access::isLoopback);
    assertThat(List.of("10.0.0.1", "192.168.1.1", "::ffff:10.0.0.1", "", "example.com")).noneMatch(Access::isLoopback);
  }

  @Test
  void domain_field_names_become_snake_case_paths() {
    assertThat(ProblemMapper.snakeCase("userId")).isEqualTo("user_id");
    assertThat(ProblemMapper.snakeCase("requests[2].messageType")).isEqualTo("requests[2].message_type");
    assertThat(ProblemMapper.snakeCase("daily_limit")).isEqualTo("daily_limit");
  }

  @Test
  void prune_durations_are_short_forms_or_iso_8601() {
    TasksCommand.DurationConverter c = new TasksCommand.DurationConverter();
    assertThat(c.convert("30m")).isEqualTo(Duration.ofMinutes(30));
    assertThat(c.convert("12h")).isEqualTo(Duration.ofHours(12));
    assertThat(c.convert("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(c.convert("P2D")).isEqualTo(Duration.ofDays(2));
    assertThatThrownBy(() -> c.convert("soon")).isInstanceOf(CommandLine.TypeConversionException.class)
        .hasMessageContaining("'soon' is not a duration");
  }
}
