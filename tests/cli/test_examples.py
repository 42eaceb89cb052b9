"""Every example configuration (examples/*.yaml) is valid as `vigil verify` sees it,
with no warning, and README.md lists each of them.

`vigil verify` checks the files a configuration names on this machine (the key,
fence agents and their secrets files, OCF agents, users). The examples name
/etc/vigil/authkey and secrets under /etc/vigil/fence/, which this machine need
not have: the test verifies a copy whose /etc/vigil/ paths point into a
temporary directory holding a key and secrets files made for it. Everything
else (fence agents, OCF agents, users) is checked as it is on this machine, so
the examples only name what Debian's packages install. pgsqlms checks its
database as well: one is made for it (with_database).

    /usr/bin/python3 -m pytest tests/cli/test_examples.py -q
"""

import glob
import os
import re
import shutil
import socket
import subprocess
import tempfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("VIGIL_BUILD", os.path.join(REPO, "build"))
VIGIL = os.path.join(BUILD, "src", "cli", "vigil")
EXAMPLES = sorted(glob.glob(os.path.join(REPO, "examples", "*.yaml")))
ETC = "/etc/vigil/"
ETC_PATH = re.compile(re.escape(ETC) + r"[A-Za-z0-9_.-]+(?:/[A-Za-z0-9_.-]+)*")
KEY_LINE = re.compile(r"^\s*key:\s*(\S+)", re.M)

if not os.path.exists(VIGIL):
    pytest.skip(f"{VIGIL} is not built (set VIGIL_BUILD)", allow_module_level=True)


def local_copy(example, tmp_path):
    """A copy of the example whose /etc/vigil/ files live under tmp_path/etc, with a
    256-byte key (mode 0400) for the cluster key and a password=... file (mode
    0600) for every other file it names there. Returns the copy's path."""
    with open(example) as f:
        text = f.read()
    etc = tmp_path / "etc"
    keys = set(KEY_LINE.findall(text))
    if not keys:
        # The default key, /etc/vigil/authkey: written out in the copy (the
        # `cluster:` section is a block in every example; the line numbers after
        # it shift by one, which no assertion here depends on).
        assert re.search(r"^cluster:\n", text, re.M), f"{example}: no block `cluster:`"
        keys = {ETC + "authkey"}
        text = re.sub(r"^cluster:\n", f"cluster:\n  key: {ETC}authkey\n", text, count=1,
                      flags=re.M)
    for path in sorted(set(ETC_PATH.findall(text))):
        local = etc / path[len(ETC):]
        local.parent.mkdir(parents=True, exist_ok=True)
        if path in keys:
            local.write_bytes(os.urandom(256))
            local.chmod(0o400)
        else:
            local.write_text("password=example\n")
            local.chmod(0o600)
    text = text.replace(ETC, f"{etc}/")
    if PGSQLMS in text:
        text = with_database(text, tmp_path)
    copy = tmp_path / os.path.basename(example)
    copy.write_text(text)
    return copy


PGSQLMS = "ocf:heartbeat:pgsqlms"
PGDATA_LINE = re.compile(r"^(\s*pgdata:\s*)(\S+)\s*$", re.M)
PG_BIN = "/usr/lib/postgresql/15/bin"
PG_SETTINGS = """
wal_level = replica
hot_standby = on
wal_log_hints = on
recovery_target_timeline = 'latest'
primary_conninfo = 'host=198.51.100.130 application_name={node}'
"""
_databases = []


def with_database(text, tmp_path):
    """pgsqlms's validate-all checks the database itself (its settings, and that
    primary_conninfo names this node). The example's pgdata is replaced by a
    database made here with initdb and the settings the example's comment lists,
    with application_name = the name the agent is given on this machine (its host
    name: the machine is none of the example's nodes). In a directory postgres can
    read, removed at the end of the run."""
    paths = PGDATA_LINE.findall(text)
    assert paths, "a pgsqlms resource without a pgdata line"
    top = tempfile.mkdtemp(prefix="vigil-example-pg-")
    _databases.append(top)
    os.chmod(top, 0o755)
    data = os.path.join(top, "data")
    shutil.chown(top, "postgres", "postgres")
    r = subprocess.run(["runuser", "-u", "postgres", "--", f"{PG_BIN}/initdb", "-D", data,
                        "--auth=trust"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(data, "postgresql.conf"), "a") as f:
        f.write(PG_SETTINGS.format(node=socket.gethostname()))
    for _, path in paths:
        text = text.replace(path, data)
    return text


@pytest.fixture(scope="module", autouse=True)
def _remove_databases():
    yield
    for top in _databases:
        shutil.rmtree(top, ignore_errors=True)


def test_there_are_examples():
    names = {os.path.basename(p) for p in EXAMPLES}
    assert {"vigil.yaml", "two-node.yaml", "web-vip.yaml", "three-tier.yaml",
            "shared-disk-db.yaml", "replicated-db.yaml"} <= names, names


@pytest.mark.parametrize("example", EXAMPLES, ids=os.path.basename)
def test_example_is_valid(example, tmp_path):
    copy = local_copy(example, tmp_path)
    r = subprocess.run([VIGIL, "verify", "-c", str(copy)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, f"{os.path.basename(example)}:\n{r.stderr}{r.stdout}"
    assert r.stderr == "", r.stderr  # not even a warning
    assert r.stdout.startswith(f"{copy}: configuration is valid"), r.stdout


@pytest.mark.parametrize("example", EXAMPLES, ids=os.path.basename)
def test_example_prints_back_to_a_valid_file(example, tmp_path):
    """The normalised form of each example (every default spelled out) loads too."""
    copy = local_copy(example, tmp_path)
    r = subprocess.run([VIGIL, "verify", "--print", "-c", str(copy)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    printed = tmp_path / "printed.yaml"
    printed.write_text(r.stdout)
    r2 = subprocess.run([VIGIL, "verify", "--print", "-c", str(printed)], capture_output=True,
                        text=True, timeout=60)
    assert r2.returncode == 0, r2.stderr
    assert r2.stdout == r.stdout


@pytest.mark.parametrize("example", EXAMPLES, ids=os.path.basename)
def test_example_explains_itself(example):
    """Each example opens with a comment saying what it is."""
    with open(example) as f:
        first = f.readline()
    assert first.startswith("# vigil.yaml: "), first


def test_readme_lists_every_example():
    with open(os.path.join(REPO, "README.md")) as f:
        readme = f.read()
    missing = [os.path.basename(p) for p in EXAMPLES
               if f"examples/{os.path.basename(p)}" not in readme]
    assert not missing, f"README.md does not list {missing}"
