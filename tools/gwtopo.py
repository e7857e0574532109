# SPDX-License-Identifier: GPL-2.0-only
"""The demo's network (docs/gateway.md, "The demo"), shared by tools/demo
and tools/bench-gateway:

  LAN host (netns gwdl, 10.1.0.2) --tap gwdl0-- gateway A --WAN-- peer B --tap gwdp0-- peer LAN host (netns gwdp, 10.2.0.2)

Gateway A is Donjon (build/donjon-gateway.iso through tools/gateway-qemu)
or the Linux reference gateway (Debian's kernel with XFRM, role gw-linux);
peer B is always Debian's kernel with XFRM (role gw-peer). The WAN is a
QEMU UDP socket link between the two QEMUs (no host interface: the host
can neither see nor inject on it), recorded as pcap on B's side by QEMU's
filter-dump. The LAN hosts are network namespaces on tap devices, with
MTU 1400 so that ESP's overhead fits in the WAN's 1500 bytes on both
gateways alike.

Needs root (namespaces and taps). Everything is torn down on exit."""
import os
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import threading
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tests", "vm"))
import qemu_guest  # noqa: E402

LAN_NS, LAN_TAP, LAN_HOST, LAN_GW = "gwdl", "gwdl0", "10.1.0.2", "10.1.0.1"
PEER_NS, PEER_TAP, PEER_HOST, PEER_GW = "gwdp", "gwdp0", "10.2.0.2", "10.2.0.1"
HOST_MTU = 1400
A_LAN_MAC, A_WAN_MAC = "52:54:00:00:01:01", "52:54:00:00:02:01"
B_WAN_MAC, B_LAN_MAC = "52:54:00:00:02:02", "52:54:00:00:03:02"
PCAP_SNAPLEN = 128


_log_lock = threading.Lock()


def exit_on_sigterm():
    """SIGTERM (timeout, kill) ends the run like Ctrl-C: the finally blocks
    stop the QEMUs and remove the namespaces and taps."""
    import signal

    def stop(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")
    signal.signal(signal.SIGTERM, stop)


def log(msg):
    with _log_lock:
        print(msg, flush=True)


def run(cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **kw)


def ns(name, *cmd):
    return ["ip", "netns", "exec", name] + list(cmd)


def free_udp_ports():
    """Two UDP ports for the WAN link (bound and released: free right now)."""
    import socket
    socks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def fresh_keys(lines):
    """The same `ip xfrm` lines with a new random key of the same length
    for every SA (both gateways get the output): a session's keys are its
    own, so no key and IV pair of an earlier run is ever used again."""
    out = []
    for line in lines:
        words = shlex.split(line)
        if words[:4] == ["ip", "xfrm", "state", "add"] and "aead" in words:
            at = words.index("aead") + 2
            if at < len(words) and words[at].startswith("0x"):
                words[at] = "0x" + secrets.token_hex((len(words[at]) - 2) // 2)
        out.append(" ".join(shlex.quote(w) for w in words))
    return out


def xfrm_lines(config, side):
    """tools/xfrm-peer's lines for a Linux gateway (side peer or local)."""
    r = run([os.path.join(REPO, "tools", "xfrm-peer"), "--side", side, config])
    return r.stdout.splitlines()


def sa_initrd(workdir, name, lines):
    """The guest initramfs with an archive holding /etc/gw.xfrm appended
    (Linux unpacks every concatenated archive): the keys are on no
    command line. The files are readable by root only."""
    guest = qemu_guest.guest_dir(os.path.join(REPO, "build"))
    conf = os.path.join(workdir, f"{name}.xfrm")
    fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    extra = os.path.join(workdir, f"{name}-sa.cpio.gz")
    subprocess.run([sys.executable, os.path.join(REPO, "l4linux-glue", "mkcpio.py"), extra],
                   input=f"file /etc/gw.xfrm {conf} 600\n", text=True, check=True)
    initrd = os.path.join(workdir, f"{name}-initrd.cpio.gz")
    with open(initrd, "wb") as out:
        for part in (os.path.join(guest, "initramfs.cpio.gz"), extra):
            with open(part, "rb") as f:
                shutil.copyfileobj(f, out)
    os.chmod(initrd, 0o600)
    return initrd


def linux_gateway_args(initrd, cmdline_name, wan_netdev, lan_netdev, lan_first, dumps=()):
    """QEMU arguments of a Linux XFRM gateway guest with two NICs (A's
    layout: LAN at slot 3, WAN at slot 4; B's: WAN at 3, LAN at 4)."""
    guest = qemu_guest.guest_dir(os.path.join(REPO, "build"))
    args = ["qemu-system-x86_64", "-M", "q35", "-cpu", "max", "-m", "384M", "-smp", "1",
            "-kernel", os.path.join(guest, "vmlinuz"), "-initrd", initrd,
            "-append", qemu_guest.cmdline(cmdline_name), "-display", "none", "-no-reboot",
            "-nodefaults"]
    lan_mac, wan_mac = (A_LAN_MAC, A_WAN_MAC) if lan_first else (B_LAN_MAC, B_WAN_MAC)
    nics = [("lan", lan_netdev, lan_mac), ("wan", wan_netdev, wan_mac)]
    if not lan_first:
        nics.reverse()
    for slot, (nid, backend, mac) in enumerate(nics, 3):
        args += ["-netdev", f"{backend},id={nid}",
                 "-device", f"virtio-net-pci,netdev={nid},mac={mac},addr={slot:#x}"]
    for i, (nid, path) in enumerate(dumps):
        args += ["-object", f"filter-dump,id=dump{i},netdev={nid},file={path},maxlen={PCAP_SNAPLEN}"]
    return args


def tap_backend(tap):
    return f"tap,ifname={tap},script=no,downscript=no,vnet_hdr=off"


class Guest:
    """A QEMU process with its serial console in a file."""

    def __init__(self, name, args, serial):
        self.name, self.serial = name, serial
        if os.path.exists(serial):
            os.remove(serial)
        self.stderr_path = serial + ".stderr"
        self.p = subprocess.Popen(args + ["-serial", f"file:{serial}"], stdout=subprocess.DEVNULL,
                                  stderr=open(self.stderr_path, "w"), start_new_session=True)

    def text(self):
        try:
            with open(self.serial, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def alive(self):
        return self.p.poll() is None

    def wait_for(self, pattern, deadline, fail_pattern=None):
        """The first match of pattern in the serial log before deadline (a
        time.time() value), or None (QEMU ended, a fail line, or time)."""
        rx = re.compile(pattern)
        bad = re.compile(fail_pattern) if fail_pattern else None
        while time.time() < deadline:
            text = self.text()
            m = rx.search(text)
            if m:
                return m
            if bad and bad.search(text):
                return None
            if not self.alive():
                return None
            time.sleep(0.5)
        return None

    def why(self):
        fails = [l for l in self.text().splitlines() if "FAIL" in l]
        if fails:
            return fails[-1].strip()
        if not self.alive():
            with open(self.stderr_path, errors="replace") as f:
                err = f.read().strip().splitlines()
            return f"QEMU ended ({self.p.returncode}): {err[-1] if err else 'no message'}"
        return f"no ready line (log {self.serial})"

    def stop(self):
        if self.alive():
            self.p.terminate()
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()


class StatusTail(threading.Thread):
    """Prints the status lines of the gateways' serial logs as they come:
    the Linux gateways' GUEST-XFRM-* lines, and Donjon's esp wrapper
    status lines (and its VMs' GUEST-* lines)."""
    PATTERN = re.compile(r"GUEST-XFRM-|GUEST-GW|^esp[: ]|\besp: |status|GUEST-")

    def __init__(self, guests, every=1.0):
        super().__init__(daemon=True)
        self.guests, self.every, self.stopped = guests, every, threading.Event()
        self.offsets = {g.name: 0 for g in guests}
        self.enabled = True

    def run(self):
        while not self.stopped.wait(self.every):
            for g in self.guests:
                text = g.text()
                new, self.offsets[g.name] = text[self.offsets[g.name]:], len(text)
                if not self.enabled:
                    continue
                for line in new.splitlines():
                    if self.PATTERN.search(line) and not line.startswith("PCAP "):
                        log(f"  [{g.name}] {line.strip()}")

    def stop(self):
        self.stopped.set()


class Topology:
    """The namespaces and taps; gateways are added by the caller."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.guests = []

    def __enter__(self):
        self.teardown()
        for tap in (LAN_TAP, PEER_TAP):
            run(["ip", "tuntap", "add", "dev", tap, "mode", "tap"])
            run(["ip", "link", "set", tap, "up"])
        for name in (LAN_NS, PEER_NS):
            run(["ip", "netns", "add", name])
            run(ns(name, "ip", "link", "set", "lo", "up"))
            # IPv4 only, as on the gateways: no IPv6 chatter in the captures
            for scope in ("all", "default"):
                run(ns(name, "sysctl", "-qw", f"net.ipv6.conf.{scope}.disable_ipv6=1"))
        return self

    def teardown(self):
        for g in self.guests:
            g.stop()
        for name in (LAN_NS, PEER_NS):
            run(["ip", "netns", "del", name], check=False)
        for tap in (LAN_TAP, PEER_TAP):
            run(["ip", "link", "del", tap], check=False)

    def __exit__(self, *exc):
        self.teardown()

    def start(self, name, args):
        g = Guest(name, args, os.path.join(self.workdir, f"{name}.serial"))
        self.guests.append(g)
        return g

    def attach_hosts(self, deadline):
        """Once QEMU holds each tap (its state leaves "down"), moves the tap
        into its namespace (QEMU keeps its file) and configures the host."""
        for tap, name, addr, gw, remote in ((LAN_TAP, LAN_NS, LAN_HOST, LAN_GW, "10.2.0.0/16"),
                                            (PEER_TAP, PEER_NS, PEER_HOST, PEER_GW, "10.1.0.0/16")):
            while True:
                with open(f"/sys/class/net/{tap}/operstate") as f:
                    if f.read().strip() != "down":
                        break
                if time.time() > deadline:
                    raise RuntimeError(f"no QEMU attached to tap {tap}")
                time.sleep(0.2)
            run(["ip", "link", "set", tap, "netns", name])
            run(ns(name, "ip", "link", "set", tap, "mtu", str(HOST_MTU), "up"))
            run(ns(name, "ip", "addr", "add", f"{addr}/24", "dev", tap))
            run(ns(name, "ip", "route", "add", remote, "via", gw))

    def start_peer(self, lines, pcap_dir, wan_ports):
        initrd = sa_initrd(self.workdir, "peer-b", lines)
        local, remote = wan_ports
        wan = f"socket,udp=127.0.0.1:{remote},localaddr=127.0.0.1:{local}"
        dumps = [("wan", os.path.join(pcap_dir, "wan.pcap")),
                 ("lan", os.path.join(pcap_dir, "peer-lan.pcap"))]
        return self.start("peer-b", linux_gateway_args(initrd, "gw-peer", wan, tap_backend(PEER_TAP),
                                                       lan_first=False, dumps=dumps))

    def start_linux_a(self, lines, wan_ports):
        initrd = sa_initrd(self.workdir, "linux-a", lines)
        local, remote = wan_ports
        wan = f"socket,udp=127.0.0.1:{remote},localaddr=127.0.0.1:{local}"
        return self.start("linux-a", linux_gateway_args(initrd, "gw-linux", wan, tap_backend(LAN_TAP),
                                                        lan_first=True))

    def start_donjon_a(self, iso, wan_ports, cpus=None):
        """Donjon's gateway ISO through tools/gateway-qemu (its NIC layout:
        LAN 00:03.0, WAN 00:04.0), the serial console to this guest's log;
        cpus: emulated CPUs (None: gateway-qemu's default)."""
        local, remote = wan_ports
        wan = f"socket,udp=127.0.0.1:{remote},localaddr=127.0.0.1:{local}"
        args = [os.path.join(REPO, "tools", "gateway-qemu"), "--iso", iso,
                "--lan", tap_backend(LAN_TAP), "--wan", wan]
        if cpus:
            args += ["--cpus", str(cpus)]
        args += ["--"]
        return self.start("donjon-a", args)


def ping(count, interval, payload_hex=None, size=56, timeout=None, wait=2):
    """ping from the LAN host to the peer LAN host: (transmitted, received,
    avg rtt ms or None, output); wait: seconds for the last answer."""
    cmd = ["ping", "-c", str(count), "-i", str(interval), "-s", str(size), "-W", str(wait)]
    if payload_hex:
        cmd += ["-p", payload_hex]
    limit = timeout or (count * interval + wait + 10)
    try:
        r = run(ns(LAN_NS, *cmd, PEER_HOST), check=False, timeout=limit)
        out = r.stdout
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") if isinstance(e.stdout, bytes) else (e.stdout or "")
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    rtt = re.search(r"= [\d.]+/([\d.]+)/", out)
    return (int(m.group(1)) if m else 0, int(m.group(2)) if m else 0,
            float(rtt.group(1)) if rtt else None, out)


def wait_tunnel(deadline, wait=2):
    """Pings until one answer comes back through the tunnel (each echo
    waits up to wait seconds for its answer)."""
    while time.time() < deadline:
        _, received, _, _ = ping(1, 1, wait=wait)
        if received:
            return True
    return False


def iperf(seconds, on_line=None, grace=30):
    """iperf3 TCP LAN host -> peer LAN host: (receiver Mbit/s or None, why);
    the client is given grace seconds beyond its time to report."""
    server = subprocess.Popen(ns(PEER_NS, "iperf3", "-s", "-1", "-B", PEER_HOST),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(1)
        client = subprocess.Popen(ns(LAN_NS, "iperf3", "-c", PEER_HOST, "-t", str(seconds), "-f", "m",
                                     "--forceflush", "--connect-timeout", "5000"),
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        lines = []
        # a stalled tunnel must not hang the run: the client is killed then
        watchdog = threading.Timer(seconds + grace, client.kill)
        watchdog.start()
        try:
            for line in client.stdout:
                lines.append(line)
                if on_line:
                    on_line(line.rstrip())
            client.wait()
        finally:
            watchdog.cancel()
        if client.returncode < 0:
            return None, f"iperf3 did not end within {seconds + grace} s"
        for line in lines:
            if line.rstrip().endswith("receiver"):
                m = re.search(r"([\d.]+) Mbits/sec", line)
                if m:
                    return float(m.group(1)), ""
        return None, (lines[-1].strip() if lines else "no output")
    finally:
        if server.poll() is None:
            server.kill()
        server.wait()


def tcp_marker(marker, port=7777, wait=3):
    """Sends marker once in a TCP stream LAN host -> peer LAN host (busybox
    nc, idle for at most wait seconds); True when the peer LAN host received it."""
    server = subprocess.Popen(ns(PEER_NS, "busybox", "nc", "-l", "-p", str(port)),
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              start_new_session=True)
    try:
        time.sleep(0.5)
        run(ns(LAN_NS, "busybox", "nc", "-w", str(wait), PEER_HOST, str(port)), check=False,
            input=marker + "\n", timeout=wait + 20)
        try:
            out, _ = server.communicate(timeout=wait + 10)
        except subprocess.TimeoutExpired:
            return False
        return marker in out
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def session_lines(config, donjon):
    """(peer B's lines, Linux gateway A's lines) from the configuration;
    with Linux on both ends, fresh keys for this session."""
    peer_lines = xfrm_lines(config, "peer")
    local_lines = xfrm_lines(config, "local")
    if not donjon:
        fresh = fresh_keys([l for l in local_lines if l.startswith("ip xfrm state")])
        peer_lines = fresh + [l for l in peer_lines if not l.startswith("ip xfrm state")]
        local_lines = fresh + [l for l in local_lines if not l.startswith("ip xfrm state")]
    return peer_lines, local_lines


def boot(topo, config, iso, pcap_dir, boot_limit=420, tunnel_limit=120, donjon_cpus=None):
    """Boots peer B and gateway A (Donjon when iso, else Linux), attaches
    the LAN hosts and waits for the first ping through the tunnel. Returns
    (gateway A, peer B); raises RuntimeError saying what did not come up."""
    peer_lines, local_lines = session_lines(config, iso is not None)
    port_a, port_b = free_udp_ports()
    peer = topo.start_peer(peer_lines, pcap_dir, (port_b, port_a))
    gw = topo.start_donjon_a(iso, (port_a, port_b), donjon_cpus) if iso else topo.start_linux_a(local_lines, (port_a, port_b))
    deadline = time.time() + boot_limit
    topo.attach_hosts(time.time() + 60)
    for g in ([peer] if iso else [peer, gw]):
        if not g.wait_for(r"GUEST-GW-READY", deadline, r"GUEST-GW-FAIL|GUEST-MODULE-FAIL"):
            raise RuntimeError(f"{g.name} did not come up: {g.why()}")
    if not wait_tunnel(min(deadline, time.time() + tunnel_limit) if not iso else deadline, wait=5 if iso else 2):
        raise RuntimeError(f"no ping answer through the tunnel ({gw.name}: {gw.why()})")
    return gw, peer
