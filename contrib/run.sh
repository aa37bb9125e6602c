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

if [ $# -gt 0 ]; then
	echo "frontdeskd is starting with: $*  (Ctrl-C stops it)"
	exec "$build/src/frontdeskd" "$@"
fi
cat <<MSG
frontdeskd is starting in single-agent mode (the customer-service desk):
  customers connect to   127.0.0.1:21567
  the agent attaches at  $agent_socket
In two more terminals:
  $build/src/frontdesk --agent unix:$agent_socket --name mary     # the agent
  $build/src/frontdesk 127.0.0.1:21567 --name bob                  # a customer
Press Ctrl-C to stop.

MSG
exec "$build/src/frontdeskd" "$@"
