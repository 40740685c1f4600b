#!/usr/bin/env python3
"""Stand-in for `sockit bench --json`, used by compare.sh when SOCKIT_BENCH_FAKE=1 (plumbing tests only).

    fake_bench.py SERVER_ID HOST:PORT CONNS DEPTH SIZE SECS HOLD_SECS

What is real: it opens CONNS connections to the server, sends one SIZE-byte message on each, checks that
every echo comes back byte-exact (mismatches and failures are counted as "errors"), and keeps the
connections open for HOLD_SECS, so the server's RSS at that many connections is really measured.
What is made up: every rate, latency and CPU figure (a fixed factor per server, plus a little noise).
"""
import json
import os
import random
import resource
import selectors
import socket
import sys
import time

FACTOR = {"epoll_ref": 1.00, "sockit": 0.98, "asio": 0.80, "libevent": 0.60, "libuv": 0.45}
CPU_US = {"epoll_ref": 4.0, "sockit": 4.1, "asio": 5.2, "libevent": 6.0, "libuv": 7.5}


def touch_every_connection(host, port, conns, size, deadline):
    """Connect CONNS sockets, echo SIZE bytes on each, verify. Returns (sockets, errors)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < conns + 64:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, conns + 64), hard))
    payload = os.urandom(size)
    socks, errors = [], 0
    for _ in range(conns):
        try:
            s = socket.create_connection((host, port), timeout=5)
            s.setblocking(False)
            socks.append(s)
        except OSError:
            errors += 1
    sel = selectors.DefaultSelector()
    state = {}
    for s in socks:
        state[s] = [0, bytearray()]   # bytes sent, bytes received
        sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE)
    pending = len(socks)
    while pending and time.monotonic() < deadline:
        for key, ev in sel.select(timeout=0.5):
            s = key.fileobj
            st = state[s]
            try:
                if ev & selectors.EVENT_WRITE and st[0] < size:
                    st[0] += s.send(payload[st[0]:])
                    if st[0] == size:
                        sel.modify(s, selectors.EVENT_READ)
                if ev & selectors.EVENT_READ:
                    data = s.recv(65536)
                    if not data:
                        raise OSError("closed by the server")
                    st[1] += data
                    if len(st[1]) >= size:
                        errors += bytes(st[1]) != payload
                        sel.unregister(s)
                        pending -= 1
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                errors += 1
                sel.unregister(s)
                pending -= 1
    return socks, errors + pending


def main():
    server, target, conns, depth, size, secs, hold = sys.argv[1:8]
    conns, depth, size, secs, hold = int(conns), int(depth), int(size), float(secs), float(hold)
    host, port = target.rsplit(":", 1)
    socks, errors = touch_every_connection(host, int(port), conns, size, time.monotonic() + 60)
    time.sleep(hold)
    for s in socks:
        s.close()

    f = FACTOR.get(server, 0.5)
    noise = lambda: 0.97 + 0.06 * random.random()
    base = 37000 * (4 if conns * depth > 1 else 1) * (10 if conns * depth > 100 else 1) / (9 if size > 1024 else 1)
    rate = base * f * noise()
    p50 = 1e6 * conns * depth / rate
    print(json.dumps({
        "target": target, "proto": "tcp", "connections": conns, "depth": depth, "size": size, "duration_s": secs,
        "messages": int(rate * secs), "msgs_per_s": round(rate, 1), "mb_per_s": round(rate * size / 1e6, 2),
        "latency_us": {"p50": round(p50, 1), "p90": round(p50 * 1.2, 1), "p99": round(p50 * 2, 1),
                       "p999": round(p50 * 3, 1), "max": round(p50 * 20, 1)},
        "errors": errors, "udp_lost": 0,
        "server_cpu_us_per_msg": round(CPU_US.get(server, 8.0) * noise() * (2 if size > 1024 else 1), 2),
    }))


if __name__ == "__main__":
    main()
