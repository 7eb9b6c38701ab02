package io.mingus.db;

/** The engines every behaviour is tested on; tests take one as a parameter. */
public enum TestEngine {
  H2,
  POSTGRESQL
}
