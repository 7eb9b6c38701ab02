package io.mingus.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Configuration from the environment; no database is touched, so these run once, not per engine. */
class ConfigTest {
  private static final String SECRET = "s3cr3t-Pa55";

  private static Map<String, String> env(String... pairs) {
    Map<String, String> env = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      env.put(pairs[i], pairs[i + 1]);
    }
    return env;
  }

  private static void assertPool(PoolConfig p, int size, int overflow, int recycleSeconds, int timeoutSeconds) {
    assertThat(p.poolSize()).as(p.name() + " pool_size").isEqualTo(size);
    assertThat(p.maxOverflow()).as(p.name() + " max_overflow").isEqualTo(overflow);
    assertThat(p.recycle()).as(p.name() + " recycle").isEqualTo(Duration.ofSeconds(recycleSeconds));
    assertThat(p.timeout()).as(p.name() + " timeout").isEqualTo(Duration.ofSeconds(timeoutSeconds));
  }

  @Test
  void production_has_the_guides_pool_defaults() {
    DatabaseConfig c = DatabaseConfig.fromEnvironment(
        env("MINGUS_PROFILE", "production", "DATABASE_URL", "postgresql://app@db.example:5432/mingus"));
    assertThat(c.profile()).isEqualTo(Profile.PRODUCTION);
    assertPool(c.main(), 20, 30, 3600, 30);
    assertPool(c.worker(), 10, 20, 1800, 30);
    assertPool(c.analytics(), 5, 10, 7200, 60);
    assertThat(c.main().maxSize()).isEqualTo(50);
    assertThat(c.maxConnections()).isEqualTo(50 + 30 + 15);
    assertThat(c.analytics().readOnly()).isTrue();
    assertThat(c.main().readOnly()).isFalse();
    assertThat(c.echo()).isFalse();
    assertThat(c.monitoring()).isTrue();
    assertThat(c.healthCheckInterval()).isEqualTo(Duration.ofSeconds(300));
    assertThat(c.dialect()).isEqualTo(Dialect.POSTGRESQL);
  }

  @Test
  void development_uses_small_pools_no_echo_and_an_h2_file_under_data() {
    DatabaseConfig c = DatabaseConfig.fromEnvironment(env());
    assertThat(c.profile()).isEqualTo(Profile.DEVELOPMENT);
    assertPool(c.main(), 5, 10, 1800, 30);
    assertThat(c.echo()).isFalse();
    assertThat(c.echoPool()).isFalse();
    assertThat(c.monitoring()).isTrue();
    assertThat(c.healthCheckInterval()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.main().jdbcUrl()).startsWith("jdbc:h2:file:./data/");
    assertThat(c.dialect()).isEqualTo(Dialect.H2);
  }

  @Test
  void testing_uses_pools_of_one_without_monitoring_and_an_in_memory_h2() {
    DatabaseConfig c = DatabaseConfig.fromEnvironment(env("MINGUS_PROFILE", "TESTING"));
    for (PoolName name : PoolName.values()) {
      assertThat(c.pool(name).poolSize()).isEqualTo(1);
      assertThat(c.pool(name).maxOverflow()).isZero();
    }
    assertThat(c.monitoring()).isFalse();
    assertThat(c.echo()).isTrue();
    assertThat(c.main().jdbcUrl()).startsWith("jdbc:h2:mem:");
  }

  @Test
  void each_variable_overrides_its_default() {
    DatabaseConfig c = DatabaseConfig.fromEnvironment(env("MINGUS_PROFILE", "production",
        "DATABASE_URL", "postgresql://app@db:5432/mingus", "DB_POOL_SIZE", "7", "DB_MAX_OVERFLOW", "0",
        "DB_POOL_RECYCLE", "0", "DB_POOL_TIMEOUT", "2.5", "WORKER_DB_POOL_SIZE", "3", "ANALYTICS_DB_POOL_TIMEOUT", "0.25",
        "DB_ECHO", "yes", "DB_ENABLE_MONITORING", "off", "DB_SLOW_QUERY_MS", "250", "DB_LEAK_DETECTION_MS", "0",
        "DB_SCHEMA", "app"));
    assertThat(c.main().poolSize()).isEqualTo(7);
    assertThat(c.main().maxOverflow()).isZero();
    assertThat(c.main().recycle()).isZero();
    assertThat(c.main().timeout()).isEqualTo(Duration.ofMillis(2500));
    assertThat(c.worker().poolSize()).isEqualTo(3);
    assertThat(c.analytics().timeout()).isEqualTo(Duration.ofMillis(250));
    assertThat(c.echo()).isTrue();
    assertThat(c.monitoring()).isFalse();
    assertThat(c.slowQueryThreshold()).isEqualTo(Duration.ofMillis(250));
    assertThat(c.schema()).isEqualTo("app");
  }

  @Test
  void the_guides_celery_variables_are_accepted_for_the_worker_pool() {
    DatabaseConfig c = DatabaseConfig.fromEnvironment(env("MINGUS_PROFILE", "production",
        "DATABASE_URL", "postgresql://app@db:5432/mingus", "CELERY_DB_POOL_SIZE", "12", "CELERY_DB_MAX_OVERFLOW", "4",
        "CELERY_DB_POOL_RECYCLE", "600", "CELERY_DB_POOL_TIMEOUT", "9"));
    assertPool(c.worker(), 12, 4, 600, 9);
  }

  @Test
  void the_worker_name_wins_over_its_celery_alias() {
    DatabaseConfig c = DatabaseConfig.fromEnvironment(
        env("MINGUS_PROFILE", "testing", "WORKER_DB_POOL_SIZE", "6", "CELERY_DB_POOL_SIZE", "12"));
    assertThat(c.worker().poolSize()).isEqualTo(6);
  }

  @Test
  void a_bad_celery_alias_is_reported_under_its_own_name() {
    assertThatThrownBy(() -> DatabaseConfig.fromEnvironment(env("MINGUS_PROFILE", "testing",
        "CELERY_DB_POOL_TIMEOUT", "0.1")))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("CELERY_DB_POOL_TIMEOUT=0.1 is not allowed");
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(delimiter = '|', textBlock = """
      DB_POOL_SIZE                | abc   | a whole number of 1 or more
      DB_POOL_SIZE                | 0     | a whole number of 1 or more
      DB_POOL_SIZE                | -1    | a whole number of 1 or more
      DB_POOL_SIZE                | 2.5   | a whole number of 1 or more
      DB_MAX_OVERFLOW             | -1    | a whole number of 0 or more
      WORKER_DB_MAX_OVERFLOW      | many  | a whole number of 0 or more
      DB_POOL_TIMEOUT             | -5    | a number of seconds above 0
      DB_POOL_TIMEOUT             | 0     | a number of seconds above 0
      DB_POOL_TIMEOUT             | 0.1   | at least 0.25 seconds (HikariCP's minimum connectionTimeout)
      DB_POOL_TIMEOUT             | abc   | a number of seconds above 0
      ANALYTICS_DB_POOL_TIMEOUT   | 1e999 | a number of seconds above 0
      DB_POOL_RECYCLE             | 10    | 0 (never recycle) or at least 30 seconds (HikariCP's minimum maxLifetime)
      DB_POOL_RECYCLE             | -1    | a number of seconds of 0 or more
      MINGUS_PROFILE              | prod  | production, development or testing
      DB_ECHO                     | maybe | true or false (also 1/0, yes/no, on/off)
      DB_ECHO_POOL                | 2     | true or false (also 1/0, yes/no, on/off)
      DB_ENABLE_MONITORING        | ja    | true or false (also 1/0, yes/no, on/off)
      DB_SLOW_QUERY_MS            | -3    | a whole number of 0 or more
      DB_LEAK_DETECTION_MS        | soon  | a whole number of 0 or more
      DB_HEALTH_CHECK_INTERVAL    | 0     | a whole number of 1 or more
      """)
  void a_bad_value_stops_with_one_line_naming_the_variable_the_value_and_what_is_allowed(
      String variable, String value, String allowed) {
    Map<String, String> env = env("MINGUS_PROFILE", "testing",
        "DATABASE_URL", "postgresql://app:" + SECRET + "@db:5432/mingus");
    env.put(variable, value);
    assertThatThrownBy(() -> DatabaseConfig.fromEnvironment(env))
        .isInstanceOf(ConfigurationException.class)
        .hasMessage(variable + "=" + value + " is not allowed: use " + allowed)
        .hasMessageNotContaining(SECRET)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void a_postgresql_url_becomes_a_jdbc_url_a_user_and_a_decoded_password() {
    DatabaseConfig c = DatabaseConfig.fromEnvironment(env("MINGUS_PROFILE", "production",
        "DATABASE_URL", "postgresql://mingus_app:p%40ss+w%3Ard@db.internal:5432/mingus?sslmode=require"));
    assertThat(c.main().jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:5432/mingus?sslmode=require");
    assertThat(c.main().username()).isEqualTo("mingus_app");
    assertThat(c.main().password()).isEqualTo("p@ss+w:rd");
    assertThat(c.worker().jdbcUrl()).isEqualTo(c.main().jdbcUrl());
    assertThat(c.analytics().password()).isEqualTo("p@ss+w:rd");
  }

  @Test
  void the_guides_url_form_with_an_encoded_at_sign_in_the_password() {
    DatabaseConfig c = DatabaseConfig.fromEnvironment(env("MINGUS_PROFILE", "production",
        "DATABASE_URL", "postgresql://user:p%40ss@host:5432/db"));
    assertThat(c.main().jdbcUrl()).isEqualTo("jdbc:postgresql://host:5432/db");
    assertThat(c.main().username()).isEqualTo("user");
    assertThat(c.main().password()).isEqualTo("p@ss");
    assertThat(c.toString()).doesNotContain("p@ss").doesNotContain("p%40ss");
  }

  @Test
  void postgres_scheme_and_jdbc_urls_are_accepted_too() {
    DatabaseConfig c = DatabaseConfig.fromEnvironment(env("MINGUS_PROFILE", "production",
        "DATABASE_URL", "postgres://u@h/db"));
    assertThat(c.main().jdbcUrl()).isEqualTo("jdbc:postgresql://h/db");
    DatabaseConfig jdbc = DatabaseConfig.fromEnvironment(env("MINGUS_PROFILE", "production",
        "DATABASE_URL", "jdbc:postgresql://h:5433/db", "DB_USER", "u", "DB_PASSWORD", SECRET));
    assertThat(jdbc.main().jdbcUrl()).isEqualTo("jdbc:postgresql://h:5433/db");
    assertThat(jdbc.main().password()).isEqualTo(SECRET);
    assertThat(jdbc.toString()).doesNotContain(SECRET);
  }

  @Test
  void the_analytics_pool_may_point_at_a_replica() {
    DatabaseConfig c = DatabaseConfig.fromEnvironment(env("MINGUS_PROFILE", "production",
        "DATABASE_URL", "postgresql://app@primary:5432/mingus",
        "ANALYTICS_DATABASE_URL", "postgresql://reader:" + SECRET + "@replica:5432/mingus"));
    assertThat(c.main().jdbcUrl()).isEqualTo("jdbc:postgresql://primary:5432/mingus");
    assertThat(c.analytics().jdbcUrl()).isEqualTo("jdbc:postgresql://replica:5432/mingus");
    assertThat(c.analytics().username()).isEqualTo("reader");
    assertThat(c.toString()).doesNotContain(SECRET).contains("replica");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      mysql://app:s3cr3t-Pa55@db:3306/mingus        | its scheme 'mysql' is not supported
      jdbc:mysql://db/mingus?password=s3cr3t-Pa55   | its scheme 'jdbc' is not supported
      postgresql://app:s3cr3t-Pa55@/mingus           | it must name a host and a database
      postgresql://app:s3cr3t-Pa55@db:5432           | it must name a host and a database
      postgresql://app:s3cr3t-Pa55@db:5432/mi ngus   | it is not a valid URL
      postgresql://app:s3cr3t-Pa55@x@db:5432/mingus  | an unencoded @
      postgresql://app:s3cr3t-Pa55%zz@db:5432/mingus | Malformed escape pair
      """)
  void a_bad_url_is_refused_without_showing_its_password(String url, String reason) {
    assertThatThrownBy(() -> DatabaseConfig.fromEnvironment(env("MINGUS_PROFILE", "production", "DATABASE_URL", url)))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("DATABASE_URL=")
        .hasMessageContaining(" is not allowed: ")
        .hasMessageContaining(reason)
        .hasMessageNotContaining("s3cr3t")
        .hasMessageNotContaining("Pa55")
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
  }

  @Test
  void production_without_database_url_stops_and_says_what_to_set() {
    assertThatThrownBy(() -> DatabaseConfig.fromEnvironment(env("MINGUS_PROFILE", "production")))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageStartingWith("DATABASE_URL is not set")
        .hasMessageContaining("postgresql://")
        .hasMessageContaining("MINGUS_PROFILE=development");
  }

  @Test
  void the_password_never_appears_in_to_string() {
    DatabaseConfig c = DatabaseConfig.fromEnvironment(env("MINGUS_PROFILE", "production",
        "DATABASE_URL", "postgresql://app:" + SECRET + "@db:5432/mingus"));
    assertThat(c.main().password()).isEqualTo(SECRET);
    assertThat(c.toString()).doesNotContain(SECRET).contains("user=app");
    for (PoolName name : PoolName.values()) {
      assertThat(c.pool(name).toString()).doesNotContain(SECRET);
    }
    PoolConfig withParam = c.main().withUrl("jdbc:postgresql://db/mingus?user=app&password=" + SECRET, "app", SECRET);
    assertThat(withParam.toString()).doesNotContain(SECRET).contains("password=***");
  }

  @Test
  void builder_values_are_validated_with_the_same_rules() {
    DatabaseConfig c = DatabaseConfig.defaults(Profile.TESTING, "jdbc:h2:mem:x", "sa", null);
    assertThatThrownBy(() -> c.toBuilder().poolSize(PoolName.MAIN, 0, 0).build())
        .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("DB_POOL_SIZE=0 is not allowed");
    assertThatThrownBy(() -> c.toBuilder().poolTimeout(PoolName.ANALYTICS, Duration.ofMillis(100)).build())
        .isInstanceOf(ConfigurationException.class).hasMessageStartingWith("ANALYTICS_DB_POOL_TIMEOUT=0.1 is not allowed");
    assertThatThrownBy(() -> c.toBuilder().url("jdbc:mysql://db/x", "u", SECRET).build())
        .isInstanceOf(ConfigurationException.class).hasMessageNotContaining(SECRET);
    assertThatThrownBy(() -> c.toBuilder().schema("bad;schema").build())
        .isInstanceOf(ConfigurationException.class);
  }

  @Test
  void capacity_report_counts_what_each_role_may_open_and_how_many_such_processes_the_server_takes() {
    DatabaseConfig c = DatabaseConfig.fromEnvironment(env("MINGUS_PROFILE", "production",
        "DATABASE_URL", "postgresql://app@db:5432/mingus"));
    assertThat(Capacity.report(c, ProcessRole.ALL, 300, 3))
        .contains("role all may open up to 96 connections (main 50 + worker 30 + analytics 15 + 1 for LISTEN)")
        .contains("accepts 297 (max_connections 300 - 3 reserved)")
        .contains("3 processes of this role at full size");
    assertThat(Capacity.report(c, ProcessRole.WEB, 300, 3))
        .contains("role web may open up to 65 connections (main 50 + analytics 15)")
        .contains("4 processes of this role");
    assertThat(Capacity.report(c, ProcessRole.WORKER, 300, 3))
        .contains("role worker may open up to 81 connections (worker 30 + main 50 only when a task uses it"
            + " + 1 for LISTEN)")
        .contains("3 processes of this role");
    DatabaseConfig small = c.toBuilder().poolSize(PoolName.MAIN, 1, 1).poolSize(PoolName.WORKER, 6, 2).build();
    assertThat(Capacity.report(small, ProcessRole.WORKER, 100, 3))
        .contains("up to 11 connections (worker 8 + main 2 only when a task uses it + 1 for LISTEN)")
        .contains("8 processes of this role");
    try (LogCapture logs = LogCapture.of(ch.qos.logback.classic.Level.INFO, "io.mingus.db.Capacity")) {
      assertThat(Capacity.report(c, ProcessRole.WEB, 50, 3)).contains("0 processes");
      assertThat(logs.messages(ch.qos.logback.classic.Level.WARN)).singleElement().asString()
          .contains("fewer than one").contains("DB_/ANALYTICS_DB_ POOL_SIZE").contains("PgBouncer");
    }
  }

  @Test
  void defaults_of_every_profile_can_be_built_for_a_given_url() {
    for (Profile profile : Profile.values()) {
      DatabaseConfig c = DatabaseConfig.defaults(profile, "jdbc:postgresql://db:5432/mingus", "mingus", "secret");
      assertThat(c.profile()).isEqualTo(profile);
      assertThat(c.main().jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/mingus");
      assertThat(c.analytics().password()).isEqualTo("secret");
    }
  }
}
