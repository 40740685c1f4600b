#!/usr/bin/env python3
"""Test peers for the relay's interop tests: clients that measure what comes out of the relay.

  relay_probe.py tcp-rtt PORT COUNT INTERVAL        # small messages to an echo server: RTTs
  relay_probe.py udp-rtt PORT COUNT INTERVAL        # the same with datagrams
  relay_probe.py udp-seq PORT COUNT INTERVAL WAIT   # numbered datagrams: received, duplicates, inversions
  relay_probe.py tcp-many PORT COUNT SIZE           # COUNT connections open at once, SIZE bytes echoed on each
  relay_probe.py tcp-halfclose PORT                 # send, half-close, read the reply to the end
  relay_probe.py tcp-expect-reset PORT              # connect, expect the relay to reset (or close) it

Each prints one JSON object on stdout. All traffic goes to 127.0.0.1.
"""
import json
import os
import select
import socket
import struct
import sys
import time


def stats(xs):
    xs = sorted(xs)
    if not xs:
        return {"n": 0}
    n = len(xs)
    return {"n": n, "min": xs[0], "max": xs[-1], "mean": sum(xs) / n, "median": xs[n // 2],
            "p10": xs[n // 10], "p90": xs[(9 * n) // 10]}


def tcp_rtt(port, count, interval):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rtts = []
    for i in range(count):
        msg = struct.pack("!I", i) * 4
        t0 = time.monotonic()
        s.sendall(msg)
        got = b""
        while len(got) < len(msg):
            chunk = s.recv(len(msg) - len(got))
            if not chunk:
                raise SystemExit("connection closed early")
            got += chunk
        rtts.append(time.monotonic() - t0)
        if got != msg:
            raise SystemExit("echo mismatch")
        time.sleep(interval)
    s.close()
    return {"rtt": stats(rtts)}


def udp_rtt(port, count, interval):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    s.settimeout(2)
    rtts = []
    for i in range(count):
        msg = struct.pack("!I", i)
        t0 = time.monotonic()
        s.send(msg)
        try:
            while True:
                got = s.recv(100)
                if got == msg:
                    rtts.append(time.monotonic() - t0)
                    break
        except socket.timeout:
            pass
        time.sleep(interval)
    return {"rtt": stats(rtts), "lost": count - len(rtts)}


def udp_seq(port, count, interval, wait):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    s.setblocking(False)
    seen = []
    next_send = time.monotonic()
    i = 0
    end = None
    while True:
        now = time.monotonic()
        if i < count and now >= next_send:
            s.send(struct.pack("!I", i) + b"x" * 28)
            i += 1
            next_send += interval
            if i == count:
                end = time.monotonic() + wait
        if end is not None and now >= end:
            break
        timeout = max(0.0, min(next_send if i < count else end, now + 0.05) - now)
        r, _, _ = select.select([s], [], [], timeout)
        if r:
            while True:
                try:
                    d = s.recv(100)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                seen.append(struct.unpack("!I", d[:4])[0])
    distinct = set(seen)
    inversions = sum(1 for a, b in zip(seen, seen[1:]) if b < a)
    return {"sent": count, "received": len(seen), "distinct": len(distinct),
            "duplicates": len(seen) - len(distinct), "inversions": inversions}


def tcp_many(port, count, size):
    socks = []
    t0 = time.monotonic()
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        socks.append(s)
    opened = time.monotonic() - t0
    payload = os.urandom(size)
    for s in socks:
        s.sendall(payload)
    ok = 0
    for s in socks:
        got = b""
        while len(got) < size:
            chunk = s.recv(size - len(got))
            if not chunk:
                break
            got += chunk
        ok += got == payload
    for s in socks:
        s.close()
    return {"connections": count, "echoed": ok, "open_seconds": opened}


def tcp_halfclose(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"first part\n")
    s.shutdown(socket.SHUT_WR)
    got = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    return {"reply": got.decode(errors="replace")}


def tcp_expect_reset(port):
    try:
        # On loopback the reset can come before connect() has even returned.
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        s.sendall(b"hello\n")
        got = s.recv(100)
        return {"outcome": "eof" if got == b"" else "data"}
    except ConnectionResetError:
        return {"outcome": "reset"}
    except BrokenPipeError:
        return {"outcome": "reset"}
    except socket.timeout:
        return {"outcome": "timeout"}


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "tcp-rtt":
        out = tcp_rtt(int(args[0]), int(args[1]), float(args[2]))
    elif mode == "udp-rtt":
        out = udp_rtt(int(args[0]), int(args[1]), float(args[2]))
    elif mode == "udp-seq":
        out = udp_seq(int(args[0]), int(args[1]), float(args[2]), float(args[3]))
    elif mode == "tcp-many":
        out = tcp_many(int(args[0]), int(args[1]), int(args[2]))
    elif mode == "tcp-halfclose":
        out = tcp_halfclose(int(args[0]))
    elif mode == "tcp-expect-reset":
        out = tcp_expect_reset(int(args[0]))
    else:
        raise SystemExit("unknown mode " + mode)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
