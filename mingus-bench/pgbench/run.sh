#!/usr/bin/env bash
# What does the database itself charge for a task's completion record in the task's own
# transaction? pgbench (a C client: next to no client CPU), 8 connections, prepared statements,
# the §1 "log communication" transaction with and without a completion, and with a claim of 10
# tasks in a transaction of its own every tenth time (claim-and-complete). See docs/BENCHMARKS.md §3.
# Usage: mingus-bench/pgbench/run.sh [seconds per run] [rounds]
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_PER_RUN=${1:-6}
ROUNDS=${2:-2}
PG="-h 127.0.0.1 -U postgres"
psql $PG -d test -q -v ON_ERROR_STOP=1 -f setup.sql
for round in $(seq "$ROUNDS"); do
  for script in plain plain-extra-round-trip complete-update complete-delete claim-and-complete; do
    tps=$(pgbench $PG -n -M prepared -c 8 -j 2 -T "$SECONDS_PER_RUN" -f "$script.sql" test 2>/dev/null | awk '/^tps/ {print $3}')
    echo "round $round  $script  $tps tx/s"
  done
done
psql $PG -d test -q -c "DROP SCHEMA mingus_pgbench CASCADE"
