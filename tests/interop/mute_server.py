# A TCP server on 127.0.0.1 that accepts and never reads or answers: prints its port, then holds
# every connection open until killed. For clients that must give up on a silent peer.
import socket

s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(5)
print(s.getsockname()[1], flush=True)
conns = []
while True:
    c, _ = s.accept()
    conns.append(c)  # held open, never read or answered
