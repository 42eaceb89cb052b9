"""vigilnode: a lab node's PID 1, and how a command enters a node.

Python 3 standard library only (ctypes for unshare, setns, mount, prctl; Python
3.11 has no os.setns). Run by vigillab.py; not meant to be run by hand.

A lab node is four namespaces. Its network and mount namespaces are made once by
vigillab.py and pinned (they outlive power cycles, as a machine's disks and
cabling do). Its PID and UTS namespaces are made anew at every boot, so that the
node behaves like a separate machine: its processes see only each other, its
hostname is its name, and a power-off leaves nothing behind.

  boot --node nI --net NETNS_FILE --mnt MNT_FILE --pidfile PATH [--pid-base N]
      The launcher unshares a PID namespace and forks the node's init, PID 1 of
      it. The init joins the node's network and mount namespaces, makes a UTS
      namespace with hostname nI, mounts a fresh /proc over the one it finds (so
      /proc in the node shows only the node's processes), starts the node's pids
      after N (ns_last_pid: numbers of two nodes then seldom collide, as on
      machines with large pid spaces), and then only reaps: every process of the
      node whose parent dies becomes its child. The launcher stays in the root
      namespaces: it writes "HOSTPID STARTTIME" of the init to PATH once the init
      is ready, then waits for the init, reaping it at once, and exits with its
      status. Power-off is SIGKILL to the init: the kernel kills every process of
      the PID namespace, and the init's exit waits until all of them are reaped.
      So no process and no zombie of the node is left once the init is gone.

  enter --init HOSTPID:STARTTIME [--wd DIR] [--pidfile PATH] -- ARGV...
      Runs ARGV inside the node whose init that is: this process enters the
      node's PID namespace for its children only and forks; the child joins the
      UTS, network and mount namespaces, changes to DIR (else /) and execs ARGV.
      This process stays outside the node (root namespaces), forwards the usual
      signals to the child, and exits as the child did (the same code, or killed
      by the same signal), so the caller can treat it as the command itself. The
      child has PR_SET_PDEATHSIG = SIGKILL: killing this process kills it. With
      --pidfile, "HOSTPID STARTTIME" of the child is written there first. Exit
      125 (and one line on stderr) if the node is not running.

  mountinfo --mnt MNT_FILE
      Prints /proc/self/mountinfo as seen in that mount namespace, read through
      the root namespace's /proc (works whatever /proc inside shows).

  restore-proc --mnt MNT_FILE
      Detaches, in that mount namespace, every /proc mounted over the one it
      inherited from the host (those of PID namespaces that are gone), so that
      tools entering it from the root PID namespace find /proc/self again.
"""

import argparse
import ctypes
import os
import signal
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
NS_FLAGS = {"pid": CLONE_NEWPID, "uts": CLONE_NEWUTS, "net": CLONE_NEWNET, "mnt": CLONE_NEWNS}
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
MNT_DETACH = 2
PR_SET_PDEATHSIG = 1
PR_SET_NAME = 15
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1,
             signal.SIGUSR2, signal.SIGALRM, signal.SIGCONT, signal.SIGWINCH)

_libc = ctypes.CDLL(None, use_errno=True)


def _check(ret, what):
    if ret != 0:
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")


def setns(fd, kind):
    _check(_libc.setns(fd, NS_FLAGS[kind]), f"setns {kind}")


def _starttime(pid):
    """Start time (clock ticks since boot) of pid, as /proc/PID/stat says, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            data = f.read()
    except OSError:
        return None
    return int(data[data.rindex(")") + 2:].split()[19])


def _write_pidfile(path, pid):
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(f"{pid} {_starttime(pid) or 0}\n")
    os.rename(tmp, path)


def _set_name(name):
    _libc.prctl(PR_SET_NAME, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)


# ---------------------------------------------------------------- boot


def _init_setup(node, net_fd, mnt_fd, pid_base):
    """In the new PID namespace, as its PID 1: the node's namespaces and /proc."""
    setns(net_fd, "net")
    setns(mnt_fd, "mnt")
    os.chdir("/")
    _check(_libc.unshare(CLONE_NEWUTS), "unshare uts")
    name = node.encode()
    _check(_libc.sethostname(name, len(name)), "sethostname")
    _check(_libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None),
           "mount /proc")
    if pid_base:
        try:
            with open("/proc/sys/kernel/ns_last_pid", "w") as f:
                f.write(str(pid_base))
        except OSError:
            pass  # a kernel without it: pids start at 2, which works too
    _set_name("vigil-init")


def _reap_forever():
    """PID 1's only job: reap every child (orphans are reparented to it).

    SIGCHLD is blocked and waited for with sigwait, so none is missed between a
    reaping pass and the wait. Every other signal is ignored: a process in the node
    cannot end its init (SIGKILL from inside a PID namespace never reaches PID 1)."""
    for sig in signal.valid_signals():
        if sig not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGCHLD):
            try:
                signal.signal(sig, signal.SIG_IGN)
            except (OSError, ValueError):
                pass
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    while True:
        try:
            while os.waitpid(-1, os.WNOHANG)[0] != 0:
                pass
        except ChildProcessError:
            pass
        signal.sigwait({signal.SIGCHLD})


def boot(args):
    net_fd = os.open(args.net, os.O_RDONLY | os.O_CLOEXEC)
    mnt_fd = os.open(args.mnt, os.O_RDONLY | os.O_CLOEXEC)
    _check(_libc.unshare(CLONE_NEWPID), "unshare pid")
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(r)
        try:
            _init_setup(args.node, net_fd, mnt_fd, args.pid_base)
            fd = os.open("/dev/null", os.O_RDONLY)
            os.dup2(fd, 0)
            os.closerange(3, w)
            os.closerange(w + 1, 65536)
            os.write(w, b"ready\n")
            os.close(w)
        except BaseException as e:  # noqa: BLE001 - reported to the launcher
            os.write(w, f"{args.node}: init: {e}\n".encode())
            os._exit(1)
        _reap_forever()
    os.close(w)
    _set_name(f"vigil-boot {args.node}")
    msg = b""
    while chunk := os.read(r, 4096):
        msg += chunk
    if msg != b"ready\n":
        print(msg.decode(errors="replace").strip() or f"{args.node}: init died", file=sys.stderr)
        os.waitpid(child, 0)
        return 1
    _write_pidfile(args.pidfile, child)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)  # only the init's end ends the launcher
    _, status = os.waitpid(child, 0)
    return os.waitstatus_to_exitcode(status) & 0xFF


# ---------------------------------------------------------------- enter


def enter(args):
    argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
    if not argv:
        print("vigilnode enter: no command", file=sys.stderr)
        return 2
    pid, start = (int(x) for x in args.init.split(":"))
    try:
        fds = {k: os.open(f"/proc/{pid}/ns/{k}", os.O_RDONLY | os.O_CLOEXEC)
               for k in ("pid", "uts", "net", "mnt")}
        if _starttime(pid) != start:
            raise ProcessLookupError
        setns(fds["pid"], "pid")
        child = os.fork()  # ENOMEM if the PID namespace's init is gone
    except OSError:
        print(f"vigil-lab: {args.node or 'the node'} is not running (powered off)",
              file=sys.stderr)
        return 125
    if child == 0:
        try:
            for k in ("uts", "net", "mnt"):
                setns(fds[k], k)
            _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            try:
                os.chdir(args.wd)
            except OSError:
                os.chdir("/")
            os.execvp(argv[0], argv)
        except OSError as e:
            print(f"vigil-lab: {argv[0]}: {e.strerror}", file=sys.stderr)
            os._exit(127 if isinstance(e, FileNotFoundError) else 126)
    if args.pidfile:
        _write_pidfile(args.pidfile, child)

    def forward(sig, _frame):
        try:
            os.kill(child, sig)
        except ProcessLookupError:
            pass

    for sig in FORWARDED:
        signal.signal(sig, forward)
    _, status = os.waitpid(child, 0)
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig != signal.SIGKILL:
            signal.signal(sig, signal.SIG_DFL)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {sig})
        os.kill(os.getpid(), sig)
        return 128 + sig
    return os.waitstatus_to_exitcode(status)


# ---------------------------------------------------------------- mount namespace views


def mountinfo(args):
    proc = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    setns(os.open(args.mnt, os.O_RDONLY | os.O_CLOEXEC), "mnt")
    fd = os.open("self/mountinfo", os.O_RDONLY, dir_fd=proc)
    with os.fdopen(fd) as f:
        sys.stdout.write(f.read())
    return 0


def restore_proc(args):
    setns(os.open(args.mnt, os.O_RDONLY | os.O_CLOEXEC), "mnt")
    for _ in range(64):
        if os.path.exists("/proc/self"):  # the host's /proc: this process is in its pidns
            return 0
        _check(_libc.umount2(b"/proc", MNT_DETACH), "umount /proc")
    print("vigilnode restore-proc: /proc/self still missing", file=sys.stderr)
    return 1


def main(argv=None):
    ap = argparse.ArgumentParser(prog="vigilnode.py")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("boot")
    p.add_argument("--node", required=True)
    p.add_argument("--net", required=True)
    p.add_argument("--mnt", required=True)
    p.add_argument("--pidfile", required=True)
    p.add_argument("--pid-base", type=int, default=0)
    p = sub.add_parser("enter")
    p.add_argument("--init", required=True)
    p.add_argument("--node")
    p.add_argument("--wd", default="/")
    p.add_argument("--pidfile")
    p.add_argument("argv", nargs=argparse.REMAINDER)
    for name in ("mountinfo", "restore-proc"):
        sub.add_parser(name).add_argument("--mnt", required=True)
    args = ap.parse_args(argv)
    return {"boot": boot, "enter": enter, "mountinfo": mountinfo,
            "restore-proc": restore_proc}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
