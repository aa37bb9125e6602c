#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Instructions per relayed message, counted by callgrind (stable on a noisy machine).
#
#   contrib/bench/callgrind-relay.sh [FRONTDESKD] [N]
#   contrib/bench/callgrind-relay.sh --web [FRONTDESKD] [N]
#
# Runs the daemon under callgrind twice per mode, with 0 and with N messages (default 5000):
# a room of two framed members where one sends N messages (each delivered to both), and a desk
# in free turns where a customer sends N messages to the agent. Prints, per mode, the
# instructions of the N-message run less those of the empty run, divided by N.
# CALLGRIND_KEEP=DIR keeps the callgrind files there, for callgrind_annotate. STORE=off or
# memory runs the daemon with that store instead of its default sqlite file (in a temp dir).
# --web: the room only, twice on a daemon with web_listen on: the members over TCP frames
# ("group"), then over WebSocket ("web": upgraded on /ws, each frame one masked text message),
# and the second's cost over the first's (issue 18's goal is at most 1.20). MEMBERS=N (2) puts
# N members in the room (the first sends, all receive): a fan-out, where what a delivery costs
# outweighs what a message costs. BATCH=K (100) messages are sent at a time, each batch read by
# every member before the next: BATCH=1 makes each message a commit and a write of its own, as
# compare.sh's open-loop d-100 (1,000 messages/s) does.
# MODES="group" runs only the modes named (default "group desk"; with --web "group web").
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
web=
if [ "${1:-}" = --web ]; then
	web=1
	shift
fi
daemon=${1:-build/src/frontdeskd}
n=${2:-5000}
[ -x "$daemon" ] || { echo "$0: frontdeskd $daemon is not an executable (build it, or give its path: --help)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

run() { # MODE COUNT -> total instructions
	local mode=$1 count=$2 conf="$work/$1.conf" out="$work/cg.$1.$2"
	if [ "$mode" != desk ]; then
		printf 'mode = group\nlisten = 127.0.0.1:0\nline_listen = off\nmax_msgs_per_sec = 0\nagent_socket = %s/agent.sock\n' "$work" >"$conf"
		# The relay, not the rate limit (a daemon older than the key has no byte rate).
		printf 'max_bytes_per_sec = 0\n' >>"$conf"
		"$daemon" --check-config -c "$conf" >/dev/null 2>&1 || sed -i '$d' "$conf"
		# MEMBERS from one address, all connected before the first joins (the last, slowly).
		printf 'max_joins_per_min = 0\nhandshake_timeout = 1h\nmax_clients = %d\nmax_startups = %d\n' $((${MEMBERS:-2} + 16)) $((${MEMBERS:-2} + 16)) >>"$conf"
		[ -z "$web" ] || printf 'web_listen = 127.0.0.1:0\n' >>"$conf"
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
import base64, os, re, socket, sys, time
log, mode, count, agent_path = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
web = mode == "web"
deadline = time.time() + 120
while True:
    text = open(log).read()
    m = re.search(r"listening on 127.0.0.1:(\d+) \(framed", text)
    w = re.search(r"web on 127.0.0.1:(\d+) ", text)
    if m and "frontdeskd ready" in text and (w or not web):
        port = int(m.group(1)); wport = int(w.group(1)) if w else 0; break
    if time.time() > deadline: sys.exit("daemon not ready")
    time.sleep(0.05)
def frame(t, body):
    body = body.encode()
    f = b"%04d|%d|" % (len(body) + 7, t) + body
    if not web:
        return f
    # One masked text message (RFC 6455 5.2): the server's answers are read unparsed, as the
    # frames in them are what is counted.
    mask = os.urandom(4)
    n = len(f)
    hdr = bytes([0x81, 0x80 | n]) if n < 126 else bytes([0x81, 0xfe]) + n.to_bytes(2, "big")
    return hdr + mask + bytes(c ^ mask[i & 3] for i, c in enumerate(f))
def member():
    if not web:
        return socket.create_connection(("127.0.0.1", port))
    s = socket.create_connection(("127.0.0.1", wport))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET /ws HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
               "Origin: http://127.0.0.1:%d\r\n\r\n" % (wport, key, wport)).encode())
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        c = s.recv(1)  # a byte at a time: the head only
        if not c: sys.exit("closed during the upgrade")
        head += c
    if not head.startswith(b"HTTP/1.1 101 "): sys.exit("no upgrade: %r" % head[:80])
    return s
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
        data = sock.recv(1 << 20)
        if not data: sys.exit("closed before its pong: %r" % got[-200:])
        got += data
a = member() if mode != "desk" else socket.create_connection(("127.0.0.1", port))
if mode != "desk":
    readers = [a] + [member() for _ in range(int(os.environ.get("MEMBERS", "2")) - 1)]
    for i, r in enumerate(readers):
        r.sendall(frame(1, "m%d" % i) + hello); barrier(r)
else:
    b = socket.socket(socket.AF_UNIX); b.connect(agent_path)
    b.sendall(frame(1, "agent") + hello); barrier(b)
    a.sendall(frame(1, "cust") + hello); barrier(a)
    readers = [b]
msg = frame(2, "x" * 100)
sent = 0
while sent < count:
    k = min(int(os.environ.get("BATCH", "100")), count - sent)
    a.sendall(msg * k); sent += k
    for r in readers: drain(r, k)
PY
	kill -TERM "$pid"
	wait "$pid" || true
	[ -z "${CALLGRIND_KEEP:-}" ] || cp "$out" "$CALLGRIND_KEEP/"
	sed -n 's/^summary: //p' "$out"
}

modes=${MODES:-group desk}
[ -z "$web" ] || modes=${MODES:-group web}
declare -A per
for mode in $modes; do
	empty=$(run "$mode" 0)
	full=$(run "$mode" "$n")
	per[$mode]=$(( (full - empty) / n ))
	echo "$mode: ${per[$mode]} instructions per relayed message ($n messages${MEMBERS:+, $MEMBERS members})"
done
if [ -n "${per[web]:-}" ] && [ -n "${per[group]:-}" ]; then
	# Each message is delivered to both members: per delivery, half of these.
	awk -v w="${per[web]}" -v t="${per[group]}" 'BEGIN { printf "web/group: %.2fx (%d against %d instructions per relayed message; goal at most 1.20x: %s)\n", w / t, w, t, w / t <= 1.2 ? "PASS" : "MISS" }'
fi
