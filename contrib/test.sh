#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Install what is missing, build, run every test; the last line is "N passed, N failed".
# Exits non-zero when any test fails. Warnings are errors in CI (CI=true) and with WERROR=1.
set -euo pipefail
cd "$(dirname "$0")/.."
. contrib/deps.sh

install_missing_packages
build=${BUILD_DIR:-build}
werror=false
if [ "${CI:-}" = true ] || [ "${WERROR:-0}" = 1 ]; then werror=true; fi
configure_build "$build" -Dwerror=$werror -Dtests=true

status=0
meson test -C "$build" --print-errorlogs "$@" || status=$?

python3 - "$build/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
with open(sys.argv[1]) as f:
    for line in f:
        result = json.loads(line)["result"]
        if result in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif result == "SKIP":
            skipped += 1
        else:
            failed += 1
print("%d passed, %d failed" % (passed, failed) + (", %d skipped" % skipped if skipped else ""))
PY
exit $status
