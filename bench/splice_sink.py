#!/usr/bin/env python3
"""Accept one TCP connection on 127.0.0.1:PORT and splice everything it sends into /dev/null
(socket -> pipe -> /dev/null, no copy into user space): the fastest possible receiver, a floor
for bench/transfer.sh."""
import fcntl
import os
import socket
import sys

port = int(sys.argv[1])
with socket.create_server(("127.0.0.1", port)) as srv:
    conn, _ = srv.accept()
    with conn:
        r, w = os.pipe()
        fcntl.fcntl(w, fcntl.F_SETPIPE_SZ, 1 << 20)
        null = os.open(os.devnull, os.O_WRONLY)
        total = 0
        while True:
            n = os.splice(conn.fileno(), w, 1 << 20)
            if n == 0:
                break
            while n:
                m = os.splice(r, null, n)
                n -= m
                total += m
print(f"splice_sink: {total} bytes", file=sys.stderr)
