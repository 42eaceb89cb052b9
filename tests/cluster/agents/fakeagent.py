"""Shared code of the fake fence agents in this directory (for tests of vigild's
fencing). Python 3 standard library only; the agents are run by vigild inside a
lab node, so every path they use must be outside the node's private directories
(/run, /dev/shm, /var/lib/corosync, /var/lib/vigil, /etc/vigil): use the lab's
shared directory, Lab.shared_path(NAME), for log=.

Every agent reads the fence-agents key=value lines on stdin until EOF and, if
one of them is log=PATH, appends one JSON object (one line) to PATH:

  {"agent": "fence_record", "time": 1700000000.123 (wall clock), "argv": [...],
   "params": {key: value, ...} (the last of duplicate keys wins),
   "lines": [every stdin line as received, newline stripped],
   "pid": ..., "ppid": ..., "pgid": ..., "sid": ..., "uid": ...,
   "netns": "net:[INODE]" (compare with Lab.netns_id(node)), "cwd": ...}

Read them with read_records(PATH).
"""

import json
import os
import signal
import sys
import time

STDIN_TIMEOUT = 60  # seconds; a caller that never closes stdin does not hang us forever


def read_input():
    """(lines, params) of the fence-agents input on stdin (nothing if stdin is a tty)."""
    if sys.stdin is None or sys.stdin.isatty():
        return [], {}

    def on_alarm(signum, frame):
        raise TimeoutError("stdin not closed")

    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.alarm(STDIN_TIMEOUT)
    try:
        text = sys.stdin.buffer.read().decode("utf-8", "surrogateescape")
    except TimeoutError:
        print(f"{os.path.basename(sys.argv[0])}: stdin still open after {STDIN_TIMEOUT}s",
              file=sys.stderr)
        sys.exit(1)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
    lines = text.splitlines()
    params = {}
    for line in lines:
        s = line.strip()
        if s and not s.startswith("#") and "=" in s:
            k, v = s.split("=", 1)
            params[k.strip()] = v.strip()
    return lines, params


def record(name, lines, params, required=False):
    """Appends this call's record to params["log"], if given. Returns False (after a
    message on stderr) if it could not; with required, a missing log= is an error."""
    path = params.get("log")
    if not path:
        if required:
            print(f"{name}: no log= parameter (where to record calls)", file=sys.stderr)
            return False
        return True
    try:
        netns = os.readlink("/proc/self/ns/net")
    except OSError:
        netns = None
    rec = {"agent": name, "time": time.time(), "argv": sys.argv, "params": params,
           "lines": lines, "pid": os.getpid(), "ppid": os.getppid(), "pgid": os.getpgrp(),
           "sid": os.getsid(0), "uid": os.getuid(), "netns": netns, "cwd": os.getcwd()}
    data = (json.dumps(rec, ensure_ascii=True) + "\n").encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            os.write(fd, data)  # one write with O_APPEND: records never interleave
        finally:
            os.close(fd)
    except OSError as e:
        print(f"{name}: cannot record to {path}: {e.strerror}", file=sys.stderr)
        return False
    return True


def read_records(path):
    """The records in a log= file, oldest first ([] if there is none yet)."""
    try:
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []
