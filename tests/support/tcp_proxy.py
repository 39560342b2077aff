"""A loopback TCP proxy that can be cut, to take a broker or a database off the network.

``cut()`` drops every open connection and refuses new ones (the port stays bound but accepted
sockets are closed at once, as when a firewall resets them); ``restore()`` lets traffic flow
again. Clients see what they would see in a real outage: resets, refused sessions, timeouts.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
from collections.abc import Iterator

from tests.support.brokers import free_port


class TcpProxy:
    """Forwards 127.0.0.1:``port`` to 127.0.0.1:``target``, in threads."""

    def __init__(self, target: int, port: int | None = None) -> None:
        self.target = target
        self.port = port or free_port()
        self._listener: socket.socket | None = _listen(self.port)
        self._open = threading.Event()
        self._open.set()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self.connections = 0
        self.cuts = 0
        self._thread = threading.Thread(target=self._accept, name=f"proxy-{self.port}", daemon=True)
        self._thread.start()

    # -- control -----------------------------------------------------------------------------

    def cut(self, *, refuse: bool = False) -> None:
        """Drop every connection; with ``refuse``, unbind the port so connects are refused."""
        self._open.clear()
        self.cuts += 1
        with self._lock:
            sockets, self._sockets = self._sockets, set()
            if refuse and self._listener is not None:
                _close(self._listener)
                self._listener = None
        for sock in sockets:
            _close(sock)

    def restore(self) -> None:
        with self._lock:
            if self._listener is None:
                self._listener = _listen(self.port)
        self._open.set()

    @contextlib.contextmanager
    def outage(self) -> Iterator[None]:
        self.cut()
        try:
            yield
        finally:
            self.restore()

    def close(self) -> None:
        self._stopping.set()
        self.cut()
        self._thread.join(2)
        if self._listener is not None:
            _close(self._listener)

    # -- forwarding --------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stopping.is_set():
            listener = self._listener
            if listener is None:
                self._stopping.wait(0.05)
                continue
            try:
                client, _address = listener.accept()
            except (TimeoutError, OSError):
                continue
            if not self._open.is_set():
                _close(client)
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target), timeout=2)
            except OSError:
                _close(client)
                continue
            with self._lock:
                self._sockets |= {client, upstream}
            self.connections += 1
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        peers = {client: upstream, upstream: client}
        with selectors.DefaultSelector() as selector:
            for sock in peers:
                sock.setblocking(False)
                selector.register(sock, selectors.EVENT_READ)
            try:
                while self._open.is_set():
                    for key, _events in selector.select(timeout=0.2):
                        sock = key.fileobj
                        assert isinstance(sock, socket.socket)
                        data = sock.recv(65536)
                        if not data:
                            return
                        peers[sock].setblocking(True)
                        peers[sock].sendall(data)
                        peers[sock].setblocking(False)
            except OSError:
                return
            finally:
                with self._lock:
                    self._sockets -= {client, upstream}
                _close(client)
                _close(upstream)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()


def _listen(port: int) -> socket.socket:
    listener = socket.create_server(("127.0.0.1", port))
    listener.settimeout(0.2)
    return listener
