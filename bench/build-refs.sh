#!/usr/bin/env bash
# Build the reference echo servers that bench/compare.sh measures sockit against, into build/bench-refs/.
# Their libraries come from Debian packages installed here only when missing; they are bench-only and are
# never linked into sockit.
#
#   bench/build-refs.sh            # install what is missing (needs root), then compile all six
#
# Environment: CC (default gcc), CXX (default g++), CFLAGS_EXTRA for extra compiler flags, REBUILD=1 to
# rebuild binaries that look up to date.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src="$repo/bench/ref"
out="$repo/build/bench-refs"
CC=${CC:-gcc}
CXX=${CXX:-g++}
read -r -a extra <<<"${CFLAGS_EXTRA:-}"

# Debian 12 names. Standalone asio (libasio-dev, asio 1.22) rather than boost.asio: same example, far fewer
# headers to install.
packages=(gcc g++ libuv1-dev libevent-dev libasio-dev pkg-config)

installed() { [[ $(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) == "install ok installed" ]]; }

missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done
if ((${#missing[@]})); then
    echo "build-refs: installing ${missing[*]}"
    if [[ $(id -u) -ne 0 ]]; then
        echo "build-refs: need root to install: apt-get install ${missing[*]}" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mkdir -p "$out"
common=(-O2 -g -Wall -Wextra "${extra[@]}")

# The libraries' flags come from pkg-config when it knows them, with the plain -l as a fallback.
pc_libs() { pkg-config --cflags --libs "$1" 2>/dev/null || echo "$2"; }

build() {   # name, compiler, std, source, libs...
    local name=$1 cc=$2 std=$3 file=$4
    shift 4
    if [[ $out/$name -nt $src/$file && $out/$name -nt $src/ref_common.h && $out/$name -nt ${BASH_SOURCE[0]} && -z ${REBUILD:-} ]]; then
        echo "build-refs: up to date $out/$name"
        return
    fi
    "$cc" "$std" "${common[@]}" -o "$out/$name" "$src/$file" "$@"
    echo "build-refs: built $out/$name  ($cc $std -O2, from bench/ref/$file)"
}

build epoll_echo    "$CC"  -std=gnu11 epoll_echo.c
# shellcheck disable=SC2046
build libuv_echo    "$CC"  -std=gnu11 libuv_echo.c    $(pc_libs libuv -luv)
# shellcheck disable=SC2046
build libevent_echo "$CC"  -std=gnu11 libevent_echo.c $(pc_libs libevent -levent)
build udp_recvfrom_echo "$CC" -std=gnu11 udp_recvfrom_echo.c
build udp_mmsg_echo "$CC"  -std=gnu11 udp_mmsg_echo.c
build asio_echo     "$CXX" -std=c++17 asio_echo.cpp   -DASIO_STANDALONE -DASIO_NO_DEPRECATED -pthread
