package io.mingus.db;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.flywaydb.core.api.exception.FlywayValidateException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link Database#migrate}: a start whose database already has every shipped migration skips
 * Flyway (one query); a pending migration runs Flyway; {@code validateMigrations} always does.
 */
class MigrationsTest {
  private static final String LOCATION = "classpath:io/mingus/db/testmigration";

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_database_with_every_migration_skips_flyway_and_a_pending_one_runs_it(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      assertThat(db.migrate("dbtest", LOCATION)).isEqualTo(2);
      assertThat(db.migrate("dbtest", LOCATION)).isZero();
      // a changed checksum is what Flyway's validation refuses: not run, it does not see it
      db.inTransaction(s -> s.update("UPDATE \"mingus_dbtest_history\" SET \"checksum\" = 1 WHERE \"version\" = '2'"));
      assertThat(db.migrate("dbtest", LOCATION)).isZero();
      try (Database validating = Database.builder(db.config()).validateMigrations(true).build()) {
        assertThatThrownBy(() -> validating.migrate("dbtest", LOCATION)).isInstanceOf(FlywayValidateException.class);
      }
      // a migration missing from the history is pending: Flyway runs and applies it
      db.inTransaction(s -> {
        s.update("DELETE FROM \"mingus_dbtest_history\" WHERE \"version\" = '2'");
        s.update("ALTER TABLE items DROP COLUMN name");
      });
      assertThat(db.migrate("dbtest", LOCATION)).isEqualTo(1);
      db.inTransaction(s -> s.update("INSERT INTO items (id, name) VALUES (1, 'one')"));
    }
  }
}
