#!/usr/bin/env bash
# Installs the Debian 12 packages sockit needs, only those that are missing (a second run is
# instant). Usage: scripts/deps.sh build|test|windows
set -euo pipefail

build_pkgs=(g++ cmake ninja-build pkg-config libcli11-dev libfmt-dev libspdlog-dev libxxhash-dev liburing-dev libssl-dev)
# Tests: GoogleTest, and the real peers the interop tests drive (nc, ncat, socat, nft, ip, setpriv, ping).
# ncat's claim on /bin/nc ranks below netcat-openbsd's, so nc stays netcat-openbsd.
test_pkgs=(googletest libgtest-dev libgmock-dev netcat-openbsd socat nftables iproute2 util-linux procps
           tshark jq python3 ncat clang libclang-rt-14-dev iputils-ping  # captures, JSON checks, byte-level test peers, libFuzzer
           iperf3  # the relay's UDP test and bench/relay.sh
           xxhash  # xxh128sum: the transfer's hashes checked by an implementation not ours
           libseccomp-dev  # tests/tools/no_uring: io_uring_setup denied, for the engine's fallback tests
           openssl ca-certificates  # TLS: certificates the tests make, s_server/s_client, the trust store
           netbase  # /etc/services, for ports by name ("ssh"); a bare Debian image lacks it
           # The chapter's FreePascal programs (tests/interop/chapter): fpc 3.2.2; SysUtils, BaseUnix,
           # Linux and Sockets are in the RTL units, netdb in the FCL's; script (bsdutils) gives one a terminal.
           fp-compiler-3.2.2 fp-units-rtl-3.2.2 fp-units-fcl-3.2.2 bsdutils)

# The Windows cross-build and its tests under Wine: mingw-w64 (POSIX threads), Wine's 64-bit
# loader, GoogleTest's sources (built for the target), and the host's header-only libraries.
windows_pkgs=(g++-mingw-w64-x86-64-posix wine64 googletest libcli11-dev libfmt-dev libspdlog-dev libxxhash-dev
              cmake ninja-build)

case "${1:-build}" in
  build) want=("${build_pkgs[@]}") ;;
  test) want=("${build_pkgs[@]}" "${test_pkgs[@]}") ;;
  windows) want=("${windows_pkgs[@]}") ;;
  *) echo "usage: scripts/deps.sh build|test|windows" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing Debian packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
