#!/usr/bin/env bash
# SPDX-License-Identifier: ISC
# Install what is missing, build, run every test; the last line is "N passed, N failed".
#
#   1. unit, integration and browser tests in the normal build           (build/)
#   2. the same suite in an AddressSanitizer + UBSan build               (build-asan/)
#   3. the integration tests again with the daemon under valgrind memcheck
#   4. each libFuzzer harness: its seeds and regression inputs, then FUZZ_SECONDS (default 60)
#      of exploration, in a clang build                                  (build-fuzz/)
#
# The browser tests (tests/browser) run in stage 1 only: chromium comes from Debian, Node.js and npm
# from Debian when npm is missing, playwright-core by `npm ci` from the committed lock.
# QUICK=1 runs stage 1 only. Warnings are errors in CI (CI=true) and with WERROR=1.
# Extra arguments go to every `meson test` (e.g. a test name).
set -euo pipefail
cd "$(dirname "$0")/.."
. contrib/deps.sh

quick=${QUICK:-0}
install_missing_packages
[ "$quick" = 1 ] || install_missing_packages "${FRONTDESK_TEST_PACKAGES[@]}"
provide_browser_tests
provide_promtool "${BUILD_DIR:-build}"
werror=false
if [ "${CI:-}" = true ] || [ "${WERROR:-0}" = 1 ]; then werror=true; fi

build=${BUILD_DIR:-build}
results=()    # meson testlog JSON files to count
status=0

stage() { printf '\n==== %s\n' "$*"; }

stage "formatting (clang-format --dry-run --Werror, .clang-format)"
mkdir -p "$build"
format_log="$build/format.json"
if command -v clang-format >/dev/null; then
	unformatted=()
	while IFS= read -r f; do
		clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || unformatted+=("$f")
	done < <(git ls-files 'src/*.c' 'src/*.h' 'include/*.h' 'tests/unit/*.c' 'contrib/*.c' 2>/dev/null ||
		find src include tests/unit contrib -name '*.[ch]')
	if [ ${#unformatted[@]} -eq 0 ]; then
		echo "format: OK"
		echo '{"name": "format", "result": "OK"}' >"$format_log"
	else
		printf 'format: FAIL (run clang-format -i): %s\n' "${unformatted[*]}"
		echo '{"name": "format", "result": "FAIL"}' >"$format_log"
		status=1
	fi
	results+=("$format_log")
fi

stage "build and test"
configure_build "$build" -Dwerror=$werror -Dtests=true
meson test -C "$build" --print-errorlogs "$@" || status=1
results+=("$build/meson-logs/testlog.json")

if [ "$quick" != 1 ]; then
	stage "AddressSanitizer + UndefinedBehaviorSanitizer"
	configure_build "$build-asan" -Dwerror=$werror -Dtests=true \
		-Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C "$build-asan" --print-errorlogs "$@" || status=1
	results+=("$build-asan/meson-logs/testlog.json")

	stage "integration tests with the daemon under valgrind memcheck"
	FRONTDESK_VALGRIND=1 meson test -C "$build" --suite integration --logbase valgrind \
		--timeout-multiplier 3 --print-errorlogs "$@" || status=1
	results+=("$build/meson-logs/valgrind.json")

	if command -v clang >/dev/null; then
		stage "fuzzing, ${FUZZ_SECONDS:-60} s per harness"
		CC=clang configure_build "$build-fuzz" -Dfuzz=true -Dtests=false \
			-Db_sanitize=address,undefined -Db_lundef=false >/dev/null
		fuzz_log="$build-fuzz/fuzz.json"
		: >"$fuzz_log"
		for harness in "$build-fuzz"/contrib/fuzz/fuzz-*; do
			[ -f "$harness" ] && [ -x "$harness" ] || continue
			name=${harness##*/fuzz-}
			corpus="$build-fuzz/corpus-$name"
			mkdir -p "$corpus" "$build-fuzz/artifacts"
			result=OK
			# Regression inputs first (each must pass), then seeds plus exploration.
			regressions=(contrib/fuzz/regressions/"$name"/*)
			if [ -e "${regressions[0]}" ] && ! "$harness" "${regressions[@]}" \
				>"$build-fuzz/regress-$name.log" 2>&1; then
				result=FAIL
				tail -20 "$build-fuzz/regress-$name.log"
			fi
			if ! "$harness" -max_total_time="${FUZZ_SECONDS:-60}" -print_final_stats=1 \
				-artifact_prefix="$build-fuzz/artifacts/$name-" \
				"$corpus" "contrib/fuzz/corpus/$name" >"$build-fuzz/fuzz-$name.log" 2>&1; then
				result=FAIL
				tail -30 "$build-fuzz/fuzz-$name.log"
			fi
			runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$build-fuzz/fuzz-$name.log")
			echo "fuzz-$name: $result (${runs:-?} inputs)"
			[ $result = OK ] || status=1
			printf '{"name": "fuzz-%s", "result": "%s"}\n' "$name" "$result" >>"$fuzz_log"
		done
		results+=("$fuzz_log")
	fi
fi

python3 - "${results[@]}" <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    with open(path) as f:
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
