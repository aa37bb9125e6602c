#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Instructions per MiB of a file, binary type 6 frames against base64 in text frames, counted
# by callgrind (stable where the times of file-encoding are not).
#
#   contrib/bench/callgrind-file-encoding.sh [FILE_ENCODING] [MIB]
#
# Runs file-encoding (default build/contrib/bench/file-encoding, -Dbench=true) once per
# encoding under callgrind on MIB (default 10) MiB, and prints the inclusive instructions of
# its sender (send_binary, send_base64) and receiver (recv_binary, recv_base64) per MiB.
set -euo pipefail
prog=${1:-build/contrib/bench/file-encoding}
mib=${2:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

printf '%-24s %14s %14s\n' encoding 'send Ir/MiB' 'receive Ir/MiB'
for e in 0 1 2; do
	valgrind --tool=callgrind --callgrind-out-file="$work/cg.$e" "$prog" -n 1 -m "$mib" -e "$e" \
		>"$work/out.$e" 2>"$work/log.$e"
	name=$(tail -1 "$work/out.$e" | sed 's/  .*//')
	callgrind_annotate --inclusive=yes --threshold=100 "$work/cg.$e" >"$work/ann.$e"
	ir() { # FUNCTION -> its inclusive instructions
		awk -v f="file-encoding.c:$1 " 'index($0, f) { gsub(/,/, "", $1); print $1; exit }' \
			"$work/ann.$e"
	}
	case $e in
	0) send=$(ir send_binary) recv=$(ir recv_binary) ;;
	*) send=$(ir send_base64) recv=$(ir recv_base64) ;;
	esac
	printf '%-24s %14d %14d\n' "$name" $((send / mib)) $((recv / mib))
done
