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
}
