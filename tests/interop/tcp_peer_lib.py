"""What the interop tests' one-connection TCP peers share (lib.sh puts this folder on
PYTHONPATH): listening on a loopback port and taking the one connection."""
import socket


def accept_one(port, timeout):
    """Listens on 127.0.0.1:port and accepts one connection, waiting up to 20 s for it. Returns
    the connection, its timeout set to `timeout`, and the listener, which the caller keeps open
    until it is done."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(1)
    listener.settimeout(20)
    conn, _ = listener.accept()
    conn.settimeout(timeout)
    return conn, listener
