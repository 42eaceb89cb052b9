"""Fixtures for the lab tests: one namespace lab per test module.

Run as root: /usr/bin/python3 -m pytest tests/cluster

Each module gets its own lab (prefix "t" + a hash of the module name and pid),
LAB_NODES nodes (a module attribute, default 3), with the lab's standard fencing
section in its config if the module sets LAB_FENCING = True (default False),
built once and reused by the module's tests. Before and after every test the
lab is restored (BMC running, healed, links up, every node powered on, one
quorate cluster of all nodes), so tests may break it freely. The lab is always
torn down: at module end, at exit, and on SIGTERM/SIGINT. When a test fails,
every node's vigild log, status and events, and the BMC's log, are printed
(shown by pytest under "Captured stdout teardown").

For resource groups: the `poller` fixture starts clients polling a URL from the
client namespace (lab/vigil-poll) and the `sampler` fixture starts a sampler of
the single-copy rule (vigilwatch.Sampler); both are stopped at the end of the
test and their summaries printed. Lab.create_disk makes a shared disk (down
detaches it).
"""

import atexit
import contextlib
import hashlib
import os
import signal
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(REPO, "lab"))

from vigillab import Lab, LabError, wait_until  # noqa: E402

__all__ = ["Lab", "LabError", "wait_until", "dump_lab"]

# Deadlines are generous on purpose: tests wait for conditions, they never time them.
FORM_TIMEOUT = 120
LOG_TAIL_LINES = 150

_live_labs = []


def _down_all():
    for lab in list(_live_labs):
        try:
            lab.down()
        except Exception as e:  # noqa: BLE001 - best effort at exit
            print(f"vigil-lab {lab.prefix}: down failed: {e}", file=sys.stderr)
        _live_labs.remove(lab)


atexit.register(_down_all)


def _sigterm(signum, frame):
    # Turn SIGTERM into the same path as Ctrl-C, so pytest runs the finalizers.
    raise KeyboardInterrupt(f"signal {signum}")


signal.signal(signal.SIGTERM, _sigterm)


def pytest_configure(config):
    if os.geteuid() != 0:
        pytest.exit("the lab tests need root", returncode=2)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def _where(pid):
    """Where a process is (state, wait channel, current syscall): a clue when a daemon hangs."""
    out = []
    for name in ("wchan", "syscall"):
        try:
            with open(f"/proc/{pid}/{name}") as f:
                out.append(f"{name}={f.read().strip()}")
        except OSError as e:
            out.append(f"{name}=? ({e.strerror})")
    try:
        with open(f"/proc/{pid}/stat") as f:
            out.insert(0, "state=" + f.read().rsplit(")", 1)[1].split()[0])
    except OSError:
        pass
    return " ".join(out)


def _backtrace(pid):
    """Every thread's stack of a live process, by gdb (it is paused for a moment)."""
    try:
        r = subprocess.run(["gdb", "-p", str(pid), "-batch", "-nx", "-ex",
                            "thread apply all bt"], capture_output=True, text=True, timeout=60)
        return "\n".join(line for line in r.stdout.splitlines()
                         if line.startswith(("#", "Thread")))
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"(no backtrace: {e})"


def dump_lab(lab, tail=LOG_TAIL_LINES):
    """Prints every node's status, events and log tail (for failure reports)."""
    for node in lab.nodes:
        print(f"\n===== {lab.prefix} {node}: vigild pid {lab.vigild_pid(node)}, corosync "
              f"{lab.daemon_pids(node, 'corosync')} =====")
        for comm in ("vigild", "corosync"):
            for pid in lab.daemon_pids(node, comm):
                print(f"{comm} {pid}: {_where(pid)}")
        answered = True
        for what in ("status", "events"):
            try:
                r = lab.vigil(node, what, "--json", timeout=10)
                print(f"--- vigil {what} --json (exit {r.returncode}) ---")
                print((r.stdout + r.stderr).rstrip())
                answered = answered and r.returncode == 0
            except LabError as e:
                print(f"--- vigil {what}: {e}")
                answered = False
        pid = lab.vigild_pid(node)
        if not answered and pid:
            print(f"--- vigild {pid} does not answer: its threads' stacks ---")
            print(_backtrace(pid))
        print(f"--- vigild log (last {tail} lines) ---")
        print(lab.log_tail(node, tail).rstrip())
    print(f"\n===== {lab.prefix} BMC: pid {lab.bmc_pid()}; {lab.bmc_log} "
          f"(last {tail} lines) =====")
    print(lab.bmc_log_tail(tail).rstrip())
    _summary(lab)


def _summary(lab, lines=12):
    """One block per node, printed last so that it survives when only the end of
    a long report is kept: what the node sees, and the end of its log."""
    print(f"\n===== {lab.prefix} summary =====")
    for node in lab.nodes:
        try:
            st = lab.status(node)
            seen = ", ".join(f"{n['name']}:{n['state']}" for n in st.get("nodes", []))
            what = (f"quorate={st.get('quorate')} votes={st.get('votes')} "
                    f"coordinator={st.get('coordinator')} nodes=[{seen}]")
        except Exception as e:  # noqa: BLE001 - a dead node has no status
            what = f"no status ({e})"
        print(f"--- {node}: vigild {lab.vigild_pid(node)}, corosync "
              f"{lab.daemon_pids(node, 'corosync')}: {what}")
        for line in lab.log_tail(node, lines).rstrip().splitlines():
            print(f"    {line}")


def _prefix(request):
    h = hashlib.sha1(f"{request.module.__name__}:{os.getpid()}".encode()).hexdigest()
    return "t" + h[:6]


@contextlib.contextmanager
def lab_for(request, nodes=3, fencing=False, config=None):
    """A lab for one test module, up and formed; always torn down at the end.

    config, if given, is a function of the (not yet built) Lab returning the
    vigil.yaml text to use: it may create files in lab.shared_path() first
    (fence agents, secrets) that the nodes will see.
    """
    lab = Lab(prefix=_prefix(request))
    _live_labs.append(lab)
    try:
        lab.down()  # leftovers of an interrupted run with this prefix
        path = None
        if config is not None:
            path = lab.shared_path("vigil.yaml")
            with open(path, "w") as f:
                f.write(config(lab))
        try:
            lab.up(nodes=nodes, wait=True, timeout=FORM_TIMEOUT, fencing=fencing, config=path)
        except BaseException:
            dump_lab(lab)
            raise
        yield lab
    finally:
        try:
            lab.down()
        finally:
            if lab in _live_labs:
                _live_labs.remove(lab)


@pytest.fixture(scope="module")
def lab(request):
    """The module's lab, up and formed: LAB_NODES nodes, LAB_FENCING for the lab's
    standard fencing, or LAB_CONFIG(lab) for a vigil.yaml of the module's own."""
    with lab_for(request, nodes=getattr(request.module, "LAB_NODES", 3),
                 fencing=getattr(request.module, "LAB_FENCING", False),
                 config=getattr(request.module, "LAB_CONFIG", None)) as lab:
        yield lab


@pytest.fixture(autouse=True)
def _healthy_lab(request):
    """Restores the lab before each test; prints the logs when a test fails."""
    if "lab" not in request.fixturenames:
        yield
        return
    lab = request.getfixturevalue("lab")
    try:
        lab.restore(timeout=FORM_TIMEOUT)
    except BaseException:
        dump_lab(lab)
        raise
    yield
    rep = getattr(request.node, "rep_call", None)
    setup = getattr(request.node, "rep_setup", None)
    if setup is not None and setup.failed:
        # A later fixture failed: pytest shows only the setup's output for that,
        # so the logs go straight to the terminal.
        capman = request.config.pluginmanager.getplugin("capturemanager")
        with capman.global_and_fixture_disabled():
            dump_lab(lab)
    elif rep is None or rep.failed:
        dump_lab(lab)
    try:
        lab.restore(timeout=FORM_TIMEOUT)
    except BaseException:
        dump_lab(lab)  # the lab could not be put back after the test: say why
        raise


@pytest.fixture
def poller(lab):
    """poller(name, url, **kw): a client polling url from the client namespace
    (Lab.start_poller, lab/vigil-poll; a vigilwatch.Poller). Every poller the test
    started is stopped at its end, and described in the output."""
    started = []

    def start(name, url, **kw):
        p = lab.start_poller(name, url, **kw)
        started.append(p)
        return p

    yield start
    for p in started:
        p.stop()
        print(p.describe())


@pytest.fixture
def sampler(lab):
    """sampler(addresses=..., processes=..., mounts=...): a running vigilwatch.Sampler
    of the lab (at most one copy of each thing). Stopped at the end of the test,
    its report printed."""
    started = []

    def start(**kw):
        s = lab.start_sampler(**kw)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()
        print(s.report())


@pytest.fixture
def status(lab):
    """status(node): the node's `vigil status --json`, parsed."""
    return lab.status


@pytest.fixture
def events(lab):
    """events(node): the node's `vigil events --json`, a list of dicts."""
    return lab.events
