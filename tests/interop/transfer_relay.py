"""A one-connection TCP relay for the send/recv tests, standing between `sockit send` and
`sockit recv` to damage the stream on purpose:

  transfer_relay.py TARGET_PORT [--flip-at N] [--stall-after N]

Listens on 127.0.0.1 port 0 and prints "relay port P" on stdout, accepts one client, connects to
127.0.0.1:TARGET_PORT and copies both ways. --flip-at N flips the low bit of byte N (from 0) of
what the client sends; --stall-after N forwards only the first N bytes the client sends and drops
the rest (still reading, so the client's close is seen). A close on either side is passed on as a
FIN. Gives up after 60 s."""
import argparse
import select
import socket
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("target", type=int)
ap.add_argument("--flip-at", type=int, default=-1)
ap.add_argument("--stall-after", type=int, default=-1)
args = ap.parse_args()

lst = socket.socket()
lst.bind(("127.0.0.1", 0))
lst.listen(1)
print(f"relay port {lst.getsockname()[1]}", flush=True)
lst.settimeout(30)
client, _ = lst.accept()
server = socket.create_connection(("127.0.0.1", args.target), timeout=10)
up = 0  # bytes from the client so far
open_from = {client: True, server: True}
end = time.monotonic() + 60
while (open_from[client] or open_from[server]) and time.monotonic() < end:
    want = [s for s in (client, server) if open_from[s]]
    ready, _, _ = select.select(want, [], [], 0.5)
    for s in ready:
        try:
            data = s.recv(65536)
        except ConnectionError:
            data = b""
        other = server if s is client else client
        if not data:
            open_from[s] = False
            try:
                other.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            continue
        if s is client:
            if 0 <= args.flip_at < up + len(data) and args.flip_at >= up:
                b = bytearray(data)
                b[args.flip_at - up] ^= 1
                data = bytes(b)
            if args.stall_after >= 0:
                keep = max(0, min(len(data), args.stall_after - up))
                up += len(data)
                data = data[:keep]
            else:
                up += len(data)
        if data:
            try:
                other.sendall(data)
            except OSError:
                open_from[s] = False
sys.exit(0)
