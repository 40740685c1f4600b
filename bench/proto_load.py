#!/usr/bin/env python3
"""Load for `sockit proto serve` (bench/proto_engines.sh): CONNS connections to 127.0.0.1:PORT, each
keeping DEPTH v1 requests in flight (PING, or ECHO of TEXT bytes), every response checked byte for
byte. After --warmup seconds it measures for --time seconds: requests answered, and, with --pid, the
server's CPU time (user + system, from /proc) over the same window. Prints one JSON line:
{"requests":N,"seconds":S,"requests_per_s":R,"server_cpu_s":C,"server_cpu_us_per_request":U}.
Exit 1 on a wrong or missing response, a refused connection, or a server that closes early."""
import argparse
import asyncio
import json
import os
import struct
import sys
import time


def frame(code, payload=b""):
    # v1: code, payload length (u16 LE), a zero byte, the payload's byte sum (u32 LE).
    return struct.pack("<BHBI", code, len(payload), 0, sum(payload) & 0xFFFFFFFF) + payload


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Load(asyncio.Protocol):
    def __init__(self, run, req, resp, depth):
        self.run, self.req, self.resp, self.depth = run, req, resp, depth
        self.buf = bytearray()
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def start(self):
        self.transport.write(self.req * self.depth)

    def data_received(self, data):
        self.buf += data
        n = len(self.buf) // len(self.resp)
        if n == 0:
            return
        size = n * len(self.resp)
        if self.buf[:size] != self.resp * n:
            self.run.fail("a response differs from the expected one")
            return
        del self.buf[:size]
        self.run.answered += n
        if not self.run.stopping:
            self.transport.write(self.req * n)

    def connection_lost(self, exc):
        if not self.run.stopping:
            self.run.fail(f"the server closed a connection early ({exc or 'EOF'})")


class Run:
    def __init__(self):
        self.answered = 0
        self.stopping = False
        self.error = None

    def fail(self, why):
        if self.error is None:
            self.error = why


async def main(a):
    if a.text:
        text = (b"abcdefghij" * (a.text // 10 + 1))[: a.text]
        req, resp = frame(1, text), frame(0, b"Echo: " + text)
    else:
        req, resp = frame(4), frame(0, b"PONG")
    run = Run()
    loop = asyncio.get_running_loop()
    conns = []
    # Every connection first, then the traffic: the first ones would keep the loop busy meanwhile.
    for _ in range(a.conns):
        conns.append(await loop.create_connection(lambda: Load(run, req, resp, a.depth), "127.0.0.1", a.port))
    for _, proto in conns:
        proto.start()
    await asyncio.sleep(a.warmup)
    n0, c0, t0 = run.answered, cpu_seconds(a.pid) if a.pid else 0.0, time.monotonic()
    await asyncio.sleep(a.time)
    n1, c1, t1 = run.answered, cpu_seconds(a.pid) if a.pid else 0.0, time.monotonic()
    run.stopping = True
    for t, _ in conns:
        t.close()
    if run.error:
        print(f"proto_load: {run.error}", file=sys.stderr)
        return 1
    n, secs, cpu = n1 - n0, t1 - t0, c1 - c0
    if n == 0:
        print("proto_load: no request answered in the measured window", file=sys.stderr)
        return 1
    print(json.dumps({"requests": n, "seconds": round(secs, 3), "requests_per_s": round(n / secs),
                      "server_cpu_s": round(cpu, 3), "server_cpu_us_per_request": round(cpu * 1e6 / n, 3)}))
    return 0


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("port", type=int)
    p.add_argument("--conns", type=int, default=1)
    p.add_argument("--depth", type=int, default=1)
    p.add_argument("--text", type=int, default=0, help="ECHO of this many bytes instead of PING")
    p.add_argument("--time", type=float, default=3)
    p.add_argument("--warmup", type=float, default=1)
    p.add_argument("--pid", type=int, default=0, help="the server's pid, for its CPU time")
    sys.exit(asyncio.run(main(p.parse_args())))
