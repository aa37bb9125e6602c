# SPDX-License-Identifier: ISC
# Sourced by run.sh and test.sh: install, from Debian's packages, whatever is missing.
# Needs root (or sudo) only when something is actually missing.

FRONTDESK_PACKAGES=(
	build-essential meson ninja-build pkg-config
	libevent-dev libinih-dev libsystemd-dev
	libcmocka-dev python3 tmux
	systemd	# systemd-analyze and systemd-socket-activate, for the service tests
	man-db	# systemd-analyze verify looks up the units' Documentation= man pages
)

install_missing_packages() {
	local missing=() p
	for p in "${FRONTDESK_PACKAGES[@]}"; do
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
