"""Tests of `vigil`, the admin command, as the operator sees it.

The daemon is replaced by a tiny fake vigild in this file: a unix socket that
reads one request line and answers with canned JSON lines. Binaries are found
under $VIGIL_BUILD (default: <repo>/build). Run with:

    /usr/bin/python3 -m pytest tests/cli
"""

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time

import pytest

from fakevigild import FakeVigild, line, ok

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("VIGIL_BUILD", os.path.join(REPO, "build"))
VIGIL = os.path.join(BUILD, "src", "cli", "vigil")

COMMANDS = {
    "status": ["--json", "--socket", "--help"],
    "events": ["--follow", "--json", "--since", "--utc", "--socket", "--help"],
    "verify": ["--config", "--print", "--probe-fencing", "--help"],
    "keygen": ["--key", "--force", "--help"],
    "fence": ["--off", "--reboot", "--confirm", "--help"],
}

if not os.path.exists(VIGIL):
    pytest.skip(f"{VIGIL} is not built (set VIGIL_BUILD)", allow_module_level=True)


def run(*args, env=None, timeout=30, **kw):
    """Runs vigil with args; the socket defaults to a path where nothing listens."""
    e = dict(os.environ)
    e.pop("VIGIL_SOCKET", None)
    e.setdefault("TZ", "UTC")
    if env:
        e.update(env)
    return subprocess.run([VIGIL, *args], capture_output=True, text=True, env=e,
                          timeout=timeout, **kw)


# ---- A fake vigild ----

CONFIG_SHA = "1a2b3c4d5e6f" + "0" * 52

STATUS = {
    "cluster": "demo", "version": "0.1.0", "protocol": 2,
    "config": {"version": 7, "sha256": CONFIG_SHA, "edited": False, "state": "in sync",
               "file": "/etc/vigil/vigil.yaml"},
    "engine": {"mode": "managed", "state": "running", "restarts": 0},
    "quorate": True, "votes": {"total": 3, "expected": 3, "needed": 2},
    "local_node": "n1", "local_node_id": 1, "coordinator": "n1",
    "heartbeat": {"interval_ms": 100, "misses": 4, "token_ms": 400},
    "networks": ["priv", "pub"],
    "fencing": {"enabled": True, "unsafe_recovery": False, "action": "off"},
    "nodes": [
        {"name": "n1", "id": 1, "state": "online", "local": True, "version": "0.1.0",
         "protocol": 2, "config": {"version": 7, "sha256": CONFIG_SHA},
         "links": [{"network": "priv", "up": True}, {"network": "pub", "up": True}],
         "fence": {"state": "clean", "running": False, "note": None, "failures": 0}},
        {"name": "n2", "id": 2, "state": "online", "local": False, "version": "0.0.9",
         "protocol": 1, "config": {"version": 6, "sha256": "f" * 64},
         "links": [{"network": "priv", "up": True}, {"network": "pub", "up": False}],
         "fence": {"state": "clean", "running": False, "note": None, "failures": 0}},
        {"name": "n3", "id": 3, "state": "offline", "local": False,
         "links": [{"network": "priv", "up": False}, {"network": "pub", "up": False}],
         "fence": {"state": "fenced", "running": False,
                   "note": "fenced by n1: n3 fenced (off) by level 1", "failures": 0}},
    ],
}

# 2026-11-22T10:00:00.123Z and a few seconds later.
EVENTS = [
    {"seq": 16, "ts_ms": 1795341600123, "time": "2026-11-22T10:00:00.123Z",
     "type": "link_down", "node": "n2", "network": "pub",
     "message": "link to n2 on network pub is down"},
    {"seq": 17, "ts_ms": 1795341601123, "time": "2026-11-22T10:00:01.123Z",
     "type": "node_left", "node": "n3", "network": None,
     "message": "node n3 (id 3) left the membership"},
    {"seq": 18, "ts_ms": 1795341602000, "time": "2026-11-22T10:00:02.000Z",
     "type": "quorum_lost", "node": None, "network": None,
     "message": "this partition lost quorum"},
]


@pytest.fixture
def sockdir():
    # sockaddr_un holds 108 bytes: keep the path short whatever pytest's tmp_path is.
    d = tempfile.mkdtemp(prefix="vigil-cli-", dir="/tmp")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def fake(sockdir):
    servers = []

    def start(handler):
        if not callable(handler):
            reply = handler
            handler = lambda conn, req: reply  # noqa: E731
        s = FakeVigild(os.path.join(sockdir, "vigild.sock"), handler)
        servers.append(s)
        return s

    yield start
    for s in servers:
        s.close()




# ---- Help, version, usage errors ----

def test_help_lists_every_command():
    r = run("--help")
    assert r.returncode == 0
    for cmd in COMMANDS:
        assert cmd in r.stdout
    for opt in ("--socket", "--help", "--version", "VIGIL_SOCKET"):
        assert opt in r.stdout


@pytest.mark.parametrize("cmd", sorted(COMMANDS))
def test_command_help_mentions_its_options(cmd):
    r = run(cmd, "--help")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"Usage: vigil {cmd}")
    for opt in COMMANDS[cmd]:
        assert opt in r.stdout
    assert run("help", cmd).stdout == r.stdout


def test_version():
    r = run("--version")
    assert r.returncode == 0
    assert r.stdout.startswith("vigil ")


def test_no_command_is_a_usage_error():
    r = run()
    assert r.returncode == 2
    assert "Usage: vigil" in r.stderr


def test_unknown_command_suggests():
    r = run("stauts")
    assert r.returncode == 2
    assert "vigil: unknown command 'stauts' (did you mean 'status'?)" in r.stderr
    assert "Try 'vigil --help'" in r.stderr
    r = run("frobnicate")
    assert r.returncode == 2
    assert "unknown command 'frobnicate'" in r.stderr
    assert "did you mean" not in r.stderr


@pytest.mark.parametrize("args,message", [
    (["--bogus"], "vigil: unknown option '--bogus'"),
    (["-x", "status"], "vigil: unknown option '-x'"),
    (["--socket"], "vigil: option '--socket' requires an argument"),
    (["status", "--bogus"], "vigil status: unknown option '--bogus'"),
    (["status", "-q"], "vigil status: unknown option '-q'"),
    (["status", "--json=yes"], "vigil status: option '--json' does not take an argument"),
    (["status", "extra"], "vigil status: unexpected argument 'extra'"),
    (["events", "--since"], "vigil events: option '--since' requires an argument"),
    (["events", "--since", "-1"], "--since wants an event sequence number, not '-1'"),
    (["events", "--since", "12x"], "--since wants an event sequence number, not '12x'"),
    (["events", "--since", "99999999999999999999"], "--since wants an event sequence number"),
    (["verify", "-c"], "vigil verify: option '-c' requires an argument"),
    (["keygen", "--forse"], "vigil keygen: unknown option '--forse'"),
    (["help", "nope"], "unknown command 'nope'"),
])
def test_usage_errors(args, message):
    r = run(*args)
    assert r.returncode == 2
    assert message in r.stderr
    assert "--help' for more information" in r.stderr
    assert r.stdout == ""


# ---- verify ----

CONFIG = """\
cluster:
  name: demo
  key: {key}
heartbeat:
  interval: 100ms
  misses: 4
networks:
  - name: priv
  - name: pub
nodes:
  - name: n1
    id: 1
    addresses: {{priv: 192.0.2.1, pub: 198.51.100.1}}
  - name: n2
    id: 2
    addresses: {{priv: 192.0.2.2, pub: 198.51.100.2}}
  - name: n3
    id: 3
    addresses: {{priv: 192.0.2.3, pub: 198.51.100.3}}
"""


@pytest.fixture
def keyfile(tmp_path):
    p = tmp_path / "authkey"
    p.write_bytes(os.urandom(256))
    p.chmod(0o400)
    return p


@pytest.fixture
def config(tmp_path, keyfile):
    p = tmp_path / "vigil.yaml"
    p.write_text(CONFIG.format(key=keyfile))
    return p


def test_verify_valid(config):
    r = run("verify", "-c", str(config))
    assert r.returncode == 0, r.stderr
    assert r.stdout == (f"{config}: configuration is valid "
                        "(3 nodes, 2 networks, heartbeat timeout 400ms)\n")


def test_verify_one_node_says_what_it_means(tmp_path, keyfile):
    p = tmp_path / "one.yaml"
    p.write_text(f"cluster: {{name: solo, key: {keyfile}}}\n"
                 "networks: [{name: lan}]\n"
                 "nodes: [{name: box, id: 1, addresses: {lan: 192.0.2.1}}]\n")
    r = run("verify", "-c", str(p))
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # no fencing is no cause for a warning with one node
    assert r.stdout == (f"{p}: configuration is valid (1 node, 1 network, heartbeat timeout "
                        "400ms)\n"
                        f"{p}: a one-node cluster: node box always has quorum; its groups "
                        "restart in place up to their restart budget, then stay failed until "
                        "their failures expire (restarts.within) or 'vigil cleanup'; nothing "
                        "fails over and nothing is fenced\n")


def test_verify_probe_fencing(tmp_path, keyfile):
    good = tmp_path / "fence_good"
    good.write_text("#!/bin/sh\ncat > " + str(tmp_path / "monitor-input") + "\nexit 0\n")
    bad = tmp_path / "fence_bad"
    bad.write_text("#!/bin/sh\ncat >/dev/null\necho 'cannot reach 192.0.2.250' >&2\nexit 1\n")
    for a in (good, bad):
        a.chmod(0o755)
    fencing = f"""fencing:
  devices:
    - {{name: pdu, agent: {good}, params: {{ip: 192.0.2.240}}}}
    - {{name: ipmi, agent: {bad}}}
  nodes:
    n1: {{levels: [[pdu], [ipmi]]}}
    n2: {{levels: [[pdu]]}}
    n3: {{levels: [[pdu]]}}
"""
    p = tmp_path / "vigil.yaml"
    p.write_text(CONFIG.format(key=keyfile) + fencing)
    r = run("verify", "-c", str(p))
    assert r.returncode == 0, r.stderr  # without --probe-fencing no agent runs
    assert not (tmp_path / "monitor-input").exists()
    r = run("verify", "-c", str(p), "--probe-fencing")
    assert r.returncode == 1
    lines = r.stdout.splitlines()
    assert any(ln.startswith("fence device pdu: monitor ok: succeeded in") for ln in lines)
    assert "fence device ipmi: monitor FAILED: exited with status 1: cannot reach 192.0.2.250" \
        in lines
    assert "1 fence device did not answer" in r.stderr
    assert (tmp_path / "monitor-input").read_text() == "action=monitor\nip=192.0.2.240\n"
    r = run("verify", "-c", str(p), "--probe-fencing", "--print")
    assert r.returncode == 2 and "exclude each other" in r.stderr


def test_verify_default_path_is_etc():
    r = run("verify")
    assert "/etc/vigil/vigil.yaml" in r.stdout + r.stderr


def test_verify_invalid_names_line_and_column(tmp_path, keyfile):
    p = tmp_path / "bad.yaml"
    p.write_text(CONFIG.format(key=keyfile).replace("misses: 4", "misses: lots"))
    r = run("verify", "-c", str(p))
    assert r.returncode == 1
    assert r.stdout == ""
    assert f"{p}:6:11: error:" in r.stderr
    assert "configuration is invalid (1 error)" in r.stderr


def test_verify_missing_key_file(tmp_path):
    p = tmp_path / "vigil.yaml"
    p.write_text(CONFIG.format(key=tmp_path / "nokey"))
    r = run("verify", "--config", str(p))
    assert r.returncode == 1
    assert f"{p}:3:" in r.stderr
    assert "error:" in r.stderr


def test_verify_unreadable_file(tmp_path):
    r = run("verify", "-c", str(tmp_path / "absent.yaml"))
    assert r.returncode == 1
    assert "absent.yaml" in r.stderr
    assert "No such file or directory" in r.stderr


def test_verify_print_round_trips(tmp_path, config):
    r1 = run("verify", "-c", str(config), "--print")
    assert r1.returncode == 0, r1.stderr
    assert "configuration is valid" in r1.stderr
    assert "configuration is valid" not in r1.stdout
    printed = tmp_path / "printed.yaml"
    printed.write_text(r1.stdout)
    r2 = run("verify", "-c", str(printed), "-p")
    assert r2.returncode == 0, r2.stderr
    assert r2.stdout == r1.stdout
    assert "(3 nodes, 2 networks, heartbeat timeout 400ms)" in r2.stderr


# ---- verify: groups ----

FENCING_TRUE = """\
fencing:
  devices: [{name: d, agent: /bin/true}]
  nodes: {n1: {levels: [[d]]}, n2: {levels: [[d]]}, n3: {levels: [[d]]}}
"""


# An OCF agent as small as vigil verify accepts: meta-data, and 0 for every other action.
FAKE_OCF_AGENT = """\
#!/bin/sh
if [ "$1" = meta-data ]; then
    cat <<'XML'
<?xml version="1.0"?>
<resource-agent name="Dummy" version="1.0">
<version>1.0</version>
<parameters>
<parameter name="state" unique="1"><content type="string" /></parameter>
</parameters>
<actions>
<action name="start" timeout="20s" />
<action name="stop" timeout="20s" />
<action name="monitor" timeout="20s" interval="10s" />
<action name="meta-data" timeout="5s" />
<action name="validate-all" timeout="20s" />
</actions>
</resource-agent>
XML
fi
exit 0
"""


@pytest.fixture
def agents(tmp_path):
    """An OCF root with heartbeat/Dummy, an action script and a placement script."""
    hb = tmp_path / "ocf" / "resource.d" / "heartbeat"
    hb.mkdir(parents=True)
    made = {}
    for name, path, text in (("dummy", hb / "Dummy", FAKE_OCF_AGENT),
                             ("script", tmp_path / "job-ctl", "#!/bin/sh\nexit 0\n"),
                             ("place", tmp_path / "place", "#!/bin/sh\nexit 0\n")):
        path.write_text(text)
        path.chmod(0o755)
        made[name] = path
    made["ocf_root"] = tmp_path / "ocf"
    return made


def groups_config(keyfile, agents):
    return CONFIG.format(key=keyfile) + FENCING_TRUE + f"""\
resources: {{ocf_root: {agents["ocf_root"]}}}
groups:
  - name: web
    domain: [n1, n2, n3]
    policy: {{script: {agents["place"]}}}
    resources:
      - {{name: vip, type: ip, address: 198.51.100.100/24, network: pub}}
      - {{name: data, type: fs, device: /dev/vdb1, mountpoint: /srv/data}}
      - name: www
        type: process
        command: [/usr/bin/python3, -m, http.server, "80"]
        user: root
        checks:
          - {{type: http, url: "http://198.51.100.100/", interval: 1s}}
          - {{type: tcp, host: 198.51.100.100, port: 80}}
  - name: tools
    domain: [n2, n1]
    resources:
      - {{name: job, type: script, path: {agents["script"]}}}
      - {{name: dummy, type: "ocf:heartbeat:Dummy", params: {{state: /run/x}}}}
"""


def test_verify_groups_valid_and_print_round_trips(tmp_path, keyfile, agents):
    p = tmp_path / "vigil.yaml"
    p.write_text(groups_config(keyfile, agents))
    r = run("verify", "-c", str(p))
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout == (f"{p}: configuration is valid "
                        "(3 nodes, 2 networks, heartbeat timeout 400ms)\n")
    r1 = run("verify", "-c", str(p), "--print")
    assert r1.returncode == 0, r1.stderr
    assert "\ngroups:\n  - name: web\n    domain: [n1, n2, n3]\n" in r1.stdout
    assert "        type: ocf:heartbeat:Dummy\n" in r1.stdout
    assert "  no_quorum: stop\n" in r1.stdout
    printed = tmp_path / "printed.yaml"
    printed.write_text(r1.stdout)
    r2 = run("verify", "-c", str(printed), "--print")
    assert r2.returncode == 0, r2.stderr
    assert r2.stdout == r1.stdout


def test_verify_groups_errors_name_line_and_column(tmp_path, keyfile, agents):
    text = groups_config(keyfile, agents)
    text = text.replace("network: pub}", "network: pbu}")
    text = text.replace("{name: data, type: fs", "{name: web, type: fs")
    text = text.replace("port: 80}", "port: 0}")
    text = text.replace('"http://198.51.100.100/"', '"https://198.51.100.100/"')
    p = tmp_path / "bad.yaml"
    p.write_text(text)
    lines = text.splitlines()

    def at(needle, point=None):
        """FILE:LINE:COL of point (default: needle) on the line holding needle."""
        n = next(i for i, ln in enumerate(lines) if needle in ln)
        return f"{p}:{n + 1}:{lines[n].index(point or needle) + 1}"

    group_line = at("- name: web").split(":")[1]
    https_at = at("https", '"https')  # the url's value starts at its quote
    r = run("verify", "-c", str(p))
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        f"{at('pbu')}: error: resource 'vip': undeclared network 'pbu'; did you mean 'pub'?",
        f"{at('web, type: fs')}: error: resource 'web' has the name of group 'web' "
        f"(line {group_line}); groups and resources need different names",
        f"{https_at}: error: check #1 of resource 'www': url "
        "'https://198.51.100.100/': https checks are not supported; use a tcp check or an exec "
        "check with curl",
        f"{at('port: 0', '0}')}: error: check #2 of resource 'www': port is 0; it must be from "
        "1 to 65535",
        f"{p}: configuration is invalid (4 errors)",
    ]


def test_verify_groups_checks_files(tmp_path, keyfile, agents):
    agents["dummy"].unlink()
    agents["script"].chmod(0o644)
    p = tmp_path / "vigil.yaml"
    p.write_text(groups_config(keyfile, agents).replace("user: root", "user: vigil-nobody-here"))
    r = run("verify", "-c", str(p))
    assert r.returncode == 1
    err = r.stderr
    assert "error: resource 'www': unknown user 'vigil-nobody-here'" in err
    assert f"error: resource 'job': script {agents['script']} is not executable" in err
    assert ("error: resource 'dummy': unknown agent ocf:heartbeat:Dummy (there is no "
            f"{agents['dummy']})") in err
    assert "configuration is invalid (3 errors)" in err


# ---- keygen ----

def test_keygen_writes_256_bytes_mode_0400(tmp_path):
    key = tmp_path / "authkey"
    r = run("keygen", "-k", str(key))
    assert r.returncode == 0, r.stderr
    assert str(key) in r.stdout
    data = key.read_bytes()
    assert len(data) == 256
    assert len(set(data)) > 100  # random, not zeros
    assert stat.S_IMODE(key.stat().st_mode) == 0o400
    assert os.listdir(tmp_path) == ["authkey"]  # no temporary file left behind


def test_keygen_refuses_to_overwrite(tmp_path):
    key = tmp_path / "authkey"
    assert run("keygen", "--key", str(key)).returncode == 0
    before = key.read_bytes()
    r = run("keygen", "--key", str(key))
    assert r.returncode == 1
    assert f"vigil: {key} already exists" in r.stderr
    assert "splits" in r.stderr
    assert "--force" in r.stderr
    assert key.read_bytes() == before

    r = run("keygen", "--key", str(key), "--force")
    assert r.returncode == 0, r.stderr
    after = key.read_bytes()
    assert len(after) == 256 and after != before
    assert stat.S_IMODE(key.stat().st_mode) == 0o400


def test_keygen_key_is_accepted_by_verify(tmp_path):
    key = tmp_path / "authkey"
    assert run("keygen", "-k", str(key)).returncode == 0
    cfg = tmp_path / "vigil.yaml"
    cfg.write_text(CONFIG.format(key=key))
    r = run("verify", "-c", str(cfg))
    assert r.returncode == 0, r.stderr


def test_keygen_missing_directory(tmp_path):
    key = tmp_path / "nodir" / "authkey"
    r = run("keygen", "-k", str(key))
    assert r.returncode == 1
    assert f"vigil: cannot write {key}: No such file or directory" in r.stderr


# ---- Reaching the daemon ----

def test_status_without_daemon(sockdir):
    path = os.path.join(sockdir, "vigild.sock")
    r = run("status", "--socket", path)
    assert r.returncode == 3
    assert r.stderr == (f"vigil: cannot reach vigild at {path}: "
                        "No such file or directory (is vigild running?)\n")


def test_default_socket_and_env_override(sockdir):
    if not os.path.exists("/run/vigil/vigild.sock"):
        r = run("status")
        assert r.returncode == 3
        assert "cannot reach vigild at /run/vigil/vigild.sock: " in r.stderr
    path = os.path.join(sockdir, "env.sock")
    r = run("events", env={"VIGIL_SOCKET": path})
    assert r.returncode == 3
    assert f"cannot reach vigild at {path}: " in r.stderr
    # --socket, before or after the command, beats the environment.
    other = os.path.join(sockdir, "opt.sock")
    for args in (["-s", other, "status"], ["status", "-s", other]):
        r = run(*args, env={"VIGIL_SOCKET": path})
        assert f"cannot reach vigild at {other}: " in r.stderr


def test_socket_that_refuses(sockdir):
    path = os.path.join(sockdir, "dead.sock")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)  # bound but not listening: connection refused
    try:
        r = run("-s", path, "status")
    finally:
        s.close()
    assert r.returncode == 3
    assert "Connection refused (is vigild running?)" in r.stderr


# ---- status ----

def row(out, name):
    """The table row of node name, split into cells."""
    for ln in out.splitlines():
        cells = ln.split()
        if cells and cells[0] == name:
            return cells
    raise AssertionError(f"no row for {name} in:\n{out}")


def test_status_human(fake):
    srv = fake(ok(STATUS))
    r = run("-s", srv.path, "status")
    assert r.returncode == 0, r.stderr
    assert srv.requests == [{"cmd": "status"}]
    out = r.stdout
    assert "demo" in out
    assert "QUORATE" in out and "NOT QUORATE" not in out
    assert "3 total, 3 expected, 2 needed" in out
    assert "100ms x 4 misses = 400ms" in out
    assert "running" in out
    assert "Local node:  n1 (id 1)" in out
    assert "Coordinator: n1" in out
    assert "Fencing:     enabled (action off)" in out
    assert "Cluster:     demo (vigild 0.1.0, protocol 2)" in out
    assert "Config:      version 7 (sha256 1a2b3c4d5e6f), in sync" in out
    header = row(out, "NODE")
    assert header == ["NODE", "ID", "STATE", "FENCE", "priv", "pub", "VIGILD", "CONFIG"]
    assert row(out, "n1") == ["n1", "1", "online", "-", "up", "up", "0.1.0", "7", "(local,",
                              "coordinator)"]
    # n2 runs an older release, and another configuration (marked !).
    assert row(out, "n2") == ["n2", "2", "online", "-", "up", "DOWN", "0.0.9", "6!"]
    assert row(out, "n3") == ["n3", "3", "OFFLINE", "fenced", "-", "-", "-", "-"]
    assert "n3 is fenced: fenced by n1: n3 fenced (off) by level 1" in out
    # Columns line up: DOWN sits under the header of its network.
    lines = out.splitlines()
    header_line = next(ln for ln in lines if ln.startswith("NODE"))
    n2_line = next(ln for ln in lines if ln.startswith("n2 "))
    col = header_line.index("pub")
    assert n2_line[col:col + 4] == "DOWN"
    assert not any(ln.endswith(" ") for ln in out.splitlines())


def test_status_not_quorate(fake):
    st = json.loads(json.dumps(STATUS))
    st.update(quorate=False, coordinator=None, votes={"total": 1, "expected": 3, "needed": 2})
    st["engine"].update(state="lost", restarts=2)
    for n in st["nodes"][1:]:
        n["state"] = "offline"
    srv = fake(ok(st))
    r = run("-s", srv.path, "status")
    assert r.returncode == 0, r.stderr
    assert "NOT QUORATE" in r.stdout
    assert "1 total, 3 expected, 2 needed" in r.stdout
    assert "Coordinator: none" in r.stdout
    assert "LOST" in r.stdout and "2 restarts" in r.stdout
    assert row(r.stdout, "n1")[-1] == "(local)"
    assert row(r.stdout, "n2") == ["n2", "2", "OFFLINE", "-", "-", "-", "-", "-"]


def test_status_unclean_and_fencing_disabled(fake):
    st = json.loads(json.dumps(STATUS))
    st["fencing"] = {"enabled": False, "unsafe_recovery": False, "action": "off"}
    st["nodes"][2]["fence"] = {"state": "unclean", "running": False, "failures": 2,
                               "note": "fencing failed (2 times): lab: timed out after 30s"}
    st["nodes"][1]["fence"] = {"state": "clean", "running": True, "note": None, "failures": 0}
    srv = fake(ok(st))
    r = run("-s", srv.path, "status")
    assert r.returncode == 0, r.stderr
    assert ("Fencing:     DISABLED: a failed node's services are not recovered until it returns"
            in r.stdout)
    assert row(r.stdout, "n3")[3] == "UNCLEAN"
    assert row(r.stdout, "n2")[3] == "FENCING"
    assert "n3 is unclean: fencing failed (2 times): lab: timed out after 30s" in r.stdout


def test_fence_requests(fake):
    def handler(conn, req):
        return ok({"node": req["node"],
                   "requested": "confirm" if req.get("confirm") else req.get("action", "off")})
    srv = fake(handler)
    r = run("-s", srv.path, "fence", "n3")
    assert r.returncode == 0, r.stderr
    assert "fencing of n3" in r.stdout and "vigil events --follow" in r.stdout
    r = run("-s", srv.path, "fence", "--reboot", "n3")
    assert r.returncode == 0, r.stderr
    r = run("-s", srv.path, "fence", "--confirm", "n3")
    assert r.returncode == 0, r.stderr
    assert "n3 is recorded as off" in r.stdout
    assert srv.requests == [
        {"cmd": "fence", "node": "n3", "confirm": False},
        {"cmd": "fence", "node": "n3", "confirm": False, "action": "reboot"},
        {"cmd": "fence", "node": "n3", "confirm": True},
    ]


def test_fence_refused_and_usage(fake):
    srv = fake(line({"ok": False, "error": "refused: this node's partition has no quorum"}))
    r = run("-s", srv.path, "fence", "n3")
    assert r.returncode == 1
    assert r.stderr.strip() == "vigil: refused: this node's partition has no quorum"
    for args, msg in ((["fence"], "which node?"),
                      (["fence", "n2", "n3"], "give exactly one NODE"),
                      (["fence", "--off", "--reboot", "n3"], "exclude each other"),
                      (["fence", "--confirm", "--off", "n3"], "--confirm fences nothing")):
        r = run(*args)
        assert r.returncode == 2, args
        assert msg in r.stderr, (args, r.stderr)


def test_status_json_round_trips(fake):
    srv = fake(ok(STATUS))
    r = run("-s", srv.path, "status", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == STATUS
    assert r.stdout == json.dumps(STATUS, indent=2, separators=(",", ": ")) + "\n"


def test_status_survives_odd_status(fake):
    # Missing and mistyped members are shown as '?', never crash the CLI.
    srv = fake(ok({"cluster": 7, "nodes": [{"name": "x\x1b[31m", "links": 3}, 5],
                   "networks": ["a", 1]}))
    r = run("-s", srv.path, "status")
    assert r.returncode == 0, r.stderr
    assert "\x1b" not in r.stdout
    assert "UNKNOWN" in r.stdout
    assert "Local node:  unknown" in r.stdout


def test_daemon_error(fake):
    srv = fake(line({"ok": False, "error": "x"}))
    r = run("-s", srv.path, "status")
    assert r.returncode == 1
    assert r.stderr == "vigil: x\n"
    assert r.stdout == ""


@pytest.mark.parametrize("reply,message", [
    (b"this is not json\n", "vigil: malformed reply from vigild: "),
    (b"[1, 2]\n", "malformed reply from vigild: expected a JSON object"),
    (b'{"result": {}}\n', 'malformed reply from vigild: no boolean "ok" member'),
    (b'{"ok": true}\n', 'malformed reply from vigild: no "result" member'),
    (b'{"ok": true, "result": 5}\n', "malformed reply from vigild: the status is not"),
    (b'{"ok": true, "res', "closed the connection in the middle of a reply"),
    (b"", "closed the connection without replying"),
])
def test_bad_replies(fake, reply, message):
    srv = fake(reply)
    r = run("-s", srv.path, "status")
    assert r.returncode == 1
    assert message in r.stderr
    assert r.stdout == ""


def test_reply_line_too_long(fake):
    big = b'{"ok":true,"result":{"cluster":"' + b"a" * (16 * 1024 * 1024) + b'"}}\n'
    srv = fake(big)
    r = run("-s", srv.path, "status")
    assert r.returncode == 1
    assert "longer than 16 MiB" in r.stderr


def test_reply_timeout(fake):
    srv = fake(lambda conn, req: [12.0])
    t0 = time.monotonic()
    r = run("-s", srv.path, "status")
    elapsed = time.monotonic() - t0
    assert r.returncode == 3
    assert "no reply from vigild" in r.stderr and "within 10 s" in r.stderr
    assert elapsed < 11.5


# ---- events ----

def test_events_human(fake):
    srv = fake(ok({"events": EVENTS}))
    r = run("-s", srv.path, "events", env={"TZ": "UTC"})
    assert r.returncode == 0, r.stderr
    assert srv.requests == [{"cmd": "events", "follow": False, "since": 0}]
    assert r.stdout.splitlines() == [
        "2026-11-22 10:00:00.123  link_down            n2      link to n2 on network pub is down",
        "2026-11-22 10:00:01.123  node_left            n3      node n3 (id 3) left the membership",
        "2026-11-22 10:00:02.000  quorum_lost          -       this partition lost quorum",
    ]


def test_events_local_time_and_utc(fake):
    srv = fake(ok({"events": EVENTS[1:2]}))
    r = run("-s", srv.path, "events", env={"TZ": "Asia/Kolkata"})  # UTC+5:30, no DST
    assert r.stdout.startswith("2026-11-22 15:30:01.123  node_left")
    r = run("-s", srv.path, "events", "--utc", env={"TZ": "Asia/Kolkata"})
    assert r.stdout.startswith("2026-11-22T10:00:01.123Z  node_left")


def test_events_unknown_type_and_odd_fields(fake):
    evs = [{"seq": 1, "ts_ms": 1795341600123, "type": "brand_new_thing", "node": "n1",
            "message": "something\nnew\x1b[2J"},
           {"seq": 2, "time": "2026-11-22T10:00:00.000Z"}]
    srv = fake(ok({"events": evs}))
    r = run("-s", srv.path, "events")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "2026-11-22 10:00:00.123  brand_new_thing      n1      something?new?[2J"
    assert lines[1].startswith("2026-11-22T10:00:00.000Z  ?")


def test_events_json_and_since(fake):
    srv = fake(ok({"events": EVENTS[1:]}))
    r = run("-s", srv.path, "events", "--json", "--since", "16")
    assert r.returncode == 0, r.stderr
    assert srv.requests == [{"cmd": "events", "follow": False, "since": 16}]
    lines = r.stdout.splitlines()
    assert [json.loads(ln) for ln in lines] == EVENTS[1:]
    assert all(" " not in ln.split('"message"')[0] for ln in lines)  # compact


def test_events_missing_array(fake):
    srv = fake(ok({"evts": []}))
    r = run("-s", srv.path, "events")
    assert r.returncode == 1
    assert 'no "events" array' in r.stderr


def follow_server(fake, gate, tail=b""):
    """Answers a follow request with EVENTS[0], then streams the rest once gate is set."""
    def handler(conn, req):
        conn.sendall(ok({"events": EVENTS[:1]}))
        gate.wait(20)
        return [line({"event": EVENTS[1]}), 0.2, b'{"other":"ignored"}\n',
                line({"event": EVENTS[2]}), tail, 0.2]
    return fake(handler)


def test_events_follow_streams_then_exits_when_closed(fake):
    gate = threading.Event()
    srv = follow_server(fake, gate)
    p = subprocess.Popen([VIGIL, "-s", srv.path, "events", "--follow", "--json"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The first event arrives while the stream is still open: output is flushed.
        assert json.loads(p.stdout.readline()) == EVENTS[0]
        gate.set()
        assert json.loads(p.stdout.readline()) == EVENTS[1]
        assert json.loads(p.stdout.readline()) == EVENTS[2]
        assert p.wait(10) == 0
        assert p.stdout.read() == ""
    finally:
        p.kill()
        p.wait()
    assert srv.requests == [{"cmd": "events", "follow": True, "since": 0}]


def test_events_follow_daemon_error(fake):
    gate = threading.Event()
    gate.set()
    srv = follow_server(fake, gate, tail=line({"ok": False, "error": "vigild is stopping"}))
    r = run("-s", srv.path, "events", "-f")
    assert r.returncode == 1
    assert len(r.stdout.splitlines()) == 3
    assert r.stderr == "vigil: vigild is stopping\n"


def test_events_follow_garbage(fake):
    gate = threading.Event()
    gate.set()
    srv = follow_server(fake, gate, tail=b"garbage\n")
    r = run("-s", srv.path, "events", "-f")
    assert r.returncode == 1
    assert "malformed reply from vigild" in r.stderr


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_events_follow_exits_0_on_signal(fake, sig):
    gate = threading.Event()
    srv = follow_server(fake, gate)
    p = subprocess.Popen([VIGIL, "-s", srv.path, "events", "--follow"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert "link_down" in p.stdout.readline()
        p.send_signal(sig)
        assert p.wait(10) == 0
        assert p.stderr.read() == ""
    finally:
        gate.set()
        p.kill()
        p.wait()
