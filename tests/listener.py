"""A real TCP listener on 127.0.0.1 that records who connects: the target of would-be outbound requests."""
from __future__ import annotations

import select
import socket
import threading


class Listener:
    """Listens on a free port of 127.0.0.1; a thread accepts each connection, records what it sends
    (`received`, one entry per connection) and hangs up, so a client that did connect fails at once
    instead of waiting for an answer. An entry is recorded before the hang-up: once a client has
    seen the connection close, `received` holds it."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.received: list[bytes] = []
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop:
            if not select.select([self.sock], [], [], 0.1)[0]:
                continue
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.received.append(conn.recv(65536))
                except OSError:
                    self.received.append(b"")

    def connected(self) -> bool:
        """Whether anything connected, including a connection still waiting to be accepted."""
        return bool(self.received) or bool(select.select([self.sock], [], [], 0.2)[0])

    def close(self) -> None:
        self._stop = True
        self._thread.join(5)
        self.sock.close()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
