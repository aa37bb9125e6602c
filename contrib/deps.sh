# SPDX-License-Identifier: ISC
# Sourced by run.sh and test.sh: install, from Debian's packages, whatever is missing.
# Needs root (or sudo) only when something is actually missing.

FRONTDESK_PACKAGES=(
	build-essential meson ninja-build pkg-config
	libevent-dev libinih-dev libedit-dev libssl-dev libsystemd-dev libsqlite3-dev
	libhiredis-dev	# the cluster's Redis link
	libwslay-dev	# WebSocket framing for web_listen
	libcmocka-dev python3 tmux openssl clang-format
	systemd	# systemd-analyze and systemd-socket-activate, for the service tests
	man-db	# systemd-analyze verify looks up the units' Documentation= man pages
	netcat-openbsd	# nc, for the README's line-protocol examples
)

# What only the full test run needs: sanitizer runtimes, valgrind, clang with libFuzzer, and a
# Redis for the cluster's tests (the daemon itself only ever talks to one over the network).
FRONTDESK_TEST_PACKAGES=(
	valgrind clang libclang-rt-14-dev
	redis-server
	python3-websockets	# test_web.py's client-library test
)

# What the browser tests (tests/browser) need, and test.sh's stage 1 installs: Debian's chromium
# with fonts for its screenshots. run.sh needs none of it.
FRONTDESK_BROWSER_PACKAGES=(chromium fonts-liberation fonts-dejavu-core)

# install_missing_packages [PACKAGE...]: default FRONTDESK_PACKAGES.
install_missing_packages() {
	local missing=() p
	local wanted=("$@")
	[ ${#wanted[@]} -eq 0 ] && wanted=("${FRONTDESK_PACKAGES[@]}")
	for p in "${wanted[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "Installing: ${missing[*]}"
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null || { echo "need root or sudo to install: ${missing[*]}" >&2; return 1; }
		sudo=(sudo)
	fi
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# provide_promtool DIR: promtool (Debian's package prometheus), which the metrics tests check
# /metrics with. Unless it is installed already, the package is downloaded and unpacked into
# DIR/tools, not installed: installing it would also start a Prometheus server on :9090.
provide_promtool() {
	local dir=$1/tools
	command -v promtool >/dev/null && return 0
	[ -x "$dir/usr/bin/promtool" ] && return 0
	mkdir -p "$dir"
	if ! (cd "$dir" && apt-get download prometheus >/dev/null 2>&1); then
		local sudo=()
		[ "$(id -u)" -ne 0 ] && sudo=(sudo)
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		(cd "$dir" && apt-get download prometheus >/dev/null)
	fi
	dpkg-deb -x "$dir"/prometheus_*.deb "$dir"
	rm -f "$dir"/prometheus_*.deb "$dir/usr/bin/prometheus"
	echo "promtool: $dir/usr/bin/promtool (unpacked from Debian's prometheus package)"
}

# configure_build DIR [meson options...]: set up (or refresh) a build directory and build it.
configure_build() {
	local dir=$1
	shift
	if [ -f "$dir/build.ninja" ]; then
		meson configure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@"
	fi
	ninja -C "$dir"
}

# provide_browser_tests: chromium from Debian; Node.js and npm from Debian only when npm is
# missing (a machine may bring its own); then playwright-core as tests/browser/package-lock.json
# pins it, by `npm ci` (from the npm registry; it downloads no browser), only when node_modules
# is not already that lock's: a copy of the lock inside node_modules is the stamp.
provide_browser_tests() {
	local dir=tests/browser
	local stamp=$dir/node_modules/.frontdesk-package-lock.json
	install_missing_packages "${FRONTDESK_BROWSER_PACKAGES[@]}"
	command -v npm >/dev/null || install_missing_packages nodejs npm
	cmp -s "$dir/package-lock.json" "$stamp" && return 0
	echo "npm ci --prefix $dir (playwright-core)"
	npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error >/dev/null
	cp "$dir/package-lock.json" "$stamp"
}
