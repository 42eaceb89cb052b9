"""vigil-lab: vigil.yaml for a lab: make_config and the sections it writes
(lab_fencing, fencing_yaml, web_group, groups_yaml).

Part of vigillab. Python 3 standard library only.
"""

import json
import re

from labbase import FENCE_LAB, NETWORKS, NODE_KEY, PYTHON

# Plain YAML scalars that stay strings under YAML 1.2's core schema.
_PLAIN = re.compile(r"[A-Za-z0-9_./][A-Za-z0-9_./@+-]*")
_NOT_STRING = re.compile(r"(?i)null|~|true|false|[-+]?(\d[\d_]*)?\.?\d*(e[-+]?\d+)?|"
                         r"0x[0-9a-f]+|0o[0-7]+|[-+]?\.(inf|nan)")


def _yaml_flow(v):
    """v (dict, list, str, number, bool, None) as one line of flow-style YAML."""
    if isinstance(v, dict):
        return "{" + ", ".join(f"{_yaml_flow(k)}: {_yaml_flow(x)}" for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_yaml_flow(x) for x in v) + "]"
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    v = str(v)
    if _PLAIN.fullmatch(v) and not _NOT_STRING.fullmatch(v):
        return v
    return json.dumps(v)  # a JSON string is a YAML double-quoted scalar


def lab_fencing(nodes, prefix, agent=FENCE_LAB, timeout="30s", delay="5s",
                startup_wait="45s"):
    """The lab's standard fencing (a dict for make_config): one device "lab" using
    lab/fence_lab on the lab's BMC, one level per node, the node's name as port.

    startup_wait is longer than vigil's 20 s default: on a busy test machine the
    lab's nodes, all started together, have been seen to need more than 20 s to
    form, and the first two then fenced the third before the test began.

    In a two-node lab, n1 gets `delay` (so that of two nodes fencing each other
    at once, n2 is shot first and n1 survives), as is usual for two-node clusters.
    """
    out = {"devices": [{"name": "lab", "agent": agent, "params": {"lab": prefix},
                        "timeout": timeout}],
           "nodes": {}}
    if startup_wait:
        out = {"startup_wait": startup_wait, **out}
    for i in range(1, nodes + 1):
        entry = {"levels": [[{"device": "lab", "port": f"n{i}"}]]}
        if nodes == 2 and i == 1 and delay:
            entry["delay"] = delay
        out["nodes"][f"n{i}"] = entry
    return out


def fencing_yaml(fencing):
    """The `fencing:` section of vigil.yaml for a fencing dict (see make_config).

    Keys other than devices and nodes (enabled, action, retries, ...) come first,
    one per line; then each device as a block of `key: value` lines (name first if
    given, the rest in dict order); then one flow-style line per node. A str is
    returned as it is (newline-terminated), for deliberately bad sections.
    """
    if isinstance(fencing, str):
        return fencing if fencing.endswith("\n") else fencing + "\n"
    lines = ["fencing:"]
    for k, v in fencing.items():
        if k not in ("devices", "nodes"):
            lines.append(f"  {k}: {_yaml_flow(v)}")
    if "devices" in fencing:
        devices = fencing["devices"]
        if not devices:
            lines.append("  devices: []")
        else:
            lines.append("  devices:")
        for dev in devices:
            if not isinstance(dev, dict) or not dev:
                lines.append(f"    - {_yaml_flow(dev)}")
                continue
            keys = sorted(dev, key=lambda k: k != "name")  # stable: name first
            for j, k in enumerate(keys):
                lines.append(f"{'    - ' if j == 0 else '      '}{k}: {_yaml_flow(dev[k])}")
    if "nodes" in fencing:
        if not fencing["nodes"]:
            lines.append("  nodes: {}")
        else:
            lines.append("  nodes:")
        for node, entry in fencing["nodes"].items():
            lines.append(f"    {node}: {_yaml_flow(entry)}")
    return "\n".join(lines) + "\n"


WEB_VIP = "198.51.100.100"
WEB_ROOT = "/var/lib/vigil"  # what the lab's web servers serve: each node's private dir
NODE_FILE = "node"  # WEB_ROOT/node in every node holds the node's name (GET /node)


def web_group(name="web", domain=("n1", "n2", "n3"), address=WEB_VIP, port=80,
              failback=None, restarts=None, policy=None, before=(), after=(),
              check=True, vip_name="vip", www_name="www", on_fail=None, directory=WEB_ROOT,
              **extra):
    """The standard web group (a dict for groups_yaml / make_config(groups=...)):
    an ip resource `vip_name` (ADDRESS/24 on the pub network), then a process
    `www_name` running Python's http.server on ADDRESS:PORT serving WEB_ROOT
    (each node's private /var/lib/vigil, where the lab writes the node's name to
    `node`: GET /node tells which node answered; or `directory`), with an http
    check of it (1s interval, 500ms timeout, 2 failures) unless check=False.
    The server's stderr (its access log) goes to /run/www-WWW_NAME.log in the node.

    failback ("auto" | "controlled"), restarts ({"max": 2, "within": "10min"}),
    policy, on_fail (of the process) are written only when given. before/after
    are resource dicts put before the ip resource or after the process (an fs
    resource the server needs goes in before). Other keyword arguments become
    keys of the group.
    """
    # The server's access log (a line per request, on stderr) goes to the node's
    # /run/www-NAME.log rather than to vigild's log, which it would drown; sh
    # execs the server, so the supervised process is the server itself.
    www = {"name": www_name, "type": "process",
           "command": ["/bin/sh", "-c", f'exec "$0" "$@" 2>>/run/www-{www_name}.log',
                       PYTHON, "-m", "http.server", str(port), "--bind", address,
                       "--directory", directory]}
    if on_fail is not None:
        www["on_fail"] = on_fail
    if check:
        url = f"http://{address}/" if port == 80 else f"http://{address}:{port}/"
        www["checks"] = [{"type": "http", "url": url, "interval": "1s",
                          "timeout": "500ms", "failures": 2}]
    group = {"name": name, "domain": list(domain)}
    for k, v in (("policy", policy), ("failback", failback), ("restarts", restarts)):
        if v is not None:
            group[k] = v
    group.update(extra)
    group["resources"] = (list(before)
                          + [{"name": vip_name, "type": "ip", "address": f"{address}/24",
                              "network": "pub"}, www]
                          + list(after))
    return group


def groups_yaml(groups):
    """The `groups:` section of vigil.yaml for a list of group dicts (see web_group):
    each group as a block (name first, resources last), each resource as one
    flow-style line. A str is returned as it is (newline-terminated), for
    sections written by hand or deliberately bad ones."""
    if isinstance(groups, str):
        return groups if groups.endswith("\n") else groups + "\n"
    if not groups:
        return "groups: []\n"
    lines = ["groups:"]
    for g in groups:
        if not isinstance(g, dict) or not g:
            lines.append(f"  - {_yaml_flow(g)}")
            continue
        keys = sorted(g, key=lambda k: (k != "name", k == "resources"))
        for j, k in enumerate(keys):
            lead = "  - " if j == 0 else "    "
            if k == "resources" and isinstance(g[k], (list, tuple)) and g[k]:
                lines.append(f"{lead}resources:")
                lines.extend(f"      - {_yaml_flow(r)}" for r in g[k])
            else:
                lines.append(f"{lead}{k}: {_yaml_flow(g[k])}")
    return "\n".join(lines) + "\n"


def make_config(nodes, networks=2, name="lab", key=NODE_KEY, interval=None, misses=None,
                tie_breaker="lowest", overrides=None, fencing=None, groups=None):
    """Returns vigil.yaml text for a standard lab of `nodes` nodes.

    networks is how many of NETWORKS (priv, pub) carry heartbeat. interval is a
    duration string ("100ms") or a number of milliseconds; interval and misses
    are left out (vigild's defaults apply) when None. overrides maps a node
    name to a dict of address overrides, e.g. {"n2": {"priv": "192.0.2.300"}},
    to build deliberately bad configurations.

    fencing, if not None, adds a `fencing:` section (see fencing_yaml): a dict
    such as lab_fencing(nodes, prefix) returns, e.g.
        {"devices": [{"name": "rec", "agent": PATH, "params": {"log": F}, "timeout": "5s"}],
         "nodes": {"n1": {"levels": [[{"device": "rec", "port": "n1"}],
                                     [{"device": "lab", "port": "n1"}]]}, ...}}
    or the section's text itself.

    groups, if not None, adds a `groups:` section (see groups_yaml): a list of
    group dicts such as web_group() returns, or the section's text.
    """
    overrides = overrides or {}
    nets = [n for n, _ in NETWORKS[:networks]]
    lines = [f"cluster: {{name: {name}, key: {key}}}"]
    hb = []
    if interval is not None:
        hb.append(f"interval: {interval}ms" if isinstance(interval, (int, float))
                  else f"interval: {interval}")
    if misses is not None:
        hb.append(f"misses: {misses}")
    if hb:
        lines.append("heartbeat: {" + ", ".join(hb) + "}")
    lines.append("networks: [" + ", ".join(f"{{name: {n}}}" for n in nets) + "]")
    lines.append("nodes:")
    for i in range(1, nodes + 1):
        node = f"n{i}"
        addrs = {n: f"{p}.{i}" for n, p in NETWORKS[:networks]}
        addrs.update(overrides.get(node, {}))
        a = ", ".join(f"{n}: {v}" for n, v in addrs.items())
        lines.append(f"  - {{name: {node}, id: {i}, addresses: {{{a}}}}}")
    lines.append(f"quorum: {{tie_breaker: {tie_breaker}}}")
    text = "\n".join(lines) + "\n"
    if fencing is not None:
        text += fencing_yaml(fencing)
    if groups is not None:
        text += groups_yaml(groups)
    return text
