package io.mingus.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.DriverManager;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A smoke run of the empty-scope benchmark's methods on the stub driver, outside JMH. */
class ScopeBenchSmokeTest {

  @ParameterizedTest
  @ValueSource(strings = {"production", "no-proxy"})
  void both_scopes_commit_on_the_stub_driver_and_the_real_drivers_come_back(String config) throws Exception {
    ScopeBench bench = new ScopeBench();
    bench.config = config;
    bench.setUp();
    StubDriver driver = bench.stub.driver;
    try {
      for (int i = 0; i < 100; i++) {
        bench.mingusEmptyScope();
        bench.plainJdbcScope();
      }
      assertThat(bench.db.stats().committed()).isEqualTo(100);
      assertThat(driver.commits.sum()).isEqualTo(200);
      assertThat(driver.connects.sum()).isPositive();
    } finally {
      bench.tearDown();
    }
    assertThat(DriverManager.drivers()).noneMatch(d -> d instanceof StubDriver);
    assertThat(DriverManager.getDriver("jdbc:h2:mem:x").getClass().getName()).isEqualTo("org.h2.Driver");
  }
}
