"""A fake vigild for the CLI tests: a unix socket that records each request
line and answers what a handler returns."""

import json
import socket
import threading
import time


def line(obj):
    return (json.dumps(obj) + "\n").encode()


def ok(result):
    return line({"ok": True, "result": result})


def err(message):
    return line({"ok": False, "error": message})


class FakeVigild:
    """Listens on a unix socket; each connection's request is recorded (parsed in
    requests, as bytes in raw) and given to handler(conn, request), which returns
    what to send (bytes, or a list of bytes and float delays in seconds). The
    connection is then closed."""

    def __init__(self, path, handler):
        self.path = path
        self.handler = handler
        self.requests = []
        self.raw = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(8)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                buf = b""
                while not buf.endswith(b"\n"):
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    buf += chunk
                self.raw.append(buf)
                req = json.loads(buf) if buf else None
                self.requests.append(req)
                out = self.handler(conn, req)
                for piece in out if isinstance(out, list) else [out]:
                    if isinstance(piece, (int, float)):
                        time.sleep(piece)
                    else:
                        try:
                            conn.sendall(piece)
                        except OSError:
                            break

    def close(self):
        # Wake the accept() and wait for the thread before the descriptor is
        # freed: otherwise its number can be reused by the next test's fake
        # daemon while this thread still accepts on it, and answer for it.
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(timeout=10)
        self.sock.close()
