#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Where the desk with several agents spends its instructions, counted by callgrind.
#
#   contrib/bench/callgrind-team.sh [FRONTDESKD] [CUSTOMERS] [BENCH]
#
# Runs the daemon under callgrind with compare.sh's team desk (10 agents on the agent socket,
# max_chats_per_agent = 3, free turns, store sqlite in a temp dir; STORE=off to compare) while
# frontdesk-bench --team 10 brings CUSTOMERS customers (default 100) at once, 5 round trips
# each, and once more with one customer; prints the instructions per conversation (the
# difference of the two over CUSTOMERS - 1) and the top functions of the run of CUSTOMERS, self and
# inclusive. ARRIVE=RATE brings them at RATE a second instead (a short line).
# CALLGRIND_KEEP=DIR keeps the callgrind file there. Build the bench with -Dbench=true.
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
daemon=${1:-build-bench/src/frontdeskd}
n=${2:-100}
bench=${3:-build-bench/contrib/bench/frontdesk-bench}
[ -x "$daemon" ] || { echo "$0: frontdeskd $daemon is not an executable (build it, or give its path: --help)" >&2; exit 2; }
[ -x "$bench" ] || { echo "$0: frontdesk-bench $bench is not an executable (build it, or give its path: --help)" >&2; exit 2; }
work=$(mktemp -d)
pid=
trap '[ -z "$pid" ] || kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# run COUNT: the daemon under callgrind while COUNT customers come; prints its instructions.
run() {
	local count=$1 port
	port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	cat >"$work/fd.conf" <<-EOF
	mode = single-agent
	listen = 127.0.0.1:$port
	agent_socket = $work/agent.sock
	max_agents = 10
	max_chats_per_agent = 3
	turns = free
	max_queue = 100000
	max_clients = 12000
	log_level = warning
	EOF
	rm -f "$work"/fd.db* "$work/agent.sock"
	case ${STORE:-sqlite} in
	sqlite) echo "store = sqlite:$work/fd.db" >>"$work/fd.conf" ;;
	*) echo "store = $STORE" >>"$work/fd.conf" ;;
	esac
	valgrind --tool=callgrind --callgrind-out-file="$out" "$daemon" -c "$work/fd.conf" \
		>"$work/log" 2>&1 &
	pid=$!
	for _ in $(seq 400); do
		[ -S "$work/agent.sock" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.05
	done
	"$bench" --port "$port" --pid "$pid" --team 10 --agent-socket "$work/agent.sock" \
		--customers "$count" --arrive "${ARRIVE:-0}" --label callgrind-team >/dev/null
	kill -TERM "$pid"
	wait "$pid" || true
	pid=
	sed -n 's/^summary: //p' "$out"
}

out="$work/callgrind.out"
# One customer: startup, the agents and shutdown, taken away from the run of N.
empty=$(run 1)
total=$(run "$n")
echo "$n customers: $(((total - empty) / (n - 1))) instructions per conversation" \
	"($total in all, $empty with one customer)"
[ -z "${CALLGRIND_KEEP:-}" ] || cp "$out" "$CALLGRIND_KEEP/"
echo "== self"
callgrind_annotate --inclusive=no "$out" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | head -30 || true
echo "== inclusive"
callgrind_annotate --inclusive=yes "$out" 2>/dev/null | grep -E '^ *[0-9,]+ \(' | head -45 || true
