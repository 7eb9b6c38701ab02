#!/bin/sh
cd /tmp/bench/http
export MINGUS_PROFILE=production DATABASE_URL=jdbc:postgresql://127.0.0.1:5432/test DB_USER=postgres \
  DB_SCHEMA=mingus_bench_http PORT=18080 DB_POOL_SIZE=10 DB_MAX_OVERFLOW=10 WORKER_DB_POOL_SIZE=12 \
  WORKER_DB_MAX_OVERFLOW=0 ANALYTICS_DB_POOL_SIZE=1 ANALYTICS_DB_MAX_OVERFLOW=0
exec /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -jar /tmp/bench/mingus-server.jar serve --concurrency 8
