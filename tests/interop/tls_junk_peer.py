# A TLS server (Python's ssl over memory BIOs) that completes the handshake, sends one line, then a
# record that does not decrypt: the client must stop with an error, not hang or print junk.
# Usage: tls_junk_peer.py CERTDIR (prints its port on stdout).
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[1] + "/good.pem", sys.argv[1] + "/good.key")
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(1)
print(s.getsockname()[1], flush=True)
c, _ = s.accept()
inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
o = ctx.wrap_bio(inc, out, server_side=True)
while True:
    try:
        o.do_handshake(); c.sendall(out.read()); break
    except ssl.SSLWantReadError:
        c.sendall(out.read()); inc.write(c.recv(65536))
o.write(b"hello over tls\n"); c.sendall(out.read())
c.sendall(b"\x17\x03\x03\x00\x20" + b"\x00" * 32)  # an application-data record that does not decrypt
c.recv(100); c.close()
