#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Install what is missing, build, and run frontdeskd in the foreground on its built-in defaults
# (or on /etc/frontdesk/frontdesk.conf once one is installed). Extra arguments go to frontdeskd.
set -euo pipefail
cd "$(dirname "$0")/.."
. contrib/deps.sh

install_missing_packages
build=${BUILD_DIR:-build}
configure_build "$build" >/dev/null

# Outside systemd the agent socket lives in /run/frontdesk, which only root may create.
if [ "$(id -u)" -ne 0 ] && [ -z "${RUNTIME_DIRECTORY:-}" ]; then
	export RUNTIME_DIRECTORY="${XDG_RUNTIME_DIR:-/tmp}/frontdesk-$(id -u)"
	mkdir -p "$RUNTIME_DIRECTORY"
fi
agent_socket="${RUNTIME_DIRECTORY:-/run/frontdesk}/agent.sock"

# The store (store = sqlite:$STATE_DIRECTORY/frontdesk.db by default): as root the service's
# /var/lib/frontdesk, made 0700 if missing; otherwise, or when an installed service's user owns
# that directory (a store made there by root would lock the service out, and a second daemon
# must not recover the running one's store), a directory in the build tree.
if [ -z "${STATE_DIRECTORY:-}" ]; then
	if [ "$(id -u)" -eq 0 ] && [ ! -e /var/lib/frontdesk ]; then
		install -d -m 0700 /var/lib/frontdesk
	fi
	if [ "$(id -u)" -ne 0 ] || [ "$(stat -c %u /var/lib/frontdesk)" -ne 0 ]; then
		[ "$(id -u)" -ne 0 ] || echo "/var/lib/frontdesk belongs to the installed service: not using it"
		STATE_DIRECTORY="$(cd "$build" && pwd)/state"
		export STATE_DIRECTORY
		install -d -m 0700 "$STATE_DIRECTORY"
	fi
fi
store="${STATE_DIRECTORY:-/var/lib/frontdesk}/frontdesk.db"

if [ $# -gt 0 ]; then
	echo "frontdeskd is starting with: $*  (Ctrl-C stops it)"
	echo "Unless its configuration sets store, it keeps what is said in $store"
	exec "$build/src/frontdeskd" "$@"
fi
# The built-in defaults, plus monitoring and web clients on loopback (metrics_listen and
# web_listen are off by default). An installed /etc/frontdesk/frontdesk.conf is used as it is
# instead.
config=()
metrics="as /etc/frontdesk/frontdesk.conf sets metrics_listen"
web="as /etc/frontdesk/frontdesk.conf sets web_listen"
if [ ! -e /etc/frontdesk/frontdesk.conf ]; then
	printf '# Written by contrib/run.sh: the built-in defaults, monitoring and web on loopback.\n' \
		>"$build/run.conf"
	printf 'metrics_listen = 127.0.0.1:9167\nweb_listen = 127.0.0.1:8080\n' >>"$build/run.conf"
	web="http://127.0.0.1:8080/  (the customer page; /room in group mode; /agent, the agent console, with agent_key_file)"
	config=(-c "$build/run.conf")
	metrics="http://127.0.0.1:9167/metrics  (also /healthz, /readyz, /status)"
fi
cat <<MSG
frontdeskd is starting in single-agent mode (the customer-service desk):
  customers connect to   127.0.0.1:21567
  the agent attaches at  $agent_socket
  what is said is kept in $store
  monitoring             $metrics
  web clients            $web
In two more terminals:
  $build/src/frontdesk --agent unix:$agent_socket --name mary     # the agent
  $build/src/frontdesk 127.0.0.1:21567 --name bob                  # a customer
And to see the desk from outside:
  $build/src/frontdeskctl ${config[*]} status
Press Ctrl-C to stop.

MSG
exec "$build/src/frontdeskd" "${config[@]}"
