#!/usr/bin/env bash
# The Windows package: the zip CPack makes (cmake --build --preset windows --target package),
# unpacked into an empty folder, runs there under Wine with nothing else around it (the .exe files
# are statically linked: no DLLs), and holds the library and its headers.
# Usage: test_zip.sh BUILD_DIR
set -u
build=$1
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
(cd "$build" && cpack -G ZIP >"$work/cpack.log" 2>&1) || { cat "$work/cpack.log"; fail "cpack"; }
zip=$(ls "$build"/sockit-*-windows-x86_64.zip 2>/dev/null | head -1)
[ -n "$zip" ] || fail "no sockit-*-windows-x86_64.zip in $build"
mkdir "$work/empty"
python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$zip" "$work/empty" || fail "unzip"
exe=$(find "$work/empty" -name echo_server.exe | head -1)
[ -n "$exe" ] || fail "echo_server.exe not in the zip: $(cd "$work/empty" && find . -type f | head)"
dlls=$(find "$work/empty" -iname '*.dll' | wc -l)
[ "$dlls" -eq 0 ] || fail "the zip carries DLLs: the .exe was meant to be self-contained"
[ -n "$(find "$work/empty" -name libsockit.a)" ] || fail "libsockit.a not in the zip"
[ -n "$(find "$work/empty" -path '*include/sockit/endpoint.hpp')" ] || fail "headers not in the zip"
cp "$exe" "$work/alone.exe"  # alone in a folder of its own: nothing else to load
out=$(cd "$work" && timeout 60 "$here/wine.sh" ./alone.exe --help 2>&1) || fail "echo_server.exe --help exited $?: $out"
echo "$out" | grep -q "^usage: echo_server" || fail "unexpected --help output: $out"
cli=$(find "$work/empty" -name sockit.exe | head -1)
[ -n "$cli" ] || fail "sockit.exe not in the zip"
mkdir "$work/cli" && cp "$cli" "$work/cli/sockit.exe"
out=$(cd "$work/cli" && timeout 60 "$here/wine.sh" ./sockit.exe --help 2>&1) || fail "sockit.exe --help exited $?: $out"
echo "$out" | grep -q "^sockit: low-level TCP/UDP networking toolkit" || fail "unexpected sockit.exe --help output: $out"
echo "ok: $(basename "$zip") ($(stat -c %s "$zip") bytes), echo_server.exe and sockit.exe run from it alone"
