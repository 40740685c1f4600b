#!/usr/bin/env bash
# Builds sockit and runs every test: unit, loopback and interop tests (release build), the
# packaging check (install + a find_package consumer + pkg-config), then the unit, loopback and
# interop tests again under AddressSanitizer + UndefinedBehaviorSanitizer (long tests left out),
# the Windows cross-build (mingw-w64) with its unit and loopback suites under Wine, and each
# libFuzzer target for a bounded time (FUZZ_SECONDS, default 20).
# Installs missing Debian packages first. In CI (CI=true) a skipped test fails the run unless its
# reason starts with "CI cannot have:".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=${JOBS:-$(nproc)}
LOGS=$ROOT/build/test-logs
started=$(date +%s)

step() { printf '\n==> %s\n' "$*"; }
die() { echo "test.sh: $*" >&2; exit 1; }

scripts/deps.sh test || die "could not install the packages the tests need"
rm -rf "$LOGS" && mkdir -p "$LOGS"

total_pass=0 total_fail=0 total_skip=0 bad_skips=0

# run_ctest PRESET: runs the preset's tests, adds to the totals, and lists each skip with its reason.
run_ctest() {
  local preset=$1 log=$LOGS/ctest-$1.log
  ctest --preset "$preset" -j "$JOBS" 2>&1 | tee "$log"
  local n_total n_fail n_skip
  n_total=$(sed -n 's/.*tests failed out of \([0-9]*\).*/\1/p' "$log" | tail -1)
  n_fail=$(sed -n 's/.*, \([0-9]*\) tests failed out of.*/\1/p' "$log" | tail -1)
  [ -n "$n_total" ] || { echo "ctest ($preset) printed no summary"; total_fail=$((total_fail + 1)); return; }
  mapfile -t skipped < <(sed -n 's/^[[:space:]]*[0-9]* - \(.*\) (Skipped)$/\1/p' "$log")
  n_skip=${#skipped[@]}
  total_pass=$((total_pass + n_total - n_fail - n_skip))
  total_fail=$((total_fail + n_fail))
  total_skip=$((total_skip + n_skip))
  local t reason
  for t in "${skipped[@]}"; do
    # Scripts print "SKIP: reason"; GoogleTest prints "file:line: Skipped" and the reason below it.
    reason=$(ctest --preset "$preset" -R "^${t//./\\.}\$" -V 2>&1 | sed 's/^[0-9]*: //' |
             grep -E -A1 'SKIP:|: Skipped$' | grep -v -E '^--$|: Skipped$|Test #' | head -2 | tr '\n' ' ')
    echo "skipped: $t: ${reason:-no reason given}"
    if [ "${CI:-}" = true ] && [[ "$reason" != *"CI cannot have:"* ]]; then
      echo "  ^ counts as a failure in CI: the reason does not name something CI cannot have"
      bad_skips=$((bad_skips + 1))
    fi
  done
}

step "release build"
cmake --preset release >"$LOGS/configure-release.log" 2>&1 || { cat "$LOGS/configure-release.log"; die "configure failed"; }
cmake --build --preset release -j "$JOBS" || die "release build failed"

step "tests (release)"
run_ctest release

step "packaging: install, find_package consumer, pkg-config"
prefix=$ROOT/build/install-test
rm -rf "$prefix" "$ROOT/build/consumer"
if cmake --install build/release --prefix "$prefix" >"$LOGS/install.log" 2>&1 &&
   cmake -S examples/consumer -B build/consumer -G Ninja -DCMAKE_PREFIX_PATH="$prefix" >"$LOGS/consumer.log" 2>&1 &&
   cmake --build build/consumer >>"$LOGS/consumer.log" 2>&1 &&
   timeout 20 build/consumer/sockit_consumer && test -x "$prefix/bin/sockit" &&
   PKG_CONFIG_PATH=$prefix/lib/pkgconfig g++ -o build/consumer/pc_consumer examples/consumer/main.cpp \
     $(PKG_CONFIG_PATH=$prefix/lib/pkgconfig pkg-config --cflags --libs sockit) >>"$LOGS/consumer.log" 2>&1 &&
   timeout 20 build/consumer/pc_consumer; then
  echo "packaging: ok (find_package and pkg-config consumers built and ran)"
  total_pass=$((total_pass + 1))
else
  cat "$LOGS/install.log" "$LOGS/consumer.log"
  echo "packaging: FAILED"
  total_fail=$((total_fail + 1))
fi

step "sanitizer build (ASan + UBSan)"
asan_logs=$LOGS/asan
mkdir -p "$asan_logs"
cmake --preset asan >"$LOGS/configure-asan.log" 2>&1 || { cat "$LOGS/configure-asan.log"; die "asan configure failed"; }
cmake --build --preset asan -j "$JOBS" || die "asan build failed"

step "tests (ASan + UBSan, without long tests)"
# Reports go to files too, so a report from a background server that a script killed still counts.
export ASAN_OPTIONS="log_path=$asan_logs/asan:detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="log_path=$asan_logs/ubsan:print_stacktrace=1:halt_on_error=1"
run_ctest asan
unset ASAN_OPTIONS UBSAN_OPTIONS
if compgen -G "$asan_logs/*" >/dev/null; then
  echo "sanitizer reports:"
  head -n 40 "$asan_logs"/*
  total_fail=$((total_fail + 1))
fi

step "Windows: cross-build with mingw-w64, unit and loopback suites under Wine"
if ! scripts/deps.sh windows; then
  echo "windows: could not install the cross-compiler and Wine"
  total_fail=$((total_fail + 1))
elif cmake --preset windows >"$LOGS/configure-windows.log" 2>&1 &&
     cmake --build --preset windows -j "$JOBS" >"$LOGS/build-windows.log" 2>&1; then
  run_ctest windows
else
  tail -n 40 "$LOGS/configure-windows.log" "$LOGS/build-windows.log"
  echo "windows: build FAILED"
  total_fail=$((total_fail + 1))
fi

step "fuzzing (libFuzzer, ${FUZZ_SECONDS:=20} s per target)"
if cmake --preset fuzz >"$LOGS/configure-fuzz.log" 2>&1 && cmake --build --preset fuzz -j "$JOBS" >"$LOGS/build-fuzz.log" 2>&1; then
  for target in build/fuzz/fuzz/*_fuzz; do
    name=$(basename "$target" _fuzz)
    work=$(mktemp -d)
    if timeout $((FUZZ_SECONDS + 60)) "$target" -max_total_time="$FUZZ_SECONDS" -max_len=4096 -print_final_stats=1 \
         -artifact_prefix="$LOGS/fuzz-$name-" "$work" "fuzz/corpus/$name" >"$LOGS/fuzz-$name.log" 2>&1; then
      echo "fuzz $name: ok ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$LOGS/fuzz-$name.log" | grep -o '[0-9]*$') runs)"
      total_pass=$((total_pass + 1))
    else
      tail -n 30 "$LOGS/fuzz-$name.log"
      echo "fuzz $name: FAILED (crash input saved under $LOGS)"
      total_fail=$((total_fail + 1))
    fi
    rm -rf "$work"
  done
else
  tail -n 30 "$LOGS/configure-fuzz.log" "$LOGS/build-fuzz.log"
  echo "fuzz: build FAILED"
  total_fail=$((total_fail + 1))
fi

elapsed=$(( $(date +%s) - started ))
echo
echo "test.sh: finished in ${elapsed}s; skipped tests: $total_skip (reasons above)"
[ "$bad_skips" -gt 0 ] && total_fail=$((total_fail + bad_skips))
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
