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

# capture_start NAME FILTER FIELD...: tshark on lo in $NS, one line per packet matching the
# capture FILTER with the FIELDs, tab-separated, in $TMP/NAME.cap (read it with capture_lines);
# its PID in CAPTURE. Returns once tshark really captures: "Capturing on" comes before packets are
# seen, so it knocks on 127.0.0.1:9 (TCP; nothing listens in the namespace: a SYN and a RST, no
# ICMP) until a knock shows up in the capture.
capture_start() {
  local name=$1 filter=$2 f; shift 2
  local fields=(-e tcp.srcport)
  for f in "$@"; do fields+=(-e "$f"); done
  bg "${IN[@]}" timeout 20 tshark -i lo -n -l -f "($filter) or (tcp port 9)" -T fields "${fields[@]}" \
    >"$TMP/$name.raw" 2>"$TMP/$name.err"
  CAPTURE=$BG_PID
  for _ in $(seq 100); do
    grep -q '^[0-9]' "$TMP/$name.raw" && return 0
    kill -0 "$CAPTURE" 2>/dev/null || break
    "${IN[@]}" timeout 2 bash -c ': </dev/tcp/127.0.0.1/9' 2>/dev/null  # bash's own connect, refused
    sleep 0.1
  done
  die "tshark captures nothing on lo in $NS: $(head -c 300 "$TMP/$name.err")"
}

# capture_lines NAME N: waits up to 10 s for N captured packets other than the knocks, stops
# tshark, and prints their lines (without the knocks' column).
capture_lines() {
  local name=$1 n=$2
  for _ in $(seq 100); do
    [ "$(grep -c -v '^[0-9]' "$TMP/$name.raw")" -ge "$n" ] && break
    sleep 0.1
  done
  kill "$CAPTURE" 2>/dev/null
  wait "$CAPTURE" 2>/dev/null
  grep -v '^[0-9]' "$TMP/$name.raw" | cut -f2-
}
