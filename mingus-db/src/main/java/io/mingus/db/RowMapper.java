package io.mingus.db;

import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * Maps the current row of a result set to a value; see {@link Session#stream}.
 *
 * @param <T> the value of one row
 */
@FunctionalInterface
public interface RowMapper<T> {
  /** The value of the current row; must not move the cursor. */
  T map(ResultSet row) throws SQLException;
}
