"""vigild's control socket and start-up, against a real daemon.

vigild runs in a network namespace of the test's own (so it can never reach a
Corosync of the host) with `engine: external` and no Corosync at all: the
control socket must answer anyway, and bad input must never hurt it.
"""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("VIGIL_BUILD", os.path.join(ROOT, "build"))
VIGILD = os.path.join(BUILD, "src", "daemon", "vigild")
VIGIL = os.path.join(BUILD, "src", "cli", "vigil")
NS = f"vt-ctl-{os.getpid()}"

CONFIG = """cluster: {{name: ctltest, key: {key}}}
engine: external
networks: [{{name: priv}}]
nodes:
  - {{name: n1, id: 1, addresses: {{priv: 192.0.2.1}}}}
  - {{name: n2, id: 2, addresses: {{priv: 192.0.2.2}}}}
"""


def wait_until(pred, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def netns():
    subprocess.run(["ip", "netns", "add", NS], check=True)
    subprocess.run(["ip", "-n", NS, "link", "set", "lo", "up"], check=True)
    try:
        yield NS
    finally:
        for pid in subprocess.run(["ip", "netns", "pids", NS], capture_output=True,
                                  text=True).stdout.split():
            try:
                os.kill(int(pid), signal.SIGKILL)
            except ProcessLookupError:
                pass
        subprocess.run(["ip", "netns", "del", NS])


class Daemon:
    def __init__(self, netns, tmp, config=None, env=None):
        self.tmp = tmp
        key = tmp / "authkey"
        if not key.exists():
            key.write_bytes(os.urandom(256))
            key.chmod(0o400)
        self.cfg = tmp / "vigil.yaml"
        self.cfg.write_text(config if config is not None else CONFIG.format(key=key))
        self.sock = str(tmp / "run" / "vigild.sock")
        self.log = open(tmp / "vigild.log", "w+")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", netns, VIGILD, "-c", str(self.cfg), "-s", self.sock,
             "--run-dir", str(tmp / "run"), "--state-dir", str(tmp / "state")],
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True,
            env=dict(os.environ, **(env or {})))

    def wait_ready(self):
        wait_until(lambda: self.request({"cmd": "ping"}).get("ok") is True
                   if os.path.exists(self.sock) else False, what="vigild's control socket")

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.sock)  # blocking: waits for room in the listen backlog
        s.settimeout(10)
        return s

    def raw(self, data):
        s = self.connect()
        try:
            s.sendall(data)
            return read_line(s)
        finally:
            s.close()

    def request(self, obj):
        try:
            return json.loads(self.raw((json.dumps(obj) + "\n").encode()))
        except (OSError, ValueError):
            return {}

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def read_line(s):
    out = b""
    while not out.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    return out


@pytest.fixture(scope="module")
def daemon(netns):
    # A directory others may traverse, so that the non-root test reaches the socket itself.
    base = pathlib.Path(tempfile.mkdtemp(dir="/tmp", prefix="vigil-ctl-"))
    base.chmod(0o755)
    d = Daemon(netns, base)
    try:
        d.wait_ready()
        yield d
    finally:
        d.stop()
        shutil.rmtree(base, ignore_errors=True)


def assert_alive(d):
    assert d.proc.poll() is None, "vigild died:\n" + d.output()
    assert d.request({"cmd": "ping"})["ok"] is True


def test_socket_mode_is_root_only(daemon):
    st = os.stat(daemon.sock)
    assert st.st_mode & 0o777 == 0o600


def test_status_without_engine(daemon):
    r = daemon.request({"cmd": "status"})
    assert r["ok"] is True
    s = r["result"]
    assert s["cluster"] == "ctltest"
    assert s["engine"] == {"mode": "external", "state": "starting", "restarts": 0}
    assert s["quorate"] is False and s["coordinator"] is None
    assert [n["state"] for n in s["nodes"]] == ["offline", "offline"]


@pytest.mark.parametrize("data, message", [
    (b"garbage\n", "malformed request"),
    (b"{\"cmd\":\n", "malformed request"),
    (b"[1,2,3]\n", "expected a JSON object"),
    (b"{}\n", "missing 'cmd'"),
    (b"{\"cmd\":7}\n", "'cmd' must be a string"),
    (b"{\"cmd\":\"reboot-everything\"}\n", "unknown command 'reboot-everything'"),
    (b"{\"cmd\":\"events\",\"since\":\"x\"}\n", "'since' must be a non-negative integer"),
    (b"\x00\xff\xfe{\n", "malformed request"),
    (b"{\"cmd\":\"status\"}{\"cmd\":\"status\"}\n", "malformed request"),
    (b"{\"cmd\":\"attr\",\"op\":\"set\",\"name\":\"a b\",\"value\":\"1\"}\n",
     "attr set: bad attribute name 'a b'"),
    (b"{\"cmd\":\"attr\",\"op\":\"get\",\"name\":\"x\",\"node\":\"n9\"}\n", "unknown node 'n9'"),
    (b"{\"cmd\":\"attr\",\"op\":\"set\",\"name\":\"x\",\"value\":[1]}\n",
     "attr set: 'value' must be a string"),
    (b"{\"cmd\":\"attr\",\"op\":\"set\",\"name\":\"x\",\"value\":\"1\"}\n",
     "attr set: this machine is not a node of the cluster: name the node"),
    (b"{\"cmd\":\"attr\",\"op\":\"set\",\"name\":\"x\",\"value\":\"1\",\"node\":\"n1\"}\n",
     "attribute x of node n1: this node's partition has no quorum"),
])
def test_bad_requests_get_errors(daemon, data, message):
    reply = json.loads(daemon.raw(data))
    assert reply["ok"] is False
    assert message in reply["error"]
    assert_alive(daemon)


def test_oversized_request(daemon):
    s = daemon.connect()
    try:
        s.sendall(b"{\"cmd\":\"" + b"x" * (1024 * 1024 + 10))
        reply = json.loads(read_line(s))
        assert reply == {"ok": False,
                         "error": "request too large (the limit is 1048576 bytes per line)"}
        assert s.recv(10) == b""  # the daemon closed the connection
    finally:
        s.close()
    assert_alive(daemon)


def test_large_request_under_the_limit_is_read_whole(daemon):
    pad = "y" * 1000000
    reply = json.loads(daemon.raw((json.dumps({"cmd": "ping", "pad": pad}) + "\n").encode()))
    assert reply == {"ok": False, "error": "unknown field 'pad' in request"}


def test_several_requests_on_one_connection(daemon):
    s = daemon.connect()
    try:
        s.sendall(b"{\"cmd\":\"ping\"}\nnonsense\n{\"cmd\":\"status\"}\n")
        buf = b""
        while buf.count(b"\n") < 3:
            buf += s.recv(65536)
        replies = [json.loads(l) for l in buf.splitlines()]
        assert [r["ok"] for r in replies] == [True, False, True]
    finally:
        s.close()


def test_half_request_then_hangup(daemon):
    for _ in range(20):
        s = daemon.connect()
        s.sendall(b"{\"cmd\":\"sta")
        s.close()
    assert_alive(daemon)


def test_too_many_clients(daemon):
    held = []
    try:
        for _ in range(128):
            held.append(daemon.connect())
        s = daemon.connect()
        reply = json.loads(read_line(s))
        s.close()
        assert reply["ok"] is False and "too many clients" in reply["error"]
    finally:
        for s in held:
            s.close()
    wait_until(lambda: daemon.request({"cmd": "ping"}).get("ok") is True, what="ping again")


def test_non_root_peer_refused(daemon):
    os.chmod(daemon.sock, 0o666)
    try:
        # The daemon refuses at once; the refusal is readable even if our write fails.
        code = ("import socket;s=socket.socket(socket.AF_UNIX);s.connect(%r)\n"
                "try: s.sendall(b'{\"cmd\":\"status\"}\\n')\n"
                "except OSError: pass\n"
                "print(s.recv(4096).decode())" % daemon.sock)
        out = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                              "/usr/bin/python3", "-c", code], capture_output=True, text=True,
                             timeout=20)
        assert out.stdout, out.stderr
        reply = json.loads(out.stdout)
        assert reply == {"ok": False,
                         "error": "permission denied: only root may use the control socket"}
    finally:
        os.chmod(daemon.sock, 0o600)
    assert_alive(daemon)


def test_follow_streams_new_events(daemon):
    s = daemon.connect()
    try:
        s.sendall(b"{\"cmd\":\"events\",\"follow\":true}\n")
        first = json.loads(read_line(s))
        assert first["ok"] is True
        assert first["result"]["events"][0]["type"] == "daemon_started"
    finally:
        s.close()
    assert_alive(daemon)


def test_second_daemon_on_same_socket_refused(daemon, netns, tmp_path):
    other = Daemon(netns, tmp_path)
    other.sock = daemon.sock
    other.stop()  # built for its config; run by hand on the same socket below
    r = subprocess.run(["ip", "netns", "exec", netns, VIGILD, "-c", str(other.cfg), "-s",
                        daemon.sock, "--run-dir", str(tmp_path / "run")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert f"another vigild already answers on {daemon.sock}" in r.stderr
    assert_alive(daemon)


def test_invalid_config_refused_and_nothing_started(netns, tmp_path):
    key = tmp_path / "authkey"
    key.write_bytes(os.urandom(256))
    key.chmod(0o400)
    cfg = CONFIG.format(key=key).replace("192.0.2.2", "192.0.2.300")
    d = Daemon(netns, tmp_path, config=cfg)
    d.proc.wait(timeout=30)
    out = d.output()
    d.stop()
    assert d.proc.returncode == 1
    assert f"{d.cfg}:6:" in out and "error:" in out and "192.0.2.300" in out
    assert "nothing was started" in out
    assert not os.path.exists(d.sock)


def test_check_flag(tmp_path):
    key = tmp_path / "authkey"
    key.write_bytes(os.urandom(256))
    key.chmod(0o400)
    cfg = tmp_path / "vigil.yaml"
    cfg.write_text(CONFIG.format(key=key))
    r = subprocess.run([VIGILD, "-n", "-c", str(cfg)], capture_output=True, text=True)
    assert r.returncode == 0 and "configuration is valid" in r.stdout
    cfg.write_text(CONFIG.format(key=key) + "heartbeat: {misses: many}\n")
    r = subprocess.run([VIGILD, "-n", "-c", str(cfg)], capture_output=True, text=True)
    assert r.returncode == 1 and f"{cfg}:7:" in r.stderr


def test_sigterm_exits_cleanly(netns, tmp_path):
    d = Daemon(netns, tmp_path)
    d.wait_ready()
    d.proc.send_signal(signal.SIGTERM)
    assert d.proc.wait(timeout=20) == 0
    assert not os.path.exists(d.sock)
    d.stop()


GROUPS = """groups:
  - name: web
    domain: [n1, n2]
    resources:
      - {name: www, type: process, command: [/bin/sleep, "1000"]}
"""


def groups_daemon(netns, tmp_path, state=None, groups=GROUPS):
    """A vigild with a group whose node n1 is this namespace (192.0.2.1 on lo)."""
    subprocess.run(["ip", "-n", netns, "addr", "replace", "192.0.2.1/32", "dev", "lo"],
                   check=True)
    key = tmp_path / "authkey"
    key.write_bytes(os.urandom(256))
    key.chmod(0o400)
    if state is not None:
        (tmp_path / "state").mkdir(exist_ok=True)
        (tmp_path / "state" / "state.json").write_text(state)
    d = Daemon(netns, tmp_path, config=CONFIG.format(key=key) + groups)
    d.wait_ready()
    return d


def test_group_commands_refused_without_quorum(netns, tmp_path):
    d = groups_daemon(netns, tmp_path)
    try:
        st = d.request({"cmd": "status"})["result"]
        assert [g["name"] for g in st["groups"]] == ["web"]
        assert st["groups"][0]["state"] == "no quorum"
        r = d.request({"cmd": "group", "op": "stop", "group": "web"})
        assert r["ok"] is False and "no quorum" in r["error"], r
        r = d.request({"cmd": "group", "op": "stop", "group": "wbe"})
        assert r["ok"] is False and "did you mean 'web'" in r["error"], r
        r = subprocess.run(["ip", "netns", "exec", netns, VIGIL, "-s", d.sock, "node", "standby",
                            "n2"], capture_output=True, text=True, timeout=30)
        assert r.returncode == 1 and "no quorum" in r.stderr, r.stderr
        # Nothing was changed or written.
        assert not (tmp_path / "state" / "state.json").exists()
        assert_alive(d)
    finally:
        d.stop()


CLONES = GROUPS + """  - name: front
    domain: [n2, n1]
    clone: {}
    resources:
      - {name: httpd, type: process, command: [/bin/sleep, "1000"]}
  - name: pg
    domain: [n1, n2]
    promotable: {}
    resources:
      - {name: pgsqld, type: script, path: /bin/true}
"""


def test_status_of_clones_and_promote(netns, tmp_path):
    d = groups_daemon(netns, tmp_path, groups=CLONES)
    try:
        st = d.request({"cmd": "status"})["result"]
        web, front, pg = st["groups"]
        assert web["kind"] == "single" and "copies" not in web
        assert front["kind"] == "clone" and front["node"] is None
        assert [c["node"] for c in front["copies"]] == ["n2", "n1"]
        assert all(c["role"] is None and c["score"] is None for c in front["copies"])
        assert (front["copies_wanted"], front["primaries_wanted"]) == (2, 0)
        assert pg["kind"] == "promotable" and pg["primary"] is None
        assert (pg["copies_wanted"], pg["primaries_wanted"]) == (2, 1)
        assert pg["resources"][0]["role"] == "promotable"

        def vigil(*args):
            return subprocess.run(["ip", "netns", "exec", netns, VIGIL, "-s", d.sock, *args],
                                  capture_output=True, text=True, timeout=30)
        r = vigil("group", "promote", "front", "--on", "n1")
        assert r.returncode == 1
        assert r.stderr == ("vigil: group front is a clone, not promotable: its copies are alike "
                            "and none is promoted\n")
        # A promotable group goes to vigild, which has no quorum here.
        r = vigil("group", "promote", "pg", "--on", "n1")
        assert r.returncode == 1 and "no quorum" in r.stderr, r.stderr
        r = vigil("status")
        assert r.returncode == 0, r.stderr
        assert any(ln.split()[:2] == ["front", "clone"] for ln in r.stdout.splitlines()), r.stdout
        assert any(ln.split()[:2] == ["pg", "promotable"] for ln in r.stdout.splitlines())
        assert_alive(d)
    finally:
        d.stop()


def test_corrupt_state_file_is_reported_and_replaced(netns, tmp_path):
    d = groups_daemon(netns, tmp_path, state='{"version": 3, "src": ')
    try:
        assert_alive(d)
        out = d.output()
        assert f"{tmp_path}/state/state.json" in out and "starting from an empty copy" in out, out
        assert d.request({"cmd": "status"})["result"]["groups"][0]["name"] == "web"
        kept = [p.name for p in (tmp_path / "state").iterdir() if ".bad-" in p.name]
        assert len(kept) == 1 and kept[0].startswith("state.json.bad-"), kept
        assert (tmp_path / "state" / kept[0]).read_text() == '{"version": 3, "src": '
    finally:
        d.stop()


def test_systemd_notifications(netns, tmp_path):
    """Type=notify: READY=1 once serving, WATCHDOG=1 at half WATCHDOG_USEC, STOPPING=1."""
    path = str(tmp_path / "notify.sock")
    rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    rx.bind(path)
    rx.settimeout(20)
    d = Daemon(netns, tmp_path, env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"})
    try:
        got = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not (
                any(m.startswith("READY=1") for m in got) and got.count("WATCHDOG=1") >= 2):
            got.append(rx.recv(4096).decode())
        assert any(m.startswith("READY=1\nSTATUS=cluster ctltest") for m in got), got
        assert got.count("WATCHDOG=1") >= 2, got
        assert d.request({"cmd": "ping"})["ok"] is True
        d.proc.send_signal(signal.SIGTERM)
        while "STOPPING=1" not in got:
            got.append(rx.recv(4096).decode())
        assert d.proc.wait(timeout=20) == 0
    finally:
        d.stop()
        rx.close()
