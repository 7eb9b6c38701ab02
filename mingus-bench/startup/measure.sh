#!/usr/bin/env bash
# Start-up time of `mingus serve` on embedded H2: milliseconds from the launch of the process to
# the first 200 of /health/ready. Each command gets a folder of its own whose H2 file database one
# untimed run created and migrated first (so the timed runs are restarts, as an operator sees
# them); then the commands run in turn, RUNS times each (interleaved, so that a busy machine slows
# all of them alike), and the median of each is printed.
#
#   mingus-bench/startup/measure.sh RUNS COMMAND... [-- COMMAND...]...
#   mingus-bench/startup/measure.sh 9 bin/mingus serve -- java -jar old/mingus.jar serve
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
runs=${1:?usage: measure.sh RUNS COMMAND... [-- COMMAND...]}
shift
commands=()
current=""
for a in "$@"; do
  if [ "$a" = "--" ]; then commands+=("$current"); current=""; continue; fi
  [ -e "$root/$a" ] && a="$root/$a"   # relative paths are the repository's
  current="$current $(printf '%q' "$a")"
done
[ -n "$current" ] && commands+=("$current")

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# one run of command $2 in folder $1: prints milliseconds to ready
run_once() {
  local dir=$1 cmd=$2 port start end pid
  port=$(free_port)
  start=$(date +%s%N)
  ( cd "$dir" && PORT=$port MINGUS_HOST=127.0.0.1 eval exec "$cmd" >"$dir/out.log" 2>&1 ) &
  pid=$!
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
unset DATABASE_URL MINGUS_PROFILE MINGUS_ADMIN_TOKEN || true
declare -A times
for i in "${!commands[@]}"; do
  mkdir -p "$work/$i"
  run_once "$work/$i" "${commands[$i]}" >/dev/null   # creates and migrates ./data/mingus; not counted
done
for r in $(seq 1 "$runs"); do
  for i in "${!commands[@]}"; do
    t=$(run_once "$work/$i" "${commands[$i]}")
    times[$i]="${times[$i]:-} $t"
  done
done
echo "$(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for i in "${!commands[@]}"; do
  median=$(printf '%s\n' ${times[$i]} | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : int((a[NR/2] + a[NR/2+1]) / 2)}')
  echo "median $median ms of$(printf ' %s' ${times[$i]}) ms:${commands[$i]}"
done
