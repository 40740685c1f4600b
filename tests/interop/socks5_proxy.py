#!/usr/bin/env python3
"""A small SOCKS5 proxy (RFC 1928, RFC 1929) for test_proxy.sh, one listening port per behaviour.

    socks5_proxy.py LOG MODE...

Each MODE gets its own port on 127.0.0.1 (and the "open" mode one on ::1 too); the proxy prints
"MODE PORT" (or "MODE6 PORT" for ::1) per socket on stdout once all are bound, then serves until
killed. Every connection appends "MODE peer=ADDR atyp=N host=HOST port=P" to LOG when its CONNECT
request arrives. Modes:
  open       no authentication, connects to the target and relays both ways (half-close passed on)
  auth       username/password alice:s3cret required (0xff to a client that offers no method 2)
  eager      as open, but sends "banner\\n" in the same write as the success reply
  repN       answers the CONNECT request with reply code N (1..9)
  close      reads the greeting, sends one byte of the method reply, closes
  reset      reads the greeting, closes with a reset (SO_LINGER 0)
  silent     reads everything, never answers
  garbage    answers the greeting with an HTTP error
Targets are only what the client asks for; test_proxy.sh asks only for 127.0.0.1, ::1, localhost.
"""
import socket
import struct
import sys
import threading

LOG = sys.argv[1]
MODES = sys.argv[2:]
log_lock = threading.Lock()


def log(line):
    with log_lock, open(LOG, "a") as f:
        f.write(line + "\n")


def recv_exact(c, n):
    data = b""
    while len(data) < n:
        more = c.recv(n - len(data))
        if not more:
            raise EOFError
        data += more
    return data


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    try:
        dst.shutdown(socket.SHUT_WR)
    except OSError:
        pass


def read_request(c, mode, peer):
    ver, cmd, _, atyp = recv_exact(c, 4)
    if atyp == 1:
        host = socket.inet_ntop(socket.AF_INET, recv_exact(c, 4))
    elif atyp == 4:
        host = socket.inet_ntop(socket.AF_INET6, recv_exact(c, 16))
    elif atyp == 3:
        host = recv_exact(c, recv_exact(c, 1)[0]).decode()
    else:
        raise EOFError
    port = struct.unpack("!H", recv_exact(c, 2))[0]
    log(f"{mode} peer={peer} atyp={atyp} host={host} port={port}")
    return host, port


def reply(c, rep, tail=b""):
    c.sendall(bytes([5, rep, 0, 1, 127, 0, 0, 1, 0x04, 0x38]) + tail)


def serve(c, mode, peer):
    greeting = recv_exact(c, 2)
    methods = recv_exact(c, greeting[1])
    if mode == "silent":
        while c.recv(4096):
            pass
        return
    if mode == "close":
        c.sendall(b"\x05")
        return
    if mode == "reset":
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        return
    if mode == "garbage":
        c.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\n")
        return
    if mode == "auth":
        if 2 not in methods:
            c.sendall(b"\x05\xff")
            return
        c.sendall(b"\x05\x02")
        ver, ulen = recv_exact(c, 2)
        user = recv_exact(c, ulen)
        password = recv_exact(c, recv_exact(c, 1)[0])
        ok = user == b"alice" and password == b"s3cret"
        c.sendall(b"\x01\x00" if ok else b"\x01\x01")
        if not ok:
            return
    else:
        c.sendall(b"\x05\x00")
    host, port = read_request(c, mode, peer)
    if mode.startswith("rep"):
        reply(c, int(mode[3:]))
        return
    try:
        t = socket.create_connection((host, port), timeout=5)
    except OSError:
        reply(c, 5)
        return
    t.settimeout(None)
    reply(c, 0, b"banner\n" if mode == "eager" else b"")
    up = threading.Thread(target=pump, args=(c, t), daemon=True)
    up.start()
    pump(t, c)
    up.join()
    t.close()


def handle(c, mode, peer):
    try:
        serve(c, mode, peer)
    except (EOFError, OSError):
        pass
    finally:
        c.close()


def accept_loop(s, mode):
    while True:
        c, addr = s.accept()
        threading.Thread(target=handle, args=(c, mode, addr[0]), daemon=True).start()


def main():
    lines = []
    sockets = []
    for mode in MODES:
        for family, host, name in ((socket.AF_INET, "127.0.0.1", mode), (socket.AF_INET6, "::1", mode + "6")):
            if family == socket.AF_INET6 and mode != "open":
                continue
            s = socket.socket(family, socket.SOCK_STREAM)
            s.bind((host, 0))
            s.listen(16)
            sockets.append((s, mode))
            lines.append(f"{name} {s.getsockname()[1]}")
    for s, mode in sockets:
        threading.Thread(target=accept_loop, args=(s, mode), daemon=True).start()
    print("\n".join(lines), flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
