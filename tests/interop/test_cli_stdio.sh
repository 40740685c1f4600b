#!/usr/bin/env bash
# Standard descriptors that are closed, full or lead nowhere: no command crashes, hangs or talks
# to itself, and a stdout that cannot be written follows one rule (EPIPE: quiet stop, normal
# status; anything else: one line on stderr, exit 1).
. "$SOCKIT_TEST_LIB"
need python3

# with_dead_pipe FD CMD...: runs CMD (20 s cap) with FD (1 or 2) on a pipe whose reader is already
# closed; exits with CMD's status (a signal N shows as 128+N, like the shell).
with_dead_pipe() {
  python3 - "$@" <<'PY'
import os, subprocess, sys
fd, cmd = int(sys.argv[1]), sys.argv[2:]
r, w = os.pipe()
os.close(r)
kw = {"stdout": w} if fd == 1 else {"stderr": w}
try:
    rc = subprocess.run(cmd, stdin=subprocess.DEVNULL, timeout=20, **kw).returncode
except subprocess.TimeoutExpired:
    rc = 124
sys.exit(128 - rc if rc < 0 else rc)
PY
}

# 1. An error line that cannot be written never aborts (fmt::print used to throw): stderr closed,
# full, or a pipe nobody reads. 1.2.3.4 is not a local address, so serve's bind fails at once.
check_stderr() {  # EXPECTED_RC ARGS...
  local want=$1; shift
  timeout 20 "$SOCKIT" "$@" </dev/null >/dev/null 2>&-; RC=$?; expect_rc "$want" "$* with stderr closed"
  timeout 20 "$SOCKIT" "$@" </dev/null >/dev/null 2>/dev/full; RC=$?; expect_rc "$want" "$* with stderr full"
  with_dead_pipe 2 "$SOCKIT" "$@" >/dev/null; RC=$?; expect_rc "$want" "$* with stderr a pipe nobody reads"
}
check_stderr 1 connect 127.0.0.1 1
check_stderr 2 listen 70000
check_stderr 1 bench 127.0.0.1:1 -t 0.2 --warmup 0
check_stderr 1 proto call :1 ping
check_stderr 1 serve --bind 1.2.3.4
check_stderr 2 udp frobnicate
check_stderr 2 nosuchcommand

finish
