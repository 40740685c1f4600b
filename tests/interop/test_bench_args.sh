#!/usr/bin/env bash
# sockit bench's duration options refuse what is not a finite number of seconds in range (nan, inf,
# negative, zero for -t) with the one-line error every command uses for seconds, exit 2, before
# anything is connected (the target is a port nobody listens on: had it been tried, exit 1); and
# --engine select with more connections than it can watch.
. "$SOCKIT_TEST_LIB"

P=$(free_port)
while read -r opt value; do
  run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:$P" "$opt" "$value"
  expect_rc 2 "bench $opt $value"
  expect_lines "$TMP/err" 1 "bench $opt $value: one error line"
  expect_contains "$TMP/err" "^sockit: $opt: bad value '$value': must be a number of seconds" "bench $opt $value names the rule"
done <<'CASES'
--time nan
--time inf
--time -inf
--time -1
--time 0
--time 86401
--warmup nan
--warmup inf
--warmup -0.5
--warmup 3601
CASES
# The same wording as another command's seconds option.
run "$TMP/out" "$TMP/err2" -- "$SOCKIT" udp recv 0 -w nan
expect_contains "$TMP/err2" "must be a number of seconds from 0 to" "udp recv -w nan (the shared wording)"

# More connections than select can watch (FD_SETSIZE): refused before connecting, not 82 errors
# "descriptor too large for this backend" after a run.
run "$TMP/out" "$TMP/err" -- "$SOCKIT" bench "127.0.0.1:$P" --engine select -c 1100
expect_rc 2 "bench --engine select -c 1100"
expect_lines "$TMP/err" 1 "bench --engine select -c 1100: one error line"
expect_contains "$TMP/err" "^sockit: bench: --engine select watches descriptors below 1024 only; -c 1100 needs" \
  "bench --engine select -c 1100 names the limit"

finish
