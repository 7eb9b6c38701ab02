#!/usr/bin/env bash
# Start-up time of `mingus serve` on embedded H2: milliseconds from the launch of the process to
# the first 200 of /health/ready, over N runs (default 7), each in a fresh folder whose H2 file
# database was migrated by one untimed run first (a restart, as an operator sees it). Prints every
# run and the median.
#
#   mingus-bench/startup/measure.sh [runs] [command...]
#   mingus-bench/startup/measure.sh 7 bin/mingus serve
#   mingus-bench/startup/measure.sh 7 "$JAVA_HOME/bin/java" -jar mingus-server/target/mingus.jar serve
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
runs=${1:-7}
shift || true
if [ $# -eq 0 ]; then
  set -- "$root/bin/mingus" serve
fi
# relative paths in the command are the repository's
cmd=()
for a in "$@"; do
  if [ -e "$root/$a" ]; then cmd+=("$root/$a"); else cmd+=("$a"); fi
done

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# one run: prints milliseconds to ready
run_once() {
  local dir=$1 port
  port=$(free_port)
  local start end
  start=$(date +%s%N)
  ( cd "$dir" && PORT=$port MINGUS_HOST=127.0.0.1 exec "${cmd[@]}" >"$dir/out.log" 2>&1 ) &
  local pid=$!
  while ! curl -fs -o /dev/null "http://127.0.0.1:$port/health/ready"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "the server exited before it was ready:" >&2
      cat "$dir/out.log" >&2
      return 1
    fi
    sleep 0.01
  done
  end=$(date +%s%N)
  kill -TERM "$pid"
  wait "$pid" || true
  echo $(( (end - start) / 1000000 ))
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
env -u DATABASE_URL -u MINGUS_PROFILE true
unset DATABASE_URL MINGUS_PROFILE MINGUS_ADMIN_TOKEN || true
run_once "$work" >/dev/null   # creates and migrates ./data/mingus; not counted
times=()
for i in $(seq 1 "$runs"); do
  t=$(run_once "$work")
  echo "run $i: $t ms"
  times+=("$t")
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}')
echo "median of $runs runs: $median ms (${cmd[*]})"
