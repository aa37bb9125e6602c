#!/bin/sh
# SPDX-License-Identifier: ISC
# meson install script: install the example configuration as SYSCONFDIR/frontdesk/frontdesk.conf
# unless a file is already there, so an administrator's edits survive a reinstall. Honours
# DESTDIR (meson exports it). Usage: install-config.sh EXAMPLE DIR
set -eu
example=$1
dir=${DESTDIR:-}$2
target=$dir/frontdesk.conf
if [ -e "$target" ]; then
	echo "Keeping the existing $target (the example is in the doc directory)"
	exit 0
fi
install -d -m 0755 "$dir"
install -m 0644 "$example" "$target"
echo "Installing $example to $dir"
