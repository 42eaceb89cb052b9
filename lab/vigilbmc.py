#!/usr/bin/python3
"""The lab's power controller ("BMC"): powers lab nodes off and on for fence agents.

Started by Lab.start_bmc() (`vigil-lab up`), in the root namespaces and a session
of its own; killed by PID by Lab.stop_bmc() (`vigil-lab down`). It writes
"PID STARTTIME" to STATE/bmc.pid itself, and exits on its own once that file no
longer names it (another BMC took over, or the lab is gone).

It listens on SHARED/bmc.sock (mode 0600), a path outside the directories that
are private to a node, so fence agents run by vigild inside a node reach it
(lab/fence_lab). Protocol: one JSON object per line, one answer line each:

  {"op": "off", "node": "n3"}     -> {"ok": true}   once n3 is off (Lab.poweroff)
  {"op": "on", "node": "n3"}      -> {"ok": true}   once n3's vigild is started (Lab.poweron)
  {"op": "status", "node": "n3"}  -> {"ok": true, "power": "on"|"off", "pids": [...],
                                      "links": {...}}   (Lab.power_state: what "off" means)
  {"op": "list"}                  -> {"ok": true, "nodes": ["n1", ...], "lab": PREFIX}
  anything else                   -> {"ok": false, "error": "..."}

Every request is logged to STATE/bmc.log with a timestamp, the peer's PID and
node, the answer and the time taken. Power operations on one node are
serialised by the lab's power lock (shared with tests and the CLI); operations
on different nodes may run at once. No request can make it exit.

Python 3 standard library only.
"""

import argparse
import json
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
import vigillab  # noqa: E402
from vigillab import Lab, LabError  # noqa: E402

MAX_REQUEST = 4096  # bytes in one request line
MAX_DISCARD = 1 << 20  # bytes of an overlong request read before hanging up
READ_TIMEOUT = 30  # seconds a client may take to send its request
WATCHDOG_S = 2.0
OPS = {"off": ("node",), "on": ("node",), "status": ("node",), "list": ()}


class BadRequest(Exception):
    pass


def _now():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}Z"


class Bmc:
    def __init__(self, lab):
        self.lab = lab
        self.log_lock = threading.Lock()

    def log(self, msg):
        line = f"{_now()} {msg}\n"
        with self.log_lock:
            with open(self.lab.bmc_log, "a") as f:
                f.write(line)

    def parse(self, line):
        """The request in one line (bytes, newline stripped), checked; raises BadRequest."""
        try:
            req = json.loads(line.decode("utf-8")) if line.strip() else None
        except UnicodeDecodeError:
            raise BadRequest("bad request: not UTF-8") from None
        except ValueError as e:
            raise BadRequest(f"bad request: not JSON ({e})") from None
        if not line.strip():
            raise BadRequest("bad request: empty line")
        if not isinstance(req, dict):
            raise BadRequest("bad request: want one JSON object such as "
                             '{"op": "status", "node": "n1"}')
        op = req.get("op")
        if not isinstance(op, str):
            raise BadRequest('bad request: no "op" string')
        if op not in OPS:
            raise BadRequest(f"unknown op {op!r} (ops: {', '.join(OPS)})")
        allowed = ("op",) + OPS[op]
        extra = sorted(k for k in req if k not in allowed)
        if extra:
            raise BadRequest(f"op {op}: unknown key {extra[0]!r} (keys: {', '.join(allowed)})")
        if "node" in OPS[op]:
            node = req.get("node")
            if node is None:
                raise BadRequest(f'op {op} needs "node"')
            if not isinstance(node, str):
                raise BadRequest(f'op {op}: "node" must be a string, not {json.dumps(node)}')
        return req

    def handle(self, req):
        op, lab = req["op"], self.lab
        if op == "list":
            return {"ok": True, "lab": lab.prefix, "nodes": lab.nodes}
        node = req["node"]
        if op == "off":
            lab.poweroff(node)
            return {"ok": True}
        if op == "on":
            lab.poweron(node)
            return {"ok": True}
        state = lab.power_state(node)
        return {"ok": True, **state}

    def answer(self, line, peer):
        """The answer (a dict) to one request line; logs it. Never raises."""
        t0 = time.monotonic()
        shown = line[:200].decode("utf-8", "backslashreplace")
        if len(line) > 200:
            shown += f"... ({len(line)} bytes)"
        try:
            ans = self.handle(self.parse(line))
        except (BadRequest, LabError, TimeoutError) as e:
            ans = {"ok": False, "error": str(e)}
        except Exception as e:  # noqa: BLE001 - a request must never kill the BMC
            ans = {"ok": False, "error": f"internal error: {e!r}"}
            self.log(f"{peer}: internal error:\n{traceback.format_exc().rstrip()}")
        ms = (time.monotonic() - t0) * 1000
        self.log(f"{peer} {shown} -> {json.dumps(ans)} ({ms:.0f} ms)")
        return ans


class Handler(socketserver.StreamRequestHandler):
    timeout = READ_TIMEOUT

    def peer(self):
        """Who is asking, for the log: "peer pid P uid U in NODE"."""
        try:
            pid, uid, _ = struct.unpack(
                "3i", self.connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
        except OSError:
            return "peer ?"
        try:
            where = self.server.bmc.lab.node_of_pid(pid) or "?"
        except Exception:  # noqa: BLE001 - only for the log
            where = "?"
        return f"peer pid {pid} uid {uid} in {where}"

    def reply(self, ans):
        try:
            self.wfile.write((json.dumps(ans) + "\n").encode())
            self.wfile.flush()
        except OSError:
            pass  # the client went away; it is logged already

    def handle(self):
        try:
            self.serve_requests()
        except Exception:  # noqa: BLE001 - a client must never kill the BMC or spam stderr
            self.server.bmc.log(f"connection failed:\n{traceback.format_exc().rstrip()}")

    def serve_requests(self):
        bmc = self.server.bmc
        peer = self.peer()
        while True:
            try:
                line = self.rfile.readline(MAX_REQUEST + 1)
            except (OSError, socket.timeout) as e:
                bmc.log(f"{peer}: read failed: {e!r}")
                return
            if not line:
                return
            if len(line) > MAX_REQUEST and not line.endswith(b"\n"):
                ans = {"ok": False, "error": f"bad request: longer than {MAX_REQUEST} bytes"}
                # Read the rest of the line (bounded), so the client gets the answer
                # rather than a reset; then hang up.
                size = len(line)
                while size < MAX_DISCARD:
                    chunk = self.rfile.readline(65536)
                    size += len(chunk)
                    if not chunk or chunk.endswith(b"\n"):
                        break
                bmc.log(f"{peer} ({size} bytes) -> {json.dumps(ans)}")
                self.reply(ans)
                return
            self.reply(bmc.answer(line.rstrip(b"\r\n"), peer))


class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    allow_reuse_address = False

    def __init__(self, path, bmc):
        self.bmc = bmc
        self.path = path
        self.last_check = 0.0
        super().__init__(path, Handler, bind_and_activate=False)

    def server_bind(self):
        # Bind under a temporary name, then rename: the socket path is never
        # missing or half made, and a stale one is replaced atomically.
        tmp = f"{self.path}.{os.getpid()}"
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        old = os.umask(0o077)
        try:
            self.socket.bind(tmp)
        finally:
            os.umask(old)
        os.chmod(tmp, 0o600)
        os.rename(tmp, self.path)
        self.server_address = self.path
        self.path_ino = os.stat(self.path).st_ino

    def service_actions(self):
        lab = self.bmc.lab
        lab._reap()  # vigilds this BMC started and that have died since
        now = time.monotonic()
        if now - self.last_check >= WATCHDOG_S:
            self.last_check = now
            if lab.bmc_pid() != os.getpid():
                self.bmc.log(f"bmc {os.getpid()}: {lab._bmc_pidfile()} no longer names me; "
                             "exiting")
                raise SystemExit(0)


def _starttime():
    with open("/proc/self/stat") as f:
        data = f.read()
    return int(data[data.rindex(")") + 2:].split()[19])


def main(argv=None):
    ap = argparse.ArgumentParser(prog="vigilbmc", description="The vigil lab's power "
                                 "controller. Started by `vigil-lab up`; not for direct use.")
    ap.add_argument("--prefix", required=True)
    ap.add_argument("--build")
    ap.add_argument("--state-root", default=vigillab.STATE_ROOT)
    ap.add_argument("--shared-root", default=vigillab.SHARED_ROOT)
    args = ap.parse_args(argv)
    lab = Lab(prefix=args.prefix, build_dir=args.build, state_root=args.state_root,
              shared_root=args.shared_root)
    if lab.params is None:
        print(f"vigilbmc: lab {lab.prefix} is not built", file=sys.stderr)
        return 1
    bmc = Bmc(lab)
    os.makedirs(lab.shared_dir, mode=0o755, exist_ok=True)
    lab._write(lab._bmc_pidfile(), f"{os.getpid()} {_starttime()}\n", 0o644)

    def on_term(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    server = Server(lab.bmc_socket, bmc)
    try:
        server.server_bind()
        server.server_activate()
        bmc.log(f"bmc {os.getpid()}: serving lab {lab.prefix} ({', '.join(lab.nodes)}) "
                f"on {lab.bmc_socket}")
        server.serve_forever(poll_interval=0.5)
    finally:
        bmc.log(f"bmc {os.getpid()}: stopping")
        try:  # remove the socket only if it is still ours
            if os.stat(lab.bmc_socket).st_ino == getattr(server, "path_ino", None):
                os.unlink(lab.bmc_socket)
        except OSError:
            pass
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
