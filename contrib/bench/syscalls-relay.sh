#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# System calls per delivery of the room's relay, counted by the kernel (stable on a noisy machine,
# unlike CPU time): epoll_ctl, writev, write and epoll_wait.
#
#   contrib/bench/syscalls-relay.sh [FRONTDESKD] [BENCH]
#
# Runs frontdeskd (mode = group, store = sqlite in a temp dir, compare.sh's limits) under
# `perf stat -e syscalls:sys_enter_*` once per scenario while frontdesk-bench drives it:
# d-100 (100 members, 10 senders, 1,000 messages/s, open loop) and a (1,000 members, 10
# senders, closed loop). The deliveries are the daemon's own count (frontdesk_deliveries_total
# from metrics_listen, read after the load), so the whole run, setup included, is divided by
# the deliveries it made (perf attaches once the daemon listens). Needs perf and perf_event_paranoid <= 1 (or root).
# SCENARIOS="d-100" runs one; the bench's own summary (CPU ns/delivery: noisy) goes to stderr.
set -euo pipefail
# -h or --help: the header above; a missing daemon or generator is named before anything starts.
for arg in "$@"; do
	case $arg in
	-h | --help)
		awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"
		exit 0
		;;
	esac
done
daemon=${1:-build/src/frontdeskd}
bench=${2:-build-bench/contrib/bench/frontdesk-bench}
[ -x "$daemon" ] || { echo "$0: frontdeskd $daemon is not an executable (build it, or give its path: --help)" >&2; exit 2; }
[ -x "$bench" ] || { echo "$0: frontdesk-bench $bench is not an executable (build it, or give its path: --help)" >&2; exit 2; }
events=syscalls:sys_enter_epoll_ctl,syscalls:sys_enter_writev,syscalls:sys_enter_write
events=$events,syscalls:sys_enter_epoll_wait
work=$(mktemp -d)
pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

metric() { # PORT NAME -> value
	python3 - "$1" "$2" <<'PY'
import sys, urllib.request
text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[1], timeout=10).read()
for line in text.decode().splitlines():
    if line.startswith(sys.argv[2] + " "):
        print(int(float(line.split()[1])))
PY
}

run() { # LABEL BENCH-OPTIONS...
	local label=$1 port mport
	shift
	port=$(free_port)
	mport=$(free_port)
	rm -f "$work"/fd.db*
	cat >"$work/fd.conf" <<-EOF
	mode = group
	listen = 127.0.0.1:$port
	line_listen = off
	agent_socket = off
	max_msgs_per_sec = 0
	max_bytes_per_sec = 0
	max_joins_per_min = 0
	announce_max_members = 0
	max_clients = 12000
	max_output_bytes = 1M
	log_level = warning
	metrics_listen = 127.0.0.1:$mport
	store = sqlite:$work/fd.db
	EOF
	"$daemon" -c "$work/fd.conf" 2>"$work/log.$label" &
	pid=$!
	for _ in $(seq 200); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.05
	done
	perf stat -x, -o "$work/perf.$label" -e "$events" -p "$pid" &
	perf=$!
	sleep 0.5 # perf attached
	"$bench" --proto frontdesk --port "$port" --pid "$pid" --label "$label" "$@" \
		>"$work/result.$label"
	local deliveries
	deliveries=$(metric "$mport" frontdesk_deliveries_total)
	kill -INT "$perf" # it prints its counts
	wait "$perf" || true
	kill -TERM "$pid"
	wait "$pid" || true
	pid=
	python3 - "$label" "$deliveries" "$work/perf.$label" "$work/result.$label" <<'PY'
import re, sys
label, deliveries, perf, result = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
counts = {}
for line in open(perf):
    f = line.strip().split(",")
    if len(f) > 2 and f[2].startswith("syscalls:sys_enter_"):
        counts[f[2][len("syscalls:sys_enter_"):]] = int(f[0]) if f[0].isdigit() else 0
res = open(result).read()
ns = re.search(r"cpu_ns_per_delivery=([\d.]+)", res)
fpw = re.search(r"frames_per_write=([\d.]+)", res)
writes = counts.get("writev", 0) + counts.get("write", 0)
print("%s: %d deliveries; " % (label, deliveries) +
      ", ".join("%s %d (%.4f/delivery)" % (k, v, v / max(deliveries, 1))
                for k, v in counts.items()) +
      "; %.1f deliveries per write(v)" % (deliveries / max(writes, 1)) +
      "; bench: %s ns CPU/delivery (noisy), %s deliveries per write call" %
      (ns.group(1) if ns else "?", fpw.group(1) if fpw else "?"))
PY
}

for s in ${SCENARIOS:-d-100 a}; do
	case $s in
	d-100) run d-100 --members 100 --senders 10 --rate 1000 --warmup 1 --duration 5 ;;
	a) run a --members 1000 --senders 10 --size 100 --warmup 2 --duration 5 ;;
	*) echo "syscalls-relay.sh: unknown scenario $s" >&2 ;;
	esac
done
