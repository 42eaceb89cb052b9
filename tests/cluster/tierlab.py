"""Lab helpers for groups that depend on each other and for node capacity:

- a three-tier chain (db -> app -> web) derived from examples/three-tier.yaml:
  its nodes' capacities, its groups' relationships, loads, priorities,
  policies and virtual IPs, with the example's programs (postgres, the app,
  nginx) replaced by one small Python server per tier (tier_server), each
  ready only when the tier it needs answers;
- vigil.yaml with node capacities (make_config has no such key: with_capacity
  adds it);
- reading what the tier servers logged (their start times) and the order of
  group events.
"""

import json
import os
import re

import yaml

from labhelpers import group_entry
from vigillab import PYTHON

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(REPO, "examples", "three-tier.yaml")

# Each tier's port, as in the example (postgres, the app server, nginx).
PORTS = {"db": 5432, "app": 8080, "web": 80}
RUNNING_EVENTS = ("group_started", "group_recovered", "group_moved", "group_restarted")

# One server per tier, Python's standard library only. Each appends JSON lines
# {"tier", "node", "what": "start"|"listening", "ns"} to the shared log (O_APPEND:
# the nodes' lines do not mix), so a test can tell when each tier was started.
#   db  BIND PORT LOG                 TCP: answers "db@NODE" to every connection
#   app BIND PORT LOG DBHOST DBPORT   HTTP: 200 "app@NODE/db@..." if db answers, else 503
#   web BIND PORT LOG APPURL          HTTP: 200 "web@NODE/app@.../db@..." if the app
#                                     answers 200, else 502
TIER_SERVER = r'''
import http.client, http.server, json, os, socket, socketserver, sys, time

tier, bind, port, log = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
node = os.environ.get("VIGIL_NODE") or socket.gethostname()

def note(what):
    line = json.dumps({"tier": tier, "node": node, "what": what, "ns": time.time_ns()})
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)

def upstream():
    """The line the next tier answers, or None."""
    try:
        if tier == "app":
            with socket.create_connection((sys.argv[5], int(sys.argv[6])), timeout=0.5) as s:
                s.settimeout(0.5)
                data = s.recv(256).decode().strip()
                return data or None
        host, _, rest = sys.argv[5].partition("//")[2].partition(":")
        p, _, path = rest.partition("/")
        c = http.client.HTTPConnection(host, int(p), timeout=0.5)
        c.request("GET", "/" + path)
        r = c.getresponse()
        body = r.read().decode().strip()
        return body if r.status == 200 and body else None
    except (OSError, http.client.HTTPException, ValueError):
        return None

class Db(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.sendall(f"db@{node}\n".encode())

class Http(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        up = upstream()
        code = 200 if up else (503 if tier == "app" else 502)
        body = (f"{tier}@{node}/{up}\n" if up else f"{tier}@{node}: no answer upstream\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

note("start")
cls = socketserver.ThreadingTCPServer if tier == "db" else http.server.ThreadingHTTPServer
cls.allow_reuse_address = True
cls.daemon_threads = True
srv = cls((bind, port), Db if tier == "db" else Http)
note("listening")
srv.serve_forever()
'''


def example():
    """examples/three-tier.yaml, parsed."""
    with open(EXAMPLE) as f:
        return yaml.safe_load(f)


def example_capacities():
    """{node: capacity dict} of the example's nodes."""
    return {n["name"]: n["capacity"] for n in example()["nodes"] if "capacity" in n}


def vip_of(group):
    """The address (without /PLEN) of the group's first ip resource."""
    for r in group["resources"]:
        if r["type"] == "ip":
            return r["address"].split("/")[0]
    raise ValueError(f"group {group['name']} has no ip resource")


def tier_vips():
    """{tier: its virtual IP} as in the example."""
    return {g["name"]: vip_of(g) for g in example()["groups"]}


def write_tier_server(lab):
    """Writes the tier server into the lab's shared directory; returns (path, log path)."""
    path = lab.shared_path("tier.py")
    with open(path, "w") as f:
        f.write(TIER_SERVER)
    return path, lab.shared_path("tiers.log")


def tier_groups(lab, colocated=None):
    """The example's groups (db, app, web) for the lab: name, domain, policy,
    requires, colocated, load, priority, restarts and the ip resources as in the
    example; every other resource replaced by the tier's server on its VIP, with
    a check that passes only when the tier it needs answers (db: tcp; app and
    web: http). colocated, if not None, sets app's colocated."""
    server, log = write_tier_server(lab)
    groups = {g["name"]: g for g in example()["groups"]}
    assert set(groups) >= {"db", "app", "web"}, f"{EXAMPLE}: groups {sorted(groups)}"
    vips = {t: vip_of(groups[t]) for t in ("db", "app", "web")}
    upstream = {"db": [], "app": [vips["db"], str(PORTS["db"])],
                "web": [f"http://{vips['app']}:{PORTS['app']}/chain"]}
    out = []
    for name in ("db", "app", "web"):
        g = groups[name]
        lab_g = {k: g[k] for k in ("name", "domain", "policy", "requires", "colocated", "load",
                                   "priority", "restarts") if k in g}
        if name == "app" and colocated is not None:
            lab_g["colocated"] = colocated
        vip, port = vips[name], PORTS[name]
        if name == "db":
            check = {"type": "tcp", "host": vip, "port": port, "interval": "1s",
                     "timeout": "500ms", "failures": 2}
        else:
            url = f"http://{vip}:{port}/health" if port != 80 else f"http://{vip}/health"
            # Not eager: a lost db makes app's and web's checks fail, but vigil stops
            # them first (they require it); a few seconds leave it the time to.
            check = {"type": "http", "url": url, "interval": "1s", "timeout": "500ms",
                     "failures": 4}
        proc = {"name": f"{name}-server", "type": "process",
                "command": ["/bin/sh", "-c", f'exec "$0" "$@" 2>>/run/tier-{name}.log',
                            PYTHON, server, name, vip, str(port), log, *upstream[name]],
                "ready_timeout": "30s", "checks": [check]}
        lab_g["resources"] = [r for r in g["resources"] if r["type"] == "ip"] + [proc]
        out.append(lab_g)
    return out


def tier_pattern(name):
    """The command-line regex of a tier's server (for procs_in and the sampler)."""
    return r"tier\.py " + re.escape(name) + r" "


_NODE_LINE = re.compile(r"^(  - \{name: (n\d+), id: \d+, addresses: \{[^}]*\})\}$", re.M)


def with_capacity(text, capacities):
    """make_config's text with `capacity: {...}` added to the nodes named in
    capacities ({node: {name: amount}})."""
    def repl(m):
        cap = capacities.get(m.group(2))
        if cap is None:
            return m.group(0)
        inner = ", ".join(f"{k}: {v}" for k, v in cap.items())
        return f"{m.group(1)}, capacity: {{{inner}}}}}"
    out, n = _NODE_LINE.subn(repl, text)
    assert n >= len(capacities), f"with_capacity: node lines not found in\n{text}"
    return out


def tier_log(path):
    """What the tier servers logged: a list of dicts (tier, node, what, ns), oldest first."""
    try:
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def started_after(path, tier, ns):
    """The tier's "start" records at or after ns (wall clock, ns)."""
    return [r for r in tier_log(path) if r["tier"] == tier and r["what"] == "start"
            and r["ns"] >= ns]


def first_event(events, group, types):
    """The first of events (a list of dicts, in order) about group of one of types, or None."""
    return next((e for e in events if e.get("group") == group and e.get("type") in types), None)


def loads_by_node(st, loads):
    """{node: {name: used}} from a status: the loads ({group: {name: amount}}) of the
    groups it shows on each node (active there, or being started there)."""
    out = {}
    for g in st.get("groups", []):
        if g.get("node") and g["name"] in loads:
            used = out.setdefault(g["node"], {})
            for k, v in loads[g["name"]].items():
                used[k] = used.get(k, 0) + v
    return out


def all_running(st, names, also=None):
    """Whether every group of names runs (every resource running) in a status."""
    for name in names:
        g = group_entry(st, name)
        if g is None or g["state"] != "running" or not g["node"] \
                or not all(r["state"] == "running" for r in g["resources"]):
            return False
        if also is not None and not also(g):
            return False
    return True
