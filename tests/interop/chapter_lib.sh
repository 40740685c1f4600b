# Helpers for the test_chapter_*.sh scripts, sourced after lib.sh: they compile the chapter's own
# FreePascal programs (tests/interop/chapter/*.pas, see its README.md) with fpc and run them in a
# network namespace of the test's own. The programs hard-code their ports (7, 8080, 9000, 5353) and
# some bind 0.0.0.0, so each test runs them in a fresh namespace: no clash with parallel tests, and
# nothing leaves its loopback.

CHAPTER_DIR=$(dirname "$SOCKIT_TEST_LIB")/chapter

# chapter_build NAME...: compiles chapter/NAME.pas into $TMP/chapter/NAME and sets the variable
# NAME to the binary's path (e.g. $SimpleTCPClient). Skips when fpc is missing (scripts/deps.sh
# test installs it; in CI a skip fails the run); a program that does not compile fails the test.
chapter_build() {
  need fpc
  local name out=$TMP/chapter
  for name in "$@"; do
    [ -f "$CHAPTER_DIR/$name.pas" ] || die "no $CHAPTER_DIR/$name.pas"
    mkdir -p "$out/units-$name"
    # -v0: errors only; -l-: no banner. Units and objects stay in $TMP, nothing in the source tree.
    timeout 120 fpc -v0 -l- -FE"$out" -FU"$out/units-$name" "$CHAPTER_DIR/$name.pas" >"$out/$name.log" 2>&1 \
      || die "fpc could not compile $name.pas: $(head -c 1500 "$out/$name.log")"
    [ -x "$out/$name" ] || die "fpc made no $out/$name"
    printf -v "$name" '%s' "$out/$name"
  done
}

# chapter_netns: a fresh namespace (make_netns) in $NS, and IN=(ip netns exec "$NS") to run in it.
chapter_netns() {
  make_netns
  IN=(ip netns exec "$NS")
}

# chapter_client OUT CMD...: runs a chapter client in $NS with stdin /dev/null (the final ReadLn
# most of them end with returns at end of file), stdout and stderr in OUT, a 10 s cap; sets RC.
chapter_client() {
  local out=$1; shift
  "${IN[@]}" timeout 10 "$@" </dev/null >"$out" 2>&1
  RC=$?
}

# chapter_server NAME PORT tcp|udp [ARGS...]: starts the chapter's server NAME (built first) in $NS
# with a 30 s cap, stdout and stderr in $TMP/NAME.out, and waits until it listens on PORT (its PID
# in BG_PID). A server's stdout is a file, so FPC buffers it: its lines may be missing until it
# exits on its own, and these servers never do, so the tests judge them by what goes on the wire.
chapter_server() {
  local name=$1 port=$2 proto=$3; shift 3
  bg "${IN[@]}" timeout 30 "${!name}" "$@" </dev/null >"$TMP/$name.out" 2>&1
  wait_listen "$port" "$proto" "$NS"
  kill -0 "$BG_PID" 2>/dev/null || die "$name exited at once: $(head -c 300 "$TMP/$name.out")"
}

# alive PID WHAT: the test fails if PID has exited.
alive() { kill -0 "$1" 2>/dev/null || fail "$2: exited (it should still serve)"; }
