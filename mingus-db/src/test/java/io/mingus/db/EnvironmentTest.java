package io.mingus.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EnvironmentTest {
  @Test
  void booleans_take_true_false_1_0_yes_no_on_off_in_any_case() {
    Environment env = Environment.of(Map.of("A", "On", "B", "off", "C", " YES ", "D", "0", "E", " "));
    assertThat(env.bool("A", false)).isTrue();
    assertThat(env.bool("B", true)).isFalse();
    assertThat(env.bool("C", false)).isTrue();
    assertThat(env.bool("D", true)).isFalse();
    assertThat(env.bool("E", true)).as("blank is unset").isTrue();
    assertThatThrownBy(() -> Environment.of(Map.of("X", "maybe")).bool("X", true))
        .isInstanceOf(ConfigurationException.class).hasMessage("X=maybe is not allowed: use true or false (also 1/0,"
            + " yes/no, on/off)");
  }

  @Test
  void numbers_and_required_values_fail_with_one_line_naming_the_variable() {
    Environment env = Environment.of(Map.of("N", "12x", "BIG", "70000", "S", "0.5", "CTL", "a\nb" + "c".repeat(100)));
    assertThatThrownBy(() -> env.integer("N", 1, 1, 10)).hasMessage("N=12x is not allowed: use a whole number from 1 to 10");
    assertThatThrownBy(() -> env.integer("BIG", 1, 0, 65_535)).hasMessageContaining("0 to 65535");
    assertThat(env.seconds("S", Duration.ZERO, false)).isEqualTo(Duration.ofMillis(500));
    assertThatThrownBy(() -> env.required("MISSING", "the host", "SMTP_FROM is set"))
        .hasMessage("MISSING is not set (needed because SMTP_FROM is set): set it to the host");
    assertThatThrownBy(() -> env.integer("CTL", 1, 1, 2)).satisfies(e -> {
      assertThat(e.getMessage()).doesNotContain("\n").contains("a?b").contains("...");
    });
  }

  @Test
  void the_database_settings_take_the_same_booleans() {
    DatabaseConfig config = DatabaseConfig.fromEnvironment(Map.of("MINGUS_PROFILE", "testing", "DB_ECHO", "on",
        "DB_PGBOUNCER", "off"));
    assertThat(config.echo()).isTrue();
  }
}
