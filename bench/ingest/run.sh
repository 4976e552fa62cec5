#!/usr/bin/env bash
# The ingest benchmark (bench/ingest/README.md): a fresh `lagoa server` and a fresh Redis (AOF,
# appendfsync always) on this machine, the same two closed-loop scenarios against each, a table of
# figures with the lagoa/Redis ratio, and the targets met or missed. Everything it starts is stopped
# on exit; everything it writes is in one temporary directory that is removed on exit.
#
# Settings (environment):
#   LAGOA_BIN, LOADGEN_BIN       binaries (default: $BUILD_DIR/src/cli/lagoa, $BUILD_DIR/bench/lagoa_load_generator)
#   BUILD_DIR                    default build/release
#   BENCH_SECONDS                measured seconds per scenario (20)
#   BENCH_WARMUP_SECONDS         load before measuring, per scenario (2)
#   BENCH_SCENARIOS              "a b" (a: 8 connections × 1,000-event batches; b: 64 connections × 1 event)
#   LOADGEN_THREADS              load generator threads (1)
#   REDIS_A_PIPELINE             XADDs in flight per connection in (a) (1000: one HTTP batch's worth)
#   REDIS_B_PIPELINE             XADDs in flight per connection in (b) (1: one event per round trip, like HTTP)
#   BENCH_TMPDIR                 parent of the work directory; must be on the disk under test (${TMPDIR:-/tmp})
#   BENCH_KEEP=1                 keep the work directory (data, logs, raw outputs)
#   BENCH_SKIP_REDIS=1           lagoa only
#   BENCH_SKIP_LAGOA=1           Redis only
#   LAGOA_EXTRA_ARGS             more `lagoa server` flags, e.g. "--http-threads 2"
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${BUILD_DIR:-build/release}
[[ $build_dir = /* ]] || build_dir=$repo/$build_dir
lagoa_bin=${LAGOA_BIN:-$build_dir/src/cli/lagoa}
loadgen_bin=${LOADGEN_BIN:-$build_dir/bench/lagoa_load_generator}
seconds=${BENCH_SECONDS:-20}
warmup_seconds=${BENCH_WARMUP_SECONDS:-2}
scenarios=${BENCH_SCENARIOS:-a b}
loadgen_threads=${LOADGEN_THREADS:-1}
redis_a_pipeline=${REDIS_A_PIPELINE:-1000}
redis_b_pipeline=${REDIS_B_PIPELINE:-1}
redis_server=${REDIS_SERVER:-redis-server}
a_connections=8
a_batch=1000
b_connections=64

die() { echo "run.sh: $*" >&2; exit 1; }
for tool in curl jq awk; do command -v "$tool" >/dev/null || die "needs $tool"; done
[[ ${BENCH_SKIP_LAGOA:-0} = 1 || -x $lagoa_bin ]] || die "no lagoa binary at $lagoa_bin (build it, or set LAGOA_BIN)"
[[ -x $loadgen_bin ]] || die "no load generator at $loadgen_bin (ninja lagoa_load_generator, or set LOADGEN_BIN)"
if [[ ${BENCH_SKIP_REDIS:-0} != 1 ]]; then
  command -v "$redis_server" >/dev/null || die "no $redis_server (set BENCH_SKIP_REDIS=1 to skip Redis)"
  command -v redis-cli >/dev/null || die "no redis-cli"
fi

work=$(mktemp -d "${BENCH_TMPDIR:-${TMPDIR:-/tmp}}/lagoa-bench.XXXXXX")
lagoa_pid=""
redis_pid=""

# Stops a process this script started: SIGTERM, up to 60 s to finish, then SIGKILL.
stop_process() {
  local pid=$1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    echo "run.sh: pid $pid did not stop in 60 s; killing it" >&2
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  stop_process "$lagoa_pid"
  stop_process "$redis_pid"
  if [[ ${BENCH_KEEP:-0} = 1 ]]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rss_mib() { awk '/^VmRSS:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
hwm_mib() { awk '/^VmHWM:/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
clock_ticks=$(getconf CLK_TCK)
# User + system CPU seconds a process has used (fields 14 and 15; the name in field 2 has no spaces here).
cpu_seconds() { awk -v hz="$clock_ticks" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }

# ---------------------------------------------------------------------------------------------- machine
echo "== machine"
cpu_model=$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)
fs_type=$(df -T "$work" | awk 'NR == 2 {print $2 " on " $1}')
mem_total=$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
echo "date:        $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "cpus:        $(nproc) × ${cpu_model:-unknown}"
echo "memory:      $mem_total"
echo "kernel:      $(uname -sr)"
echo "work dir:    $work ($fs_type)"
echo "load avg:    $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews the figures)"
echo "commit:      $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$repo" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
# How long one small synchronous write takes on this disk: the floor under every acknowledgement.
probe=$(dd if=/dev/zero of="$work/fsync-probe" bs=4k count=200 oflag=dsync 2>&1 | awk '/copied/ {print $(NF-3)}' | tr , .)
rm -f "$work/fsync-probe"
echo "sync write:  $(awk -v s="${probe:-0}" 'BEGIN {printf "%.2f ms per 4 KiB O_DSYNC write (dd, 200 writes)", s * 1000 / 200}')"
echo "scenarios:   ${seconds} s measured after ${warmup_seconds} s warm-up each; load generator threads: $loadgen_threads"

declare -A result      # "<system>_<scenario>" → the load generator's JSON line
declare -A server_cores  # "<system>_<scenario>" → CPU cores the server kept busy (warm-up included)
declare -A log_stats     # "lagoa_<scenario>" → fdatasync calls and the log's own append latency
server_pid=""            # the server under test, for CPU accounting
metrics_url=""           # lagoa's /metrics, read before and after each scenario

metric() { awk -v n="$1" '$1 == n {print $2}' "$2"; }

# Runs one scenario and keeps its JSON line in result[$1].
run_load() {
  local name=$1
  shift
  local out="$work/$name.out" cpu_before
  cpu_before=$(cpu_seconds "$server_pid")
  [[ -n $metrics_url ]] && curl -sS "$metrics_url" >"$work/$name.metrics0" 2>/dev/null
  if ! "$loadgen_bin" "$@" --seconds "$seconds" --warmup-seconds "$warmup_seconds" --threads "$loadgen_threads" \
      >"$out" 2>"$work/$name.err"; then
    echo "  load generator failed for $name:" >&2
    cat "$out" "$work/$name.err" >&2
  fi
  server_cores[$name]=$(awk -v a="$cpu_before" -v b="$(cpu_seconds "$server_pid")" -v t="$seconds" -v w="$warmup_seconds" \
    'BEGIN {printf "%.2f", (b - a) / (t + w)}')
  result[$name]=$(grep -m1 '^{' "$out" || echo '{}')
  echo "  $(grep -v '^{' "$out" | head -1)"
  if [[ -n $metrics_url ]] && curl -sS "$metrics_url" >"$work/$name.metrics1" 2>/dev/null; then
    local m0="$work/$name.metrics0" m1="$work/$name.metrics1"
    log_stats[$name]=$(awk -v c0="$(metric lagoa_log_fsync_seconds_count "$m0")" -v c1="$(metric lagoa_log_fsync_seconds_count "$m1")" \
      -v s0="$(metric lagoa_log_fsync_seconds_sum "$m0")" -v s1="$(metric lagoa_log_fsync_seconds_sum "$m1")" \
      -v b0="$(metric lagoa_log_appended_batches_total "$m0")" -v b1="$(metric lagoa_log_appended_batches_total "$m1")" \
      -v a0="$(metric lagoa_log_append_seconds_count "$m0")" -v a1="$(metric lagoa_log_append_seconds_count "$m1")" \
      -v as0="$(metric lagoa_log_append_seconds_sum "$m0")" -v as1="$(metric lagoa_log_append_seconds_sum "$m1")" \
      'BEGIN {f = c1 - c0; b = b1 - b0; a = a1 - a0;
              printf "%d fdatasync (mean %.2f ms), %.1f batches per sync, log append mean %.2f ms", f,
                     (f > 0 ? (s1 - s0) * 1000 / f : 0), (f > 0 ? b / f : 0), (a > 0 ? (as1 - as0) * 1000 / a : 0)}')
    echo "    server: ${server_cores[$name]} cores busy; log: ${log_stats[$name]} (whole scenario incl. warm-up)"
  else
    echo "    server: ${server_cores[$name]} cores busy"
  fi
}

# ---------------------------------------------------------------------------------------------- lagoa
lagoa_rss_idle="" lagoa_rss_load="" lagoa_rss_peak="" lagoa_rss_after="" lagoa_cpu=""
if [[ ${BENCH_SKIP_LAGOA:-0} != 1 ]]; then
  echo
  echo "== lagoa ($lagoa_bin)"
  "$lagoa_bin" server --data-dir "$work/lagoa" --http 127.0.0.1:0 --free-space-min-bytes 0 \
    --free-space-min-percent 0 ${LAGOA_EXTRA_ARGS:-} >"$work/lagoa.out" 2>"$work/lagoa.err" &
  lagoa_pid=$!
  server_pid=$lagoa_pid
  url=""
  for _ in $(seq 600); do
    url=$(sed -n 's/^lagoa is ready: \(http:\/\/[^ ]*\) (data: .*)$/\1/p' "$work/lagoa.out")
    [[ -n $url ]] && break
    kill -0 "$lagoa_pid" 2>/dev/null || { tail -20 "$work/lagoa.err" >&2; die "lagoa exited before it was ready"; }
    sleep 0.1
  done
  [[ -n $url ]] || { tail -20 "$work/lagoa.err" >&2; die "lagoa not ready after 60 s"; }
  sleep 2
  lagoa_rss_idle=$(rss_mib "$lagoa_pid")
  echo "  ready at $url (pid $lagoa_pid); idle RSS ${lagoa_rss_idle} MiB"

  schema=$("$loadgen_bin" schema)
  code=$(curl -sS -o "$work/create.json" -w '%{http_code}' -X PUT "$url/v1/streams/bench" \
    -H 'Content-Type: application/json' -d "{\"schema\":\"$schema\"}")
  [[ $code = 200 || $code = 201 ]] || die "creating the stream answered $code: $(cat "$work/create.json")"

  lagoa_cpu_before=$(cpu_seconds "$lagoa_pid")
  metrics_url="$url/metrics"
  for s in $scenarios; do
    case $s in
      a) run_load lagoa_a http --url "$url" --stream bench --connections $a_connections --batch $a_batch ;;
      b) run_load lagoa_b http --url "$url" --stream bench --connections $b_connections --batch 1 ;;
      *) die "unknown scenario $s (a or b)" ;;
    esac
  done
  metrics_url=""
  lagoa_cpu=$(awk -v a="$lagoa_cpu_before" -v b="$(cpu_seconds "$lagoa_pid")" 'BEGIN {printf "%.1f", b - a}')
  lagoa_rss_load=$(rss_mib "$lagoa_pid")
  lagoa_rss_peak=$(hwm_mib "$lagoa_pid")
  sleep 5
  lagoa_rss_after=$(rss_mib "$lagoa_pid")
  curl -sS "$url/v1/streams/bench" >"$work/describe.json" || true
  echo "  RSS right after load ${lagoa_rss_load} MiB, peak ${lagoa_rss_peak} MiB, idle 5 s later ${lagoa_rss_after} MiB;" \
    "server CPU ${lagoa_cpu} s over the scenarios; data dir $(du -sh "$work/lagoa" | cut -f1)"
  stop_process "$lagoa_pid"
  lagoa_pid=""
fi

# ---------------------------------------------------------------------------------------------- Redis
redis_rss_idle="" redis_rss_load="" redis_rss_peak="" redis_cpu=""
if [[ ${BENCH_SKIP_REDIS:-0} != 1 ]]; then
  echo
  echo "== Redis ($($redis_server --version | cut -d' ' -f3), appendonly yes, appendfsync always)"
  mkdir -p "$work/redis"
  port=""
  for _ in $(seq 50); do
    candidate=$((20000 + RANDOM % 40000))
    if ! (: <"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
  done
  [[ -n $port ]] || die "no free port for Redis"
  "$redis_server" --port "$port" --bind 127.0.0.1 --dir "$work/redis" --appendonly yes --appendfsync always \
    --save '' --daemonize no --logfile "$work/redis/redis.log" &
  redis_pid=$!
  server_pid=$redis_pid
  for _ in $(seq 100); do
    [[ $(redis-cli -p "$port" ping 2>/dev/null) = PONG ]] && break
    kill -0 "$redis_pid" 2>/dev/null || { tail -20 "$work/redis/redis.log" >&2; die "redis-server exited"; }
    sleep 0.1
  done
  sleep 2
  redis_rss_idle=$(rss_mib "$redis_pid")
  echo "  ready at 127.0.0.1:$port (pid $redis_pid); idle RSS ${redis_rss_idle} MiB"
  redis_cpu_before=$(cpu_seconds "$redis_pid")
  for s in $scenarios; do
    case $s in
      a) run_load redis_a redis --url "redis://127.0.0.1:$port" --key bench --connections $a_connections \
           --pipeline "$redis_a_pipeline" ;;
      b) run_load redis_b redis --url "redis://127.0.0.1:$port" --key bench --connections $b_connections \
           --pipeline "$redis_b_pipeline" ;;
    esac
    redis_rss_load=$(rss_mib "$redis_pid")
    redis-cli -p "$port" unlink bench >/dev/null  # each scenario starts from an empty stream
  done
  redis_cpu=$(awk -v a="$redis_cpu_before" -v b="$(cpu_seconds "$redis_pid")" 'BEGIN {printf "%.1f", b - a}')
  redis_rss_peak=$(hwm_mib "$redis_pid")
  echo "  RSS right after load ${redis_rss_load} MiB, peak ${redis_rss_peak} MiB;" \
    "server CPU ${redis_cpu} s over the scenarios; AOF $(du -sh "$work/redis" | cut -f1)"
  stop_process "$redis_pid"
  redis_pid=""
fi

# ---------------------------------------------------------------------------------------------- table
json_of() { local j=${result[$1]:-}; printf '%s' "${j:-"{}"}"; }
has() { [[ -n ${result[$1]:-} && ${result[$1]} != "{}" ]]; }
field() { json_of "$1" | jq -r "$2 // empty"; }
not_ok() { has "$1" || { echo "-"; return; }; jq -r '[(.not_ok // {}) | to_entries[] | "\(.key)×\(.value)"] + [(.errors // {}) | to_entries[] | select(.value > 0) | "\(.key) error×\(.value)"] | if length == 0 then "0" else join(" ") end' < <(json_of "$1"); }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a == "" || b == "" || b + 0 == 0) print "-"; else printf "%.2f×", a / b}'; }
row() { printf '%-34s %16s %16s %12s\n' "$1" "$2" "$3" "$4"; }
num() { [[ -n $1 ]] && awk -v v="$1" 'BEGIN {s = sprintf("%.0f", v); n = length(s); o = ""; for (i = 1; i <= n; i++) {o = o substr(s, i, 1); if ((n - i) % 3 == 0 && i < n) o = o ","}; print o}' || echo "-"; }

echo
echo "== results (MB = 10^6 bytes of request body / event payload; latency = send → complete reply)"
row "" "lagoa" "Redis" "lagoa/Redis"
for s in $scenarios; do
  if [[ $s = a ]]; then
    echo "(a) $a_connections connections × $a_batch-event NDJSON batches; Redis pipeline $redis_a_pipeline"
    metrics="events_per_s body_mb_per_s"
  else
    echo "(b) $b_connections keep-alive connections × 1 event per request; Redis pipeline $redis_b_pipeline"
    metrics="requests_per_s"
  fi
  for m in $metrics; do
    l=$(field "lagoa_$s" ".$m") r=$(field "redis_$s" ".$m")
    if [[ $m = body_mb_per_s ]]; then row "  MB/s" "${l:--}" "${r:--}" "$(ratio "$l" "$r")"
    else row "  ${m//_per_s//s}" "$(num "$l")" "$(num "$r")" "$(ratio "$l" "$r")"; fi
  done
  [[ $s = a ]] && row "  HTTP requests/s (batches)" "$(num "$(field lagoa_a .requests_per_s)")" "" ""
  for p in p50 p99 p999; do
    l=$(field "lagoa_$s" ".latency_ms.$p") r=$(field "redis_$s" ".latency_ms.$p")
    row "  latency $p (ms)" "${l:--}" "${r:--}" "$(ratio "$l" "$r")"
  done
  row "  not ok / errors" "$(not_ok "lagoa_$s")" "$(not_ok "redis_$s")" ""
  row "  server CPU (cores busy)" "${server_cores[lagoa_$s]:--}" "${server_cores[redis_$s]:--}" ""
  l=$(field "lagoa_$s" .client_cpu_seconds) r=$(field "redis_$s" .client_cpu_seconds)
  row "  load generator CPU (cores busy)" "$(awk -v c="$l" -v t="$seconds" -v w="$warmup_seconds" 'BEGIN {if (c == "") print "-"; else printf "%.2f", c / (t + w)}')" \
    "$(awk -v c="$r" -v t="$seconds" -v w="$warmup_seconds" 'BEGIN {if (c == "") print "-"; else printf "%.2f", c / (t + w)}')" ""
  [[ -n ${log_stats[lagoa_$s]:-} ]] && echo "  lagoa log: ${log_stats[lagoa_$s]}"
done
row "server RSS idle after start (MiB)" "$lagoa_rss_idle" "${redis_rss_idle:--}" ""
row "server RSS right after load (MiB)" "$lagoa_rss_load" "${redis_rss_load:--}" ""
row "server RSS peak (MiB)" "$lagoa_rss_peak" "${redis_rss_peak:--}" ""
row "lagoa RSS idle 5 s after load (MiB)" "$lagoa_rss_after" "" ""
row "server CPU seconds, all scenarios" "$lagoa_cpu" "${redis_cpu:--}" ""
echo "load avg at the end: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------------------------------------- targets
echo
echo "== targets"
verdict() { if awk "BEGIN {exit !($1)}"; then echo "met   "; else echo "MISSED"; fi; }
a_events=$(field lagoa_a .events_per_s) a_redis=$(field redis_a .events_per_s)
b_requests=$(field lagoa_b .requests_per_s) b_p99=$(field lagoa_b .latency_ms.p99)
if [[ -n $a_events ]]; then
  echo "$(verdict "$a_events >= 1000000") (a) ≥ 1,000,000 events/s: $(num "$a_events")"
  [[ -n $a_redis ]] && echo "$(verdict "$a_events >= 3 * $a_redis") (a) ≥ 3× Redis: $(ratio "$a_events" "$a_redis")"
fi
if [[ -n $b_requests ]]; then
  echo "$(verdict "$b_requests >= 100000") (b) ≥ 100,000 requests/s: $(num "$b_requests")"
  echo "$(verdict "$b_p99 <= 5") (b) p99 ≤ 5 ms: $b_p99 ms"
fi
[[ -n $lagoa_rss_idle ]] && echo "$(verdict "$lagoa_rss_idle <= 60") idle RSS ≤ 60 MB: $lagoa_rss_idle MiB after start, $lagoa_rss_after MiB after the run"
echo
echo "raw:"
for key in lagoa_a lagoa_b redis_a redis_b; do [[ -n ${result[$key]:-} ]] && echo "$key ${result[$key]}"; done
exit 0
