"""vigil-lab, shared disks: files in the lab's shared directory on loop devices
that every node sees, formatted, recorded in disks.json, detached by down().

Part of vigillab: LabDisk is one of the parts of Lab. Python 3 standard library only.
"""

import json
import os
import re

from labbase import LabBase, LabError, run

DISK_NAME = re.compile(r"[a-z][a-z0-9]{0,15}")


class LabDisk(LabBase):
    """Shared disks: see Lab."""


    def _disks_file(self):
        return os.path.join(self.state, "disks.json")

    def _disk_dir(self):
        return os.path.join(self.shared_dir, "disks")

    def disks(self):
        """{name: {"dev": "/dev/loopN", "file": IMAGE}} of the lab's shared disks."""
        try:
            with open(self._disks_file()) as f:
                return json.load(f)
        except (OSError, ValueError):
            return {}

    def disk(self, name="disk"):
        """The device of the lab's shared disk `name`."""
        d = self.disks().get(name)
        if not d:
            raise LabError(f"lab {self.prefix} has no disk {name!r}")
        return d["dev"]

    def create_disk(self, name="disk", size_mb=64, fstype="ext4"):
        """Creates a shared disk: a file of size_mb MiB in the lab's shared
        directory, attached to a free loop device (losetup --find) and formatted
        (mkfs.FSTYPE -q). Every node sees the device (they share /dev). Recorded in
        STATE/disks.json; down() detaches it (even after a failure: it also
        detaches any loop device backed by a file in the lab's disk directory).
        Returns the device path. An existing disk of that name is returned as it is."""
        if not DISK_NAME.fullmatch(name):
            raise LabError(f"bad disk name {name!r}: want {DISK_NAME.pattern}")
        if not 1 <= size_mb <= 1024:
            raise LabError("disk size must be 1..1024 MiB")
        have = self.disks().get(name)
        if have and self._loop_backing(have["dev"]) == have["file"]:
            return have["dev"]
        os.makedirs(self.state, exist_ok=True)
        os.makedirs(self._disk_dir(), mode=0o755, exist_ok=True)
        image = os.path.join(self._disk_dir(), f"{name}.img")
        with open(image, "wb") as f:
            f.truncate(size_mb << 20)
        dev = run(["losetup", "--find", "--show", image]).stdout.strip()
        disks = self.disks()
        disks[name] = {"dev": dev, "file": image}
        self._write(self._disks_file(), json.dumps(disks), 0o644)
        run([f"mkfs.{fstype}", "-q", dev], timeout=120)
        return dev

    def fsck_disk(self, name="disk"):
        """fsck.ext4 -n -f of the disk (read-only check); the CompletedProcess."""
        return run(["fsck.ext4", "-n", "-f", self.disk(name)], check=False, timeout=120)

    @staticmethod
    def _loop_backing(dev):
        """The backing file of a loop device (/dev/loopN), or None."""
        try:
            with open(f"/sys/block/{os.path.basename(dev)}/loop/backing_file") as f:
                return f.read().strip()
        except OSError:
            return None

    def _lab_loop_devices(self):
        """Loop devices backed by a file in this lab's disk directory."""
        prefix = os.path.realpath(self._disk_dir()) + "/"
        out = []
        try:
            entries = os.listdir("/sys/block")
        except OSError:
            return out
        for entry in sorted(entries):
            if entry.startswith("loop"):
                backing = self._loop_backing(f"/dev/{entry}")
                if backing and backing.startswith(prefix):
                    out.append(f"/dev/{entry}")
        return out

    def detach_disks(self):
        """Detaches (losetup -d) every loop device of the lab; returns the problems."""
        problems = []
        for dev in self._lab_loop_devices():
            p = run(["losetup", "-d", dev], check=False)
            if p.returncode != 0:
                problems.append(f"losetup -d {dev}: {p.stderr.strip()}")
        try:
            os.unlink(self._disks_file())
        except FileNotFoundError:
            pass
        return problems
