#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Instructions per relayed message, counted by callgrind (stable on a noisy machine).
#
#   contrib/bench/callgrind-relay.sh [FRONTDESKD] [N]
#
# Runs the daemon under callgrind twice per mode, with 0 and with N messages (default 5000):
# a room of two framed members where one sends N messages (each delivered to both), and a desk
# in free turns where a customer sends N messages to the agent. Prints, per mode, the
# instructions of the N-message run less those of the empty run, divided by N.
# CALLGRIND_KEEP=DIR keeps the callgrind files there, for callgrind_annotate. STORE=off or
# memory runs the daemon with that store instead of its default sqlite file (in a temp dir).
set -euo pipefail
daemon=${1:-build/src/frontdeskd}
n=${2:-5000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() { # MODE COUNT -> total instructions
	local mode=$1 count=$2 conf="$work/$1.conf" out="$work/cg.$1.$2"
	if [ "$mode" = group ]; then
		printf 'mode = group\nlisten = 127.0.0.1:0\nline_listen = off\nmax_msgs_per_sec = 0\nagent_socket = %s/agent.sock\n' "$work" >"$conf"
		# The relay, not the rate limit (a daemon older than the key has no byte rate).
		printf 'max_bytes_per_sec = 0\n' >>"$conf"
		"$daemon" --check-config -c "$conf" >/dev/null 2>&1 || sed -i '$d' "$conf"
	else
		printf 'listen = 127.0.0.1:0\nagent_socket = %s/agent.sock\nturns = free\n' "$work" >"$conf"
	fi
	# The store as users run it (STORE=off or memory to compare); a daemon older than the
	# key has none.
	rm -f "$work"/fd.db*
	case ${STORE:-sqlite} in
	sqlite) printf 'store = sqlite:%s/fd.db\n' "$work" >>"$conf" ;;
	*) printf 'store = %s\n' "$STORE" >>"$conf" ;;
	esac
	"$daemon" --check-config -c "$conf" >/dev/null 2>&1 || sed -i '$d' "$conf"
	valgrind --tool=callgrind --callgrind-out-file="$out" "$daemon" -c "$conf" \
		>"$work/log" 2>&1 &
	local pid=$!
	python3 - "$work/log" "$mode" "$count" "$work/agent.sock" <<'PY'
import re, socket, sys, time
log, mode, count, agent_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
def frame(t, body):
    body = body.encode()
    return b"%04d|%d|" % (len(body) + 7, t) + body
deadline = time.time() + 120
while True:
    text = open(log).read()
    m = re.search(r"listening on 127.0.0.1:(\d+) \(framed", text)
    if m and "frontdeskd ready" in text:
        port = int(m.group(1)); break
    if time.time() > deadline: sys.exit("daemon not ready")
    time.sleep(0.05)
hello = frame(4, "hello notices")  # pongs are notices
def drain(sock, want):
    got = b""
    while got.count(b"|2|") < want:
        data = sock.recv(1 << 20)
        if not data: sys.exit("closed")
        got += data
def barrier(sock):
    sock.sendall(frame(4, "ping end"))
    got = b""
    while b"pong end" not in got:
        got += sock.recv(1 << 20)
a = socket.create_connection(("127.0.0.1", port))
if mode == "group":
    b = socket.create_connection(("127.0.0.1", port))
    a.sendall(frame(1, "alice") + hello); b.sendall(frame(1, "bob") + hello)
    barrier(a); barrier(b)
    readers = [a, b]
else:
    b = socket.socket(socket.AF_UNIX); b.connect(agent_path)
    b.sendall(frame(1, "agent") + hello); barrier(b)
    a.sendall(frame(1, "cust") + hello); barrier(a)
    readers = [b]
msg = frame(2, "x" * 100)
sent = 0
while sent < count:
    k = min(100, count - sent)
    a.sendall(msg * k); sent += k
    for r in readers: drain(r, k)
PY
	kill -TERM "$pid"
	wait "$pid" || true
	[ -z "${CALLGRIND_KEEP:-}" ] || cp "$out" "$CALLGRIND_KEEP/"
	sed -n 's/^summary: //p' "$out"
}

for mode in ${MODES:-group desk}; do
	empty=$(run "$mode" 0)
	full=$(run "$mode" "$n")
	echo "$mode: $(( (full - empty) / n )) instructions per relayed message ($n messages)"
done
