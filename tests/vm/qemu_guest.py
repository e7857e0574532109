# SPDX-License-Identifier: GPL-2.0-only
"""Runs QEMU with its first serial port on a pipe, so a test can wait for
lines on the console and type into it, and optionally with a QMP socket.
Used by tests/vm/linux-guest (the Linux guest test driver) and
tools/bench-vm (linux_boot and vm_net_tcp). Works the same for a Linux
kernel booted directly by QEMU and for a Donjon ISO that runs the guest:
both print the guest's console on the first serial port.
"""
import json
import os
import re
import shlex
import socket
import subprocess
import threading
import time

REPO = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")

# docs/benchmarks.md's -icount setup: the guest's TSC and QEMU's
# instruction counter count executed instructions, the same on every run.
ICOUNT_ARGS = ["-cpu", "max,-rdrand,-rdseed", "-icount", "shift=0,sleep=off",
               "-rtc", "base=2024-01-01T00:00:00,clock=vm"]

# The boot mark (l4linux-glue/init, boot_mark=PORT): the guest's /init
# writes 1 to this port first thing. On it sits QEMU's ISA pvpanic device,
# whose "panicked" bit pauses the machine (-action panic=pause), so the
# instruction counter can be read over QMP at exactly that point.
BOOT_MARK_PORT = 0x505
BOOT_MARK_ARGS = ["-device", f"pvpanic,ioport={BOOT_MARK_PORT}", "-action", "panic=pause"]


def guest_dir(build="build"):
    return os.path.join(REPO, build, "guest") if not os.path.isabs(build) else os.path.join(build, "guest")


def cmdline(name, _seen=()):
    """A kernel command line from l4linux-glue/cmdlines ("NAME words...";
    a word @OTHER stands for the words of line OTHER)."""
    if name in _seen:
        raise ValueError(f"l4linux-glue/cmdlines: '{name}' refers to itself")
    with open(os.path.join(REPO, "l4linux-glue", "cmdlines")) as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if len(words) >= 2 and words[0] == name:
                return " ".join(cmdline(w[1:], _seen + (name,)) if w.startswith("@") else w
                                for w in words[1:])
    raise KeyError(f"no command line '{name}' in l4linux-glue/cmdlines")


def bare_linux_args(guest, append, cpus=1, mem_mb=512):
    """QEMU arguments that boot the guest images directly (QEMU's own
    linuxboot option ROM, no other firmware work)."""
    return ["-M", "q35", "-m", f"{mem_mb}M", "-smp", str(cpus),
            "-kernel", os.path.join(guest, "vmlinuz"),
            "-initrd", os.path.join(guest, "initramfs.cpio.gz"),
            "-append", append]


class Qemu:
    """One QEMU process. The serial console is read by a thread into a
    buffer (and a log file); expect() searches it from a cursor on."""

    def __init__(self, args, log_path, qmp=False, netns=None):
        self.log = open(log_path, "wb")
        self.buf = ""
        self.cursor = 0
        self.lock = threading.Condition()
        self.qmp_path = None
        self.qmp_file = None
        cmd = [QEMU, "-display", "none", "-no-reboot", "-monitor", "none",
               "-chardev", "stdio,id=console0,signal=off", "-serial", "chardev:console0"]
        if qmp:
            self.qmp_path = f"{log_path}.qmp"
            if os.path.exists(self.qmp_path):
                os.unlink(self.qmp_path)
            cmd += ["-qmp", f"unix:{self.qmp_path},server=on,wait=off"]
        cmd += args
        if netns:
            cmd = ["ip", "netns", "exec", netns] + cmd
        self.log.write(("# " + shlex.join(cmd) + "\n").encode())
        self.log.flush()
        self.stderr = open(f"{log_path}.stderr", "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.stderr, start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            data = self.proc.stdout.read1(4096)
            if not data:
                break
            self.log.write(data)
            self.log.flush()
            with self.lock:
                self.buf += data.decode("utf-8", "replace").replace("\r", "")
                self.lock.notify_all()
        with self.lock:
            self.lock.notify_all()

    def expect(self, pattern, deadline, partial=False):
        """Waits until PATTERN (a regex, multi-line) appears after the cursor
        in complete lines (or also in the line being printed, with PARTIAL:
        for prompts); moves the cursor past it. Returns the match, or None
        at the deadline or when QEMU has ended without printing it."""
        regex = re.compile(pattern, re.M)
        with self.lock:
            while True:
                end = len(self.buf) if partial else self.buf.rfind("\n") + 1
                m = regex.search(self.buf, self.cursor, max(end, self.cursor))
                if m:
                    self.cursor = m.end()
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    return None
                self.lock.wait(min(left, 0.5))

    def send(self, text, char_delay=0.0):
        """Types TEXT on the console (a delay between characters for
        consoles without flow control)."""
        try:
            if char_delay <= 0:
                self.proc.stdin.write(text.encode())
                self.proc.stdin.flush()
                return
            for ch in text:
                self.proc.stdin.write(ch.encode())
                self.proc.stdin.flush()
                time.sleep(char_delay)
        except BrokenPipeError:
            pass

    def wait_exit(self, deadline):
        """QEMU's exit status, or None if it still runs at the deadline."""
        try:
            return self.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            return None

    def stderr_tail(self, lines=2):
        """QEMU's last error lines (its own messages, not the console)."""
        self.stderr.flush()
        try:
            with open(self.stderr.name, errors="replace") as f:
                return [l.strip() for l in f.read().strip().split("\n")[-lines:] if l.strip()]
        except OSError:
            return []

    def tail(self, lines=8):
        with self.lock:
            return self.buf.rstrip("\n").split("\n")[-lines:]

    # QMP (started with qmp=True).
    def qmp_connect(self, deadline):
        while not os.path.exists(self.qmp_path):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("QEMU's QMP socket did not appear")
            time.sleep(0.05)
        sock = socket.socket(socket.AF_UNIX)
        sock.connect(self.qmp_path)
        sock.settimeout(max(1.0, deadline - time.monotonic()))
        self.qmp_file = sock.makefile("rw")
        json.loads(self.qmp_file.readline())  # the greeting
        self.qmp("qmp_capabilities")

    def qmp_message(self):
        line = self.qmp_file.readline()
        if not line:
            raise RuntimeError("QEMU closed the QMP socket")
        return json.loads(line)

    def qmp(self, command, **arguments):
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        self.qmp_file.write(json.dumps(msg) + "\n")
        self.qmp_file.flush()
        while True:
            reply = self.qmp_message()
            if "return" in reply:
                return reply["return"]
            if "error" in reply:
                raise RuntimeError(f"QMP {command}: {reply['error']}")

    def qmp_wait_event(self, names):
        while True:
            msg = self.qmp_message()
            if msg.get("event") in names:
                return msg

    def kill(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 9)
            except ProcessLookupError:
                pass
            self.proc.wait()
        self.reader.join(timeout=2)
        self.log.close()
        self.stderr.close()
        if self.qmp_path and os.path.exists(self.qmp_path):
            os.unlink(self.qmp_path)


def boot_instructions(qemu_args, log_path, timeout):
    """Instructions QEMU executed from power-on to the guest's boot mark
    (its /init, booted with boot_mark=0x505): runs QEMU under -icount with
    the pvpanic device on the mark's port and reads QEMU's instruction
    counter (QMP query-replay: icount, the instructions executed, without
    the clock warps of idle time) once the mark has paused the machine.
    Returns (instructions, seconds) or raises RuntimeError."""
    deadline = time.monotonic() + timeout
    start = time.monotonic()
    q = Qemu(ICOUNT_ARGS + BOOT_MARK_ARGS + qemu_args, log_path, qmp=True)
    try:
        q.qmp_connect(deadline)
        done = {}

        def wait_mark():
            try:
                done["event"] = q.qmp_wait_event(("GUEST_PANICKED", "SHUTDOWN"))
            except (RuntimeError, OSError, ValueError) as e:
                done["error"] = str(e)
        waiter = threading.Thread(target=wait_mark, daemon=True)
        waiter.start()
        waiter.join(max(0.0, deadline - time.monotonic()))
        if waiter.is_alive():
            raise RuntimeError(f"no boot mark within {timeout}s (log: {log_path})")
        if "error" in done:
            raise RuntimeError(f"{done['error']} before the boot mark (log: {log_path})")
        if done["event"]["event"] != "GUEST_PANICKED":
            raise RuntimeError(f"the guest shut down before the boot mark (log: {log_path})")
        count = q.qmp("query-replay")["icount"]
        seconds = time.monotonic() - start
        q.qmp("quit")
        return count, seconds
    finally:
        q.kill()


class NetNamespace:
    """A network namespace of its own with a tap device (HOST_ADDR on it)
    for a guest's NIC: QEMU runs inside it (Qemu(..., netns=ns.name)),
    so the guest's traffic never leaves it. Needs root."""
    HOST_ADDR = "10.0.77.1/24"  # net_peer of l4linux-glue/cmdlines
    TAP = "djtap0"

    def __init__(self, prefix="djvm"):
        self.name = f"{prefix}{os.getpid()}"
        self.procs = []

    def ip(self, *args):
        subprocess.run(["ip", "netns", "exec", self.name, "ip"] + list(args), check=True,
                       stdout=subprocess.DEVNULL)

    def __enter__(self):
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        try:
            self.ip("link", "set", "lo", "up")
            self.ip("tuntap", "add", "dev", self.TAP, "mode", "tap")
            self.ip("addr", "add", self.HOST_ADDR, "dev", self.TAP)
            self.ip("link", "set", self.TAP, "up")
        except subprocess.CalledProcessError:
            self.__exit__(None, None, None)
            raise
        return self

    def tap_args(self, model="virtio-net-pci"):
        """QEMU arguments for a NIC of MODEL on the namespace's tap."""
        return ["-netdev", f"tap,id=net0,ifname={self.TAP},script=no,downscript=no",
                "-device", f"{model},netdev=net0"]

    def start(self, cmd, log_path):
        """Starts CMD inside the namespace in the background."""
        out = open(log_path, "wb")
        p = subprocess.Popen(["ip", "netns", "exec", self.name] + cmd, stdout=out,
                             stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.procs.append((p, out))
        return p

    def __exit__(self, *exc):
        for p, out in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()
            out.close()
        subprocess.run(["ip", "netns", "del", self.name], stderr=subprocess.DEVNULL)


def net_tcp_mbits(qemu_args, ns, log_path, timeout):
    """Runs a guest booted with the net-tcp command line (role=iperf-client)
    in namespace NS against an iperf3 server there; returns its receiver
    Mbit/s or raises RuntimeError."""
    deadline = time.monotonic() + timeout
    host = ns.HOST_ADDR.split("/")[0]
    ns.start(["iperf3", "-s", "-1", "-B", host], f"{log_path}.iperf3-server")
    q = Qemu(qemu_args, log_path, netns=ns.name)
    try:
        m = q.expect(r"^GUEST-(IPERF mbits=([0-9.]+)(?: bytes=[0-9]*)?|IPERF-FAIL.*|NET-FAIL.*|POWEROFF)$", deadline)
        if not m:
            raise RuntimeError(f"no iperf3 result within {timeout}s (log: {log_path})")
        if not m.group(2):
            raise RuntimeError(f"the guest says '{m.group(0)}' (log: {log_path})")
        return float(m.group(2))
    finally:
        q.kill()


# A Linux guest test's end before the line it waited for: no use waiting
# for more (GuestSteps).
GUEST_FAIL = r"^GUEST-(NET-FAIL|ROLE-FAIL|ARG-FAIL|MODULE-FAIL).*|vmm: VM (stopped|not started).*|init: linux killed.*"


class GuestSteps:
    """A test's steps through a Linux guest's console: expect() the next
    line, unless the guest failed before it (GUEST_FAIL: why in .gone, and
    every later step fails at once); fail() prints a FAIL line and
    remembers it."""
    def __init__(self, q, deadline, log):
        self.q, self.deadline, self.log = q, deadline, log
        self.failed = False
        self.gone = None  # why the guest cannot go on
        self.reported = set()

    def expect(self, pattern, bad=GUEST_FAIL):
        """The match of PATTERN, or None when a line of BAD came first."""
        if self.gone:
            return None
        m = self.q.expect(rf"(?P<want>{pattern})|(?P<bad>{bad})", self.deadline)
        if m is None:
            self.gone = f"no such line within the time limit (last: '{(self.q.tail(1) or [''])[0][:100]}')"
        elif m.group("bad"):
            self.gone = f"'{m.group(0)[:120]}'"
            return None
        return re.match(pattern, m.group("want"))  # the groups of PATTERN

    def ok(self, name):
        print(f"PASS {name}")
        self.reported.add(name)

    def fail(self, name, why):
        print(f"FAIL {name}: {why} (log: {self.log})")
        self.reported.add(name)
        self.failed = True

    def not_reached(self, names):
        """A FAIL line for each of NAMES without a line yet."""
        for name in names:
            if name not in self.reported:
                self.fail(name, "not reached: an earlier step failed")
