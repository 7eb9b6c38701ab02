package io.mingus.db.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.mingus.db.Database;
import io.mingus.db.DatabaseException;
import io.mingus.db.PoolName;
import io.mingus.db.TestDb;
import io.mingus.db.TestEngine;
import io.mingus.db.Transaction;
import io.mingus.db.TransactionOptions;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The pools' {@link Gate}: turns in arrival order, and every turn taken is given back exactly once. */
class GateTest {

  @Test
  void waiting_callers_get_their_turn_in_the_order_they_came() throws Exception {
    Gate gate = new Gate(1);
    assertThat(gate.enter(0)).isTrue();
    List<String> order = new CopyOnWriteArrayList<>();
    Thread first = Thread.ofVirtual().start(() -> takeTurn(gate, "first", order));
    await().atMost(Duration.ofSeconds(5)).until(() -> gate.waiting() == 1);
    Thread second = Thread.ofVirtual().start(() -> takeTurn(gate, "second", order));
    await().atMost(Duration.ofSeconds(5)).until(() -> gate.waiting() == 2);
    gate.leave();
    first.join(5_000);
    second.join(5_000);
    assertThat(order).containsExactly("first", "second");
    assertThat(gate.available()).isEqualTo(1);
  }

  private static void takeTurn(Gate gate, String name, List<String> order) {
    try {
      if (gate.enter(TimeUnit.SECONDS.toNanos(5))) {
        order.add(name);
        gate.leave();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Test
  void a_resize_follows_the_pool_also_while_turns_are_taken() throws Exception {
    Gate gate = new Gate(2);
    assertThat(gate.enter(0)).isTrue();
    assertThat(gate.enter(0)).isTrue();
    gate.resize(1);
    gate.leave();
    assertThat(gate.available()).isZero();
    gate.leave();
    assertThat(gate.available()).isEqualTo(1);
    gate.resize(3);
    assertThat(gate.available()).isEqualTo(3);
  }

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void health_checks_and_every_kind_of_transaction_give_back_exactly_the_turns_they_took(TestEngine engine) {
    try (TestDb t = TestDb.open(engine)) {
      Database db = t.db();
      Pools pools = (Pools) db.pools();
      int max = pools.config(PoolName.MAIN).maxSize();
      for (int i = 0; i < 3; i++) {
        db.health(); // takes its connections straight from Hikari, no turn
      }
      db.inTransaction(s -> s.update("CREATE TABLE g (id INT PRIMARY KEY)"));
      db.inTransaction(TransactionOptions.named("single").withSingleStatement(true),
          s -> s.update("INSERT INTO g VALUES (1)"));
      assertThatThrownBy(() -> db.inTransaction(s -> s.update("INSERT INTO g VALUES (1)")))
          .isInstanceOf(DatabaseException.class);
      try (Transaction tx = db.begin()) {
        tx.session().update("INSERT INTO g VALUES (2)");
        assertThat(pools.pool(PoolName.MAIN).gate().available()).isEqualTo(max - 1);
      }
      assertThat(pools.pool(PoolName.MAIN).gate().available()).isEqualTo(max);
    }
  }

  @Test
  void the_high_water_mark_is_the_most_turns_taken_at_once_since_it_was_last_read() throws Exception {
    Gate gate = new Gate(5);
    for (int i = 0; i < 3; i++) {
      assertThat(gate.enter(0)).isTrue();
    }
    gate.leave();
    gate.leave();
    assertThat(gate.takeHighWater()).isEqualTo(3);
    assertThat(gate.takeHighWater()).as("a new count starts from the turns taken now").isEqualTo(1);
    gate.leave();
    assertThat(gate.takeHighWater()).isEqualTo(1);
    assertThat(gate.takeHighWater()).isZero();
  }

  /**
   * Overflow connections stay open while the load comes back for them within the linger, and
   * close once they went unneeded for as long: no connection is opened twice for a load that
   * keeps needing it.
   */
  @Test
  void overflow_connections_close_only_after_going_unneeded_for_the_linger() throws Exception {
    try (HikariDataSource patientPool = h2Pool("patient"); HikariDataSource quickPool = h2Pool("quick")) {
      Gate patientGate = new Gate(5);
      IdleCap patient = new IdleCap(patientPool, 2, patientGate, Duration.ofHours(1));
      burst(patientPool, patientGate, patient, 5);
      burst(patientPool, patientGate, patient, 4);
      await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
          .until(() -> patientPool.getHikariPoolMXBean().getTotalConnections() == 5);

      Gate quickGate = new Gate(5);
      IdleCap quick = new IdleCap(quickPool, 2, quickGate, Duration.ofMillis(50));
      burst(quickPool, quickGate, quick, 5);
      await().atMost(Duration.ofSeconds(10))
          .until(() -> quickPool.getHikariPoolMXBean().getTotalConnections() == 2);
      assertThat(quickPool.getHikariPoolMXBean().getIdleConnections()).isEqualTo(2);
    }
  }

  private static HikariDataSource h2Pool(String name) {
    HikariConfig c = new HikariConfig();
    c.setPoolName(name);
    c.setJdbcUrl("jdbc:h2:mem:gate-" + name + ";DB_CLOSE_DELAY=-1");
    c.setMaximumPoolSize(5);
    c.setMinimumIdle(0);
    c.setIdleTimeout(0);
    return new HikariDataSource(c);
  }

  /** {@code n} connections taken at once through the gate, then all given back. */
  private static void burst(HikariDataSource pool, Gate gate, IdleCap cap, int n) throws Exception {
    List<Connection> held = new java.util.ArrayList<>();
    for (int i = 0; i < n; i++) {
      assertThat(gate.enter(TimeUnit.SECONDS.toNanos(5))).isTrue();
      held.add(pool.getConnection());
    }
    for (Connection c : held) {
      c.close();
      gate.leave();
      cap.afterReturn();
    }
  }
}
