package io.mingus.comms;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.mingus.db.TestEngine;
import java.time.LocalTime;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

// also run through PgBouncer in transaction pooling: the pgbouncer execution of the module's pom
@org.junit.jupiter.api.Tag("pgbouncer")
class UsersTest {

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_new_user_has_default_preferences_and_zero_engagement(TestEngine engine) {
    try (var f = new CommsFixture(engine)) {
      User u = f.comms.createUser(new NewUser("ada@example.com", "+14155550123", "Europe/Paris"));

      assertThat(f.comms.user(u.id())).isEqualTo(u);
      assertThat(u.createdAt()).isEqualTo(CommsFixture.NOON_UTC);
      Preferences p = f.comms.preferences(u.id());
      assertThat(p.smsEnabled()).isTrue();
      assertThat(p.emailEnabled()).isTrue();
      assertThat(p.quietHoursStart()).isNull();
      assertThat(p.dailyLimit()).isEqualTo(10);
      assertThat(f.comms.engagement(u.id())).isEqualTo(new Engagement(u.id(), 0, 0, 0, null));
      assertThat(f.comms.createUser(new NewUser("bob@example.com", null, null)).timezone()).isEqualTo("UTC");
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_taken_email_and_malformed_fields_are_listed_and_nothing_is_written(TestEngine engine) {
    try (var f = new CommsFixture(engine)) {
      f.user("ada@example.com");

      assertThatThrownBy(() -> f.comms.createUser(new NewUser("ada@example.com", "+14155550999", "UTC")))
          .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors())
              .extracting(FieldError::field).containsExactly("email"));
      assertThatThrownBy(() -> f.comms.createUser(new NewUser("not-an-email", "0612345678", "Mars/Olympus")))
          .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors())
              .extracting(FieldError::field).containsExactly("email", "phone", "timezone"));
      assertThat(f.count("SELECT COUNT(*) FROM users")).isEqualTo(1);
      assertThat(f.count("SELECT COUNT(*) FROM communication_preferences")).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void preferences_change_only_where_given(TestEngine engine) {
    try (var f = new CommsFixture(engine)) {
      long id = f.user("ada@example.com").id();
      f.clock.advance(java.time.Duration.ofMinutes(5));

      Preferences p = f.comms.updatePreferences(id,
          new PreferencesUpdate(false, null, LocalTime.of(22, 0), LocalTime.of(7, 0), null, false));
      assertThat(p.smsEnabled()).isFalse();
      assertThat(p.emailEnabled()).isTrue();
      assertThat(p.quietHoursStart()).isEqualTo(LocalTime.of(22, 0));
      assertThat(p.quietHoursEnd()).isEqualTo(LocalTime.of(7, 0));
      assertThat(p.dailyLimit()).isEqualTo(10);
      assertThat(p.updatedAt()).isEqualTo(CommsFixture.NOON_UTC.plusSeconds(300));
      assertThat(f.comms.preferences(id)).isEqualTo(p);
      // Stored as written, whatever the JVM's zone (the tests run in America/New_York on purpose).
      assertThat(f.text("SELECT CAST(quiet_hours_start AS VARCHAR(20)) FROM communication_preferences"))
          .isEqualTo("22:00:00");

      Preferences cleared = f.comms.updatePreferences(id, new PreferencesUpdate(null, null, null, null, 3, true));
      assertThat(cleared.quietHoursStart()).isNull();
      assertThat(cleared.dailyLimit()).isEqualTo(3);
      assertThat(cleared.smsEnabled()).isFalse();
    }
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void bad_preferences_and_unknown_users_are_refused(TestEngine engine) {
    try (var f = new CommsFixture(engine)) {
      long id = f.user("ada@example.com").id();

      assertThatThrownBy(() -> f.comms.updatePreferences(id,
          new PreferencesUpdate(null, null, LocalTime.of(22, 0), null, -1, false)))
          .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors())
              .extracting(FieldError::field).containsExactly("daily_limit", "quiet_hours_end"));
      assertThat(f.comms.preferences(id).dailyLimit()).isEqualTo(10);
      assertThatThrownBy(() -> f.comms.user(id + 1000))
          .isInstanceOfSatisfying(NotFoundException.class, e -> {
            assertThat(e.entity()).isEqualTo("user");
            assertThat(e.id()).isEqualTo(id + 1000);
          });
      assertThatThrownBy(() -> f.comms.preferences(id + 1000)).isInstanceOf(NotFoundException.class);
      assertThatThrownBy(() -> f.comms.engagement(id + 1000)).isInstanceOf(NotFoundException.class);
      assertThatThrownBy(() -> f.comms.communication(12345)).isInstanceOf(NotFoundException.class)
          .hasMessage("communication 12345 does not exist");
    }
  }
}
