#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# frontdeskd side by side with redis-server (pub/sub) and ngircd (one channel), one load
# generator (frontdesk-bench), one machine; prints one table and the issue's goals.
#
#   ./contrib/bench/compare.sh            # about 5 1/2 minutes on 2 cores
#   SCENARIOS=churn FRONTDESKD=/path/to/other/frontdeskd ./contrib/bench/compare.sh
#
# Installs what is missing (build tools, redis-server, ngircd) from Debian's packages, builds
# frontdesk-bench in build-bench/ (-Dbench=true), starts each server on a free loopback port
# with its own config under a temp dir and the same limits (clients, 1 MiB of unsent output
# per client where the server lets us set it), pins the server to core 0 and the generator to
# core 1 when there are two cores, runs the scenarios, and kills every server it started.
# Raw RESULT lines go to $OUT (default build-bench/results.txt). SCENARIOS="a b c d churn"
# picks; FRONTDESKD runs another build of the daemon (an A/B of a daemon change); ROUNDS=3
# runs the list three times in turn and the table gives each figure's median (issue 20's
# goals are judged so: a shared machine moves single runs by 20% and more).
# frontdeskd runs with its store on (sqlite, a file in the temp dir, as users run it); the
# "store" scenario compares store = off, memory, sqlite and sqlite with store_sync = full.
# The "team" scenario (frontdeskd only) is the desk with 10 agents and 1,000 customers.
# The "cluster" scenario (SCENARIOS=cluster, about 2 1/2 minutes) runs d-100's load on one
# node with cluster off, one node through Redis, and two nodes through one Redis with the
# members split between them; it reports each process's CPU (nodes, Redis, generator).
# The "desk-cluster" scenario (SCENARIOS=desk-cluster, about 4 minutes) runs the desk with
# several agents the same three ways (the team load at a steady pace, as the room's is an open
# loop), the two nodes with the agents on the first and the customers on the second.
# The "web" scenario (SCENARIOS=web, about 100 s; frontdeskd only) runs d-100's load and
# scenario a's on a daemon with web_listen on, the members over TCP frames and then over
# WebSocket (frontdesk-bench --proto frontdesk-ws: RFC 6455's client side, each frame one masked
# text message), WEB_ROUNDS rounds (3) taken in turn, and checks issue 18's goal: WebSocket
# framing costs at most 20% (server CPU per delivery, WebSocket over TCP, at most 1.20).
# The "files" scenario (SCENARIOS=files, about 70 s; frontdeskd only) runs d-100's load in a room
# with 11 more members (file-share, niced beside the generator) that stay idle, share a 10 MiB
# file once a second (one uploads it, 10 fetch it by its SHA-256 and check it), or share one
# such file after another as fast as the daemon carries them; FILES_ROUNDS rounds (3) in turn.
set -euo pipefail
cd "$(dirname "$0")/../.."
. contrib/deps.sh

install_missing_packages
install_missing_packages redis-server ngircd

build=${BUILD_DIR:-build-bench}
configure_build "$build" -Dbench=true -Dtests=false >/dev/null
bench=$build/contrib/bench/frontdesk-bench
file_share=$build/contrib/bench/file-share
frontdeskd=${FRONTDESKD:-$build/src/frontdeskd}
out=${OUT:-$build/results.txt}
scenarios=${SCENARIOS:-a b c d churn}
: >"$out"

# Ten thousand members need ten thousand descriptors on each side.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
idle_members=10000
if [ "$nofile" != unlimited ] && [ "$nofile" -lt $((idle_members + 100)) ]; then
	idle_members=$((nofile - 100))
	echo "compare.sh: only $nofile descriptors; scenario b uses $idle_members members" >&2
fi
max_clients=$((idle_members + 2000))

server_cpu=() bench_cpu=()
if [ "$(nproc)" -ge 2 ]; then
	server_cpu=(taskset -c 0)
	bench_cpu=(taskset -c 1)
fi

tmp=$(mktemp -d /tmp/frontdesk-bench.XXXXXX)
chmod 755 "$tmp"
server_pid='' server_pids=()
# stop_server: every server started since the last call (a cluster run starts several).
stop_server() {
	local pid
	for pid in "${server_pids[@]}"; do
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	server_pid='' server_pids=()
}
trap 'stop_server; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_port() {
	for _ in $(seq 200); do
		(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
		kill -0 "$server_pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "compare.sh: the server did not listen on port $1" >&2
	return 1
}

# start_server NAME [group|desk|team]: start one server; sets $server_pid, $port (and
# $agent_port). A frontdeskd node joins the cluster $fd_cluster (redis://...) unless it is
# empty, named $fd_node (which also names its directory).
start_server() {
	local dir="$tmp/$1${fd_node:+-$fd_node}" mode=${2:-group} check
	mkdir -p "$dir"
	port=$(free_port)
	case $1 in
	frontdesk)
		agent_port=$(free_port)
		head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/agent.key"
		chmod 600 "$dir/agent.key"
		if [ "$mode" = team ]; then
			# The desk with several agents (issue 14): agents on the Unix socket.
			cat >"$dir/frontdesk.conf" <<-EOF
			mode = single-agent
			listen = 127.0.0.1:$port
			agent_socket = $dir/agent.sock
			max_agents = 10
			max_chats_per_agent = 3
			turns = $fd_turns
			max_queue = 100000
			EOF
		elif [ "$mode" = desk ]; then
			cat >"$dir/frontdesk.conf" <<-EOF
			mode = single-agent
			listen = 127.0.0.1:$port
			agent_listen = 127.0.0.1:$agent_port
			agent_key_file = $dir/agent.key
			agent_socket = off
			max_queue = 100000
			EOF
		else
			cat >"$dir/frontdesk.conf" <<-EOF
			mode = group
			listen = 127.0.0.1:$port
			line_listen = off
			agent_socket = off
			max_msgs_per_sec = 0
			max_bytes_per_sec = 0
			max_joins_per_min = 0
			EOF
			# The observer marks members ready by their "joined mN": every join told, as
			# before big rooms went quiet (a daemon older than the key has it anyway).
			echo "announce_max_members = 0" >>"$dir/frontdesk.conf"
			if ! check=$("$frontdeskd" --check-config -c "$dir/frontdesk.conf" 2>&1) &&
				[[ $check == *"unknown key 'announce_max_members'"* ]]; then
				sed -i '$d' "$dir/frontdesk.conf"
			fi
		fi
		if [ -n "$fd_web" ]; then
			web_port=$(free_port)
			echo "web_listen = 127.0.0.1:$web_port" >>"$dir/frontdesk.conf"
		fi
		if [ -n "$fd_files" ]; then
			# Room for every round of a run (10 MiB each), apart from the disk.
			printf 'files_dir = %s/files\nfiles_max_bytes = 64G\n' "$dir" \
				>>"$dir/frontdesk.conf"
		fi
		if [ -n "$fd_cluster" ]; then
			printf 'cluster = %s\nnode_name = %s\n' "$fd_cluster" "$fd_node" \
				>>"$dir/frontdesk.conf"
		fi
		rm -f "$dir"/frontdesk.db*
		case $fd_store in
		off | memory) echo "store = $fd_store" >>"$dir/frontdesk.conf" ;;
		sqlite) echo "store = sqlite:$dir/frontdesk.db" >>"$dir/frontdesk.conf" ;;
		sqlite-full) printf 'store = sqlite:%s\nstore_sync = full\n' "$dir/frontdesk.db" \
			>>"$dir/frontdesk.conf" ;;
		esac
		cat >>"$dir/frontdesk.conf" <<-EOF
		max_clients = $max_clients
		max_output_bytes = 1M
		log_level = warning
		EOF
		"${server_cpu[@]}" "$frontdeskd" -c "$dir/frontdesk.conf" 2>"$dir/log" &
		;;
	redis)
		"${server_cpu[@]}" redis-server --port "$port" --bind 127.0.0.1 --save '' \
			--appendonly no --dir "$dir" --maxclients "$max_clients" \
			--client-output-buffer-limit "pubsub 1mb 0 0" --daemonize no \
			--logfile "$dir/log" &
		;;
	ngircd)
		chmod 777 "$dir" # ngircd drops root for "nobody"
		cat >"$dir/ngircd.conf" <<-EOF
		[Global]
			Name = bench.frontdesk.test
			Info = frontdesk benchmark
			Listen = 127.0.0.1
			Ports = $port
			MotdPhrase = bench
			PidFile = $dir/ngircd.pid
		[Limits]
			MaxConnections = $max_clients
			MaxConnectionsIP = 0
			MaxJoins = 0
			MaxPenaltyTime = 0
			PingTimeout = 600
			PongTimeout = 600
		[Options]
			DNS = no
			Ident = no
			PAM = no
		EOF
		"${server_cpu[@]}" ngircd -n -f "$dir/ngircd.conf" >"$dir/log" 2>&1 &
		;;
	esac
	server_pid=$!
	server_pids+=("$server_pid")
	wait_port "$port"
}

# wait_socket PATH: wait_port saw the customers' port; the agents' socket may come a moment later.
wait_socket() {
	for _ in $(seq 100); do
		[ -S "$1" ] && return 0
		sleep 0.05
	done
}

proto_of() {
	case $1 in frontdesk) echo frontdesk ;; redis) echo redis ;; ngircd) echo irc ;; esac
}

# run SERVER LABEL [bench options...]: one generator run against a fresh server.
run() {
	local server=$1 label=$2 mode=group extra=()
	shift 2
	case " $* " in *" --relay "*) mode=desk ;; *" --team "*) mode=team ;; esac
	start_server "$server" "$mode"
	if [ "$server" = frontdesk ] && [ $mode = desk ]; then
		extra=(--agent-port "$agent_port" --key-file "$tmp/frontdesk/agent.key")
	elif [ $mode = team ]; then
		extra=(--agent-socket "$tmp/frontdesk/agent.sock")
		wait_socket "$tmp/frontdesk/agent.sock"
	fi
	echo "== $label $server: $*" >&2
	if ! "${bench_cpu[@]}" "$bench" --proto "$(proto_of "$server")" --port "$port" \
		--pid "$server_pid" --label "$label" "${extra[@]}" "$@" >>"$out"; then
		echo "RESULT label=$label server=$(proto_of "$server") failed=1" >>"$out"
	fi
	stop_server
}

# run_cluster LABEL NODES [team]: d-100's load (the room), or with "team" the desk's
# ($desk_load), on frontdeskd; NODES = 0 (one node, cluster off), 1 (one node through Redis) or
# 2 (two nodes through one Redis: odd members of the room on the second; at the desk the agents
# on the first node's socket and the customers on the second's port, so every conversation
# crosses). The generator reads the CPU of every node and of Redis (--watch).
run_cluster() {
	local label=$1 nodes=$2 mode=${3:-group} args=() load=("${cluster_load[@]}")
	local node1_pid node1_port node1_dir
	if [ "$nodes" -gt 0 ]; then
		start_server redis
		fd_cluster=redis://127.0.0.1:$port
		args+=(--watch "redis=$server_pid")
	fi
	fd_node=n1 start_server frontdesk "$mode"
	node1_pid=$server_pid node1_port=$port node1_dir=$tmp/frontdesk-n1
	if [ "$nodes" -eq 2 ]; then
		fd_node=n2 start_server frontdesk "$mode"
		args+=(--watch "node2=$server_pid")
		if [ "$mode" = team ]; then
			node1_port=$port # the customers' node
		else
			args+=(--port2 "$port")
		fi
	fi
	fd_cluster=
	if [ "$mode" = team ]; then
		wait_socket "$node1_dir/agent.sock"
		load=("${desk_load[@]}" --agent-socket "$node1_dir/agent.sock")
	fi
	echo "== $label frontdesk: $nodes node(s) through Redis" >&2
	if ! "${bench_cpu[@]}" "$bench" --proto frontdesk --port "$node1_port" --pid "$node1_pid" \
		--label "$label" "${args[@]}" "${load[@]}" >>"$out"; then
		echo "RESULT label=$label server=frontdesk failed=1" >>"$out"
	fi
	stop_server
}

# run_web LABEL tcp|ws [bench options...]: one room run against a fresh frontdeskd with web_listen
# on (both ways, so that only the members' transport differs), its members on the framed port
# (tcp) or upgraded on the web port's /ws (ws).
run_web() {
	local label=$1 how=$2 proto=frontdesk
	shift 2
	fd_web=1 start_server frontdesk group
	if [ "$how" = ws ]; then
		port=$web_port proto=frontdesk-ws
	fi
	echo "== $label frontdesk: members over $how: $*" >&2
	if ! "${bench_cpu[@]}" "$bench" --proto "$proto" --port "$port" --pid "$server_pid" \
		--label "$label" "$@" >>"$out"; then
		echo "RESULT label=$label server=$proto failed=1" >>"$out"
	fi
	stop_server
}

# run_files LABEL [file-share options...]: d-100's load on a fresh frontdeskd whose room also
# holds file-share's 11 members, started (niced, on the generator's core) before the load and
# stopped after it; its FILES line goes to $out with the label.
run_files() {
	local label=$1 share_pid ready=$tmp/share.ready
	shift
	fd_files=1 start_server frontdesk group
	rm -f "$ready"
	nice -n 10 "${bench_cpu[@]}" "$file_share" --port "$port" --fetchers 10 --mib 10 \
		--ready-file "$ready" "$@" >"$tmp/share.out" 2>"$tmp/share.err" &
	share_pid=$!
	for _ in $(seq 200); do
		[ -e "$ready" ] || ! kill -0 "$share_pid" 2>/dev/null && break
		sleep 0.05
	done
	echo "== $label frontdesk: file-share $*" >&2
	if [ ! -e "$ready" ] || ! "${bench_cpu[@]}" "$bench" --proto frontdesk --port "$port" \
		--pid "$server_pid" --label "$label" --members 100 --senders 10 --rate 1000 \
		--warmup 1 --duration 5 >>"$out"; then
		echo "RESULT label=$label server=frontdesk failed=1" >>"$out"
	fi
	kill "$share_pid" 2>/dev/null || true
	if wait "$share_pid"; then
		sed -n "s/^FILES /FILES label=$label /p" "$tmp/share.out" >>"$out"
	else
		cat "$tmp/share.err" >&2
		echo "FILES label=$label failed=1" >>"$out"
	fi
	stop_server
	rm -rf "$tmp/frontdesk/files"
}

# say_pinning SCENARIO: how the servers and the generator shared the cores, into $out.
say_pinning() {
	if [ ${#server_cpu[@]} -gt 0 ]; then
		echo "$1: nodes and Redis pinned to core 0, the generator to core 1" >>"$out"
	else
		echo "$1: one core, nothing pinned" >>"$out"
	fi
}

servers=(frontdesk redis ngircd)
fd_store=sqlite fd_turns=free fd_cluster='' fd_node='' fd_web='' web_port='' fd_files=''
# d-100's load, measured for 10 s: Redis's CPU is read in clock ticks (10 ms).
cluster_load=(--members 100 --senders 10 --rate 1000 --warmup 1 --duration 10)
# The desk across nodes: the team's 10 agents (3 conversations each) and DESK_CUSTOMERS
# customers arriving at DESK_ARRIVE a second (25 s), DESK_TRIPS round trips each: the same
# offered load in the three setups, below what each can take (no line forms), and long enough
# for Redis's CPU, read in 10 ms clock ticks.
desk_load=(--team 10 --customers "${DESK_CUSTOMERS:-7500}" --arrive "${DESK_ARRIVE:-300}"
	--round-trips "${DESK_TRIPS:-5}")
fanout=(--members 1000 --senders 10 --size 100 --warmup 2 --duration 5)

started=$(date +%s)
# ROUNDS=N runs the whole list N times in turn; the table takes each figure's median.
for s in $(for _ in $(seq "${ROUNDS:-1}"); do echo $scenarios; done); do
	case $s in
	a)	# fan-out at saturation, three rounds taken in turn; then 1% of members not reading
		for round in 1 2 3; do
			for server in "${servers[@]}"; do run "$server" a "${fanout[@]}"; done
		done
		for server in "${servers[@]}"; do run "$server" a-slow "${fanout[@]}" --slow 10; done
		;;
	b)	# memory per idle member (IRC: channels of 100, or every JOIN goes to 10,000)
		run frontdesk b --members "$idle_members" --idle
		run redis b --members "$idle_members" --idle
		run ngircd b --members "$idle_members" --idle --channel-size 100
		;;
	c)	# the desk: one customer and one agent ping-pong, 1,000 waiting
		for server in "${servers[@]}"; do run "$server" c --relay 1000 --warmup 1 --duration 5; done
		;;
	d)	# open loop: 100 members at 1,000 messages/s; scenario a at half Redis's saturation
		for server in "${servers[@]}"; do
			run "$server" d-100 --members 100 --senders 10 --rate 1000 --warmup 1 --duration 5
		done
		half=$(python3 contrib/bench/table.py --half-rate "$out")
		for server in "${servers[@]}"; do
			run "$server" d-half "${fanout[@]}" --rate "$half"
		done
		;;
	store)	# frontdeskd only: what the store costs; fan-out (three rounds in turn) and the desk
		for round in 1 2 3; do
			for fd_store in off memory sqlite sqlite-full; do
				run frontdesk "a-store-$fd_store" "${fanout[@]}"
			done
		done
		for round in 1 2 3; do
			for fd_store in off sqlite sqlite-full; do
				run frontdesk "c-store-$fd_store" --relay 1000 --warmup 1 --duration 5
			done
		done
		fd_store=sqlite
		;;
	store-desk) # frontdeskd only: the store's cost at the desk alone (three rounds in turn)
		for round in 1 2 3; do
			for fd_store in off sqlite; do
				run frontdesk "c-store-$fd_store" --relay 1000 --warmup 1 --duration 5
			done
		done
		fd_store=sqlite
		;;
	team)	# frontdeskd only: the desk with 10 agents (caps ids agent, 3 chats each) and
		# 1,000 customers arriving at once (128 connecting at a time), 5 round trips each,
		# then quit; free and strict turns, store sqlite and off (three rounds in turn)
		for round in 1 2 3; do
			for fd_turns in free strict; do
				for fd_store in sqlite off; do
					run frontdesk "team-$fd_turns-$fd_store" --team 10 \
						--customers 1000 --round-trips 5
				done
			done
		done
		fd_store=sqlite fd_turns=free
		;;
	churn)	# frontdeskd only: 100 members chat at 100 messages/s while 1,000 connections/s
		# come and go (nickname, hello, one message, close); then scenario a while 100/s
		# come and go. RSS is read again 3 s after the load (malloc_trim, server.c).
		run frontdesk churn --members 100 --senders 10 --rate 100 --churn 1000 --warmup 2 \
			--duration 30 --rss-after 3
		run frontdesk a-churn "${fanout[@]}" --churn 100 --rss-after 3
		;;
	cluster) # d-100's load: one node (cluster off), one node through Redis, two nodes
		# through Redis with the members split half and half (three rounds in turn)
		for _ in 1 2 3; do
			run_cluster cluster-off 0
			run_cluster cluster-1 1
			run_cluster cluster-2 2
		done
		say_pinning cluster
		;;
	desk-cluster) # the team load: one node (cluster off), one node through Redis, two nodes
		# through Redis with the agents on the first and the customers on the second (every
		# conversation crosses nodes), three rounds taken in turn
		for _ in 1 2 3; do
			run_cluster desk-cluster-off 0 team
			run_cluster desk-cluster-1 1 team
			run_cluster desk-cluster-2 2 team
		done
		say_pinning desk-cluster
		;;
	web)	# frontdeskd only: the room's members over TCP frames, then over WebSocket: d-100's
		# load (open loop, one frame a write) and scenario a's (fan-out at saturation)
		for _ in $(seq "${WEB_ROUNDS:-3}"); do
			for how in tcp ws; do
				run_web "web-d100-$how" "$how" --members 100 --senders 10 --rate 1000 \
					--warmup 1 --duration 5
			done
			for how in tcp ws; do run_web "web-a-$how" "$how" "${fanout[@]}"; done
		done
		say_pinning web
		;;
	files)	# frontdeskd only (issue 19): d-100's load beside no file traffic (the same 11 more
		# members, idle), a 10 MiB file shared with 10 members once a second, and one such
		# file after another (the most file traffic the daemon carries), in turn
		for _ in $(seq "${FILES_ROUNDS:-3}"); do
			run_files files-none --idle
			run_files files-1s --interval 1
			run_files files-max
		done
		say_pinning files
		;;
	esac
done
echo "compare.sh: $(($(date +%s) - started)) s; results in $out" >&2
python3 contrib/bench/table.py "$out"
grep -E '^((desk-)?cluster|web|files): ' "$out" || true
