#!/usr/bin/env bash
# apps/ goes through the library's syscall layer: no raw socket calls (send, recv, connect, poll,
# setsockopt...) and no errno tests for EINTR/EAGAIN/EINPROGRESS, which the layer handles
# (try_send/try_recv, connect_start, wait_any, the option setters). Greps the source tree this
# script sits in; lists each offending line and fails.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
apps="$root/apps"
[ -d "$apps" ] || { echo "FAIL: no apps/ under $root" >&2; exit 1; }

# A global-scope call ("::send(", " ::poll("), not a member definition ("tcp_service::accept(").
calls='(^|[^A-Za-z0-9_])::(send|recv|sendto|recvfrom|sendmsg|recvmsg|connect|accept4?|bind|setsockopt|getsockopt|poll|ppoll)\('
errnos='\bE(INTR|AGAIN|WOULDBLOCK|INPROGRESS)\b'
offenders="$(grep -rnE --include='*.cpp' --include='*.hpp' "$calls|$errnos" "$apps")"
if [ -n "$offenders" ]; then
  echo "FAIL: apps/ makes raw socket calls or tests errno itself; use the library's calls instead:" >&2
  echo "${offenders//$root\//}" >&2
  exit 1
fi
echo "no_raw_calls: ok"
