package io.mingus.db;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Streams 1,000,000 rows of about 200 bytes each (some 200 MB of row data) through {@link
 * Session#stream}. Surefire runs this class alone in a JVM with {@code -Xmx64m} (see the {@code
 * small-heap} execution in this module's pom), so it passes only if rows are fetched a few at a
 * time and never held: the guide's {@code yield_per}.
 */
class StreamingSmallHeapTest {
  private static final int ROWS = 1_000_000;

  private record Row(long id, String text) {}

  @ParameterizedTest
  @EnumSource(TestEngine.class)
  void a_million_rows_stream_through_a_small_heap(TestEngine engine) {
    long maxHeap = Runtime.getRuntime().maxMemory();
    // Only the small-heap execution proves anything; -Dtest=... also runs it in the default JVM.
    Assumptions.assumeTrue(maxHeap < 100L * 1024 * 1024,
        "StreamingSmallHeapTest runs in the small-heap surefire execution (-Xmx64m), not with a " + maxHeap + "-byte heap");
    try (TestDb t = TestDb.open(engine, c -> c.poolSize(PoolName.MAIN, 1, 0).poolSize(PoolName.WORKER, 1, 0)
        .poolSize(PoolName.ANALYTICS, 1, 0))) {
      String sql = switch (engine) {
        case POSTGRESQL -> "SELECT g, lpad(g::text, 200, 'x') FROM generate_series(1, ?) g";
        case H2 -> "SELECT X, LPAD(CAST(X AS VARCHAR), 200, 'x') FROM SYSTEM_RANGE(1, ?)";
      };
      long[] result = t.db().fromTransaction(TransactionOptions.analytics("export"), s -> {
        long count = 0;
        long idSum = 0;
        long bytes = 0;
        try (Stream<Row> rows = s.stream(sql, 1000, rs -> new Row(rs.getLong(1), rs.getString(2)), ROWS)) {
          for (var it = rows.iterator(); it.hasNext(); ) {
            Row row = it.next();
            count++;
            idSum += row.id();
            bytes += row.text().length();
          }
        }
        return new long[] {count, idSum, bytes};
      });
      assertThat(result[0]).isEqualTo(ROWS);
      assertThat(result[1]).isEqualTo((long) ROWS * (ROWS + 1) / 2);
      assertThat(result[2]).as("200 characters per row").isEqualTo(200L * ROWS);
      assertThat(result[2]).as("more data than the heap could hold at once").isGreaterThan(2 * maxHeap);
    }
  }
}
