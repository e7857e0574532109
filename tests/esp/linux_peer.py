#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Interoperability of the Donjon ESP wrapper with Linux XFRM: Debian's
stock kernel (with its esp4, gcm, chacha20poly1305 modules) boots in QEMU
as the peer gateway, configured with `ip xfrm state/policy add` lines; the
wrapper (esp_peer) is the other gateway, on the far end of QEMU's UDP
socket network. Through the tunnel: ICMP echo and TCP, for each AEAD, both
directions in each exchange (Linux decrypts ours and answers encrypted);
a forged packet must raise Linux's error counter and a wrong key on the
way back must be dropped by the wrapper as bad_icv.

The wrapper's configuration is what Linux lists: the peer prints
`ip xfrm state` and `ip xfrm policy` once set up, and the wrapper loads
that listing with each policy's direction swapped (its out is our in);
only the wrong-key SA keeps our own key (Linux lists its other one).

Usage: linux_peer.py ESP_PEER BUSYBOX VMLINUZ MODULES_DIR WORKDIR
Prints PASS/FAIL lines; exits 1 on any FAIL."""
import os
import re
import shutil
import socket
import subprocess
import sys
import time

from scapy.layers.inet import ICMP, IP, TCP
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.layers.l2 import ARP, Ether
from scapy.packet import Raw

GW, PEER = "192.0.2.1", "192.0.2.2"
GW_MAC, PEER_MAC = "52:54:00:00:00:01", "52:54:00:12:34:56"
# The kernel asks modprobe for crypto templates and algorithms; there is
# none in this initramfs, so every crypto module is loaded up front.
MODULES = ["virtio_pci", "virtio_net", "esp4", "xfrm_user", "dummy"]
CRYPTO_DIRS = ["kernel/crypto", "kernel/arch/x86/crypto", "kernel/lib/crypto"]

# (short name, ip xfrm name, Scapy name, our LAN, peer LAN, SPI out, SPI in, wrong key back)
PAIRS = [
    ("gcm", "rfc4106(gcm(aes))", "AES-GCM", "10.1", "10.2", 0x1001, 0x2002, False),
    ("chacha", "rfc7539esp(chacha20,poly1305)", "CHACHA20-POLY1305", "10.11", "10.12", 0x3003, 0x4004, False),
    ("chacha_wrong_key", "rfc7539esp(chacha20,poly1305)", "CHACHA20-POLY1305", "10.21", "10.22", 0x5005, 0x6006, True),
]
failures = 0


def report(ok, name, why=""):
    global failures
    if ok:
        print(f"PASS esp_interop_linux_{name}", flush=True)
    else:
        failures += 1
        print(f"FAIL esp_interop_linux_{name}: {why}", flush=True)


def peer_lines(pairs, keys):
    """The peer's `ip xfrm` lines: our outbound SAs are its inbound ones and
    the other way round; for a wrong-key pair it encrypts back with a key
    of its own."""
    out = []
    for short, alg, _, our, peer, spi_out, spi_in, wrong in pairs:
        k_out, k_in = keys[short]
        if wrong:
            k_in = bytes(36 - len(b"x")) + b"x"
        out.append(f"ip xfrm state add src {GW} dst {PEER} proto esp spi {spi_out:#x} reqid {spi_out} "
                   f"mode tunnel aead '{alg}' 0x{k_out.hex()} 128")
        out.append(f"ip xfrm state add src {PEER} dst {GW} proto esp spi {spi_in:#x} reqid {spi_in} "
                   f"mode tunnel aead '{alg}' 0x{k_in.hex()} 128")
        out.append(f"ip xfrm policy add src {our}.0.0/16 dst {peer}.0.0/16 dir in "
                   f"tmpl src {GW} dst {PEER} proto esp reqid {spi_out} mode tunnel")
        out.append(f"ip xfrm policy add src {peer}.0.0/16 dst {our}.0.0/16 dir out "
                   f"tmpl src {PEER} dst {GW} proto esp reqid {spi_in} mode tunnel")
    return out


def module_closure(moddir, names):
    index = {}
    for root, _, files in os.walk(moddir):
        for f in files:
            if f.endswith(".ko"):
                index[f[:-3].replace("-", "_")] = os.path.join(root, f)
    order, seen = [], set()

    def visit(name):
        name = name.replace("-", "_")
        if name in seen or name not in index:
            return
        seen.add(name)
        data = open(index[name], "rb").read()
        m = re.search(rb"depends=([^\0]*)\0", data)
        for dep in (m.group(1).decode().split(",") if m and m.group(1) else []):
            visit(dep)
        order.append(index[name])

    for n in names:
        visit(n)
    for d in CRYPTO_DIRS:
        for f in sorted(os.listdir(os.path.join(moddir, d))):
            if f.endswith(".ko") and f != "tcrypt.ko":  # tcrypt only runs self-tests
                visit(f[:-3])
    return order


def copy_with_libs(binary, root):
    dest = root + binary
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copy2(binary, dest)
    for line in subprocess.run(["ldd", binary], capture_output=True, text=True).stdout.splitlines():
        for part in line.split():
            if part.startswith("/") and os.path.exists(part):
                d = root + part
                os.makedirs(os.path.dirname(d), exist_ok=True)
                shutil.copy2(part, d)


def build_initramfs(busybox, moddir, workdir, peer_lines):
    root = os.path.join(workdir, "peer-root")
    shutil.rmtree(root, ignore_errors=True)
    for d in ("bin", "proc", "sys", "mods", "tmp"):
        os.makedirs(os.path.join(root, d))
    shutil.copy2(busybox, os.path.join(root, "bin/busybox"))
    for applet in ("sh", "insmod", "mount", "sleep", "cat", "echo", "awk", "poweroff"):
        os.symlink("busybox", os.path.join(root, "bin", applet))
    copy_with_libs("/usr/sbin/ip", root)
    mods = module_closure(moddir, MODULES)
    for i, m in enumerate(mods):
        shutil.copy2(m, os.path.join(root, "mods", f"{i:03d}-{os.path.basename(m)}"))
    script = ["#!/bin/sh", "export PATH=/bin:/usr/sbin", "mount -t proc proc /proc",
              "mount -t sysfs sys /sys", "for m in /mods/*.ko; do insmod $m 2>/dev/null; done",
              "ip link set lo up", "ip link set eth0 up", f"ip addr add {PEER}/24 dev eth0",
              "ip link add lan type dummy", "ip link set lan up"]
    # iproute2's ip (busybox's has no xfrm), by its full path
    script = [re.sub(r"^ip ", "/usr/sbin/ip ", line) for line in script]
    for _, _, _, our, peer, _, _, _ in PAIRS:
        script += [f"ip addr add {peer}.0.7/16 dev lan",
                   f"ip route add {our}.0.0/16 via {GW} src {peer}.0.7"]
    script = [re.sub(r"^ip ", "/usr/sbin/ip ", line) for line in script]
    script += ["/usr/sbin/" + line + " || echo PEER SETUP FAILED: " + line.split(" aead")[0]
               for line in peer_lines]
    script += ["echo PEER LISTING BEGIN", "/usr/sbin/ip xfrm state", "/usr/sbin/ip xfrm policy",
               "echo PEER LISTING END", "echo PEER READY",
               # a plaintext ICMP timestamp request (never sent through the
               # tunnel) ends the run
               "until awk '/^Icmp:/ { if (!h) { for (i = 1; i <= NF; i++) if ($i == \"InTimestamps\") c = i; h = 1 }"
               " else exit !($c > 0) }' /proc/net/snmp; do sleep 1; done",
               "echo PEER STATS BEGIN", "cat /proc/net/xfrm_stat", "echo PEER STATS END",
               "poweroff -f"]
    with open(os.path.join(root, "init"), "w") as f:
        f.write("\n".join(script) + "\n")
    os.chmod(os.path.join(root, "init"), 0o755)
    image = os.path.join(workdir, "peer-initrd.cpio")
    files = subprocess.run(["find", "."], cwd=root, capture_output=True, text=True).stdout
    with open(image, "wb") as out:
        subprocess.run([busybox, "cpio", "-o", "-H", "newc"], cwd=root, input=files.encode(),
                       stdout=out, stderr=subprocess.DEVNULL, check=True)
    return image


class Wrapper:
    def __init__(self, binary, config):
        self.p = subprocess.Popen([binary, config], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        if not self.p.stdout.readline().startswith("ready"):
            raise RuntimeError("esp_peer: " + self.p.stderr.read())

    def ask(self, cmd, data):
        self.p.stdin.write(f"{cmd} {bytes(data).hex()}\n")
        self.p.stdin.flush()
        tag, _, rest = self.p.stdout.readline().strip().partition(" ")
        return tag, (bytes.fromhex(rest) if tag in ("esp", "inner") else rest)


class Link:
    """QEMU's -netdev socket,udp: one Ethernet frame per datagram."""

    def __init__(self, port_in, port_out):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", port_in))
        self.to = ("127.0.0.1", port_out)

    def send_ip(self, data):
        self.s.sendto(bytes(Ether(src=GW_MAC, dst=PEER_MAC) / IP(data)), self.to)

    def wait_esp(self, seconds):
        """Answers ARP for GW; returns the first IPv4 packet to GW, or None."""
        end = time.time() + seconds
        while time.time() < end:
            self.s.settimeout(max(0.1, end - time.time()))
            try:
                frame = Ether(self.s.recv(65536))
            except socket.timeout:
                return None
            if ARP in frame and frame[ARP].op == 1 and frame[ARP].pdst == GW:
                reply = Ether(src=GW_MAC, dst=frame.src) / ARP(
                    op=2, hwsrc=GW_MAC, psrc=GW, hwdst=frame.src, pdst=frame[ARP].psrc)
                self.s.sendto(bytes(reply), self.to)
            elif IP in frame and frame[IP].dst == GW:
                return bytes(frame[IP])
        return None


def exchange(link, wrapper, inner, seconds=20):
    """Our inner packet out through the tunnel; Linux's answer back in."""
    tag, esp = wrapper.ask("inner", bytes(inner))
    if tag != "esp":
        return None, f"wrapper dropped the request: {esp}"
    for attempt in range(3):
        link.send_ip(esp)
        got = link.wait_esp(seconds)
        if got is not None:
            break
    else:
        return None, "no answer from Linux"
    if IP(got).proto != 50:
        return None, f"Linux answered in the clear: {IP(got).summary()}"
    tag, back = wrapper.ask("outer", got)
    return (IP(back), "") if tag == "inner" else (None, f"wrapper dropped Linux's answer: {back}")


def main():
    binary, busybox, vmlinuz, moddir, workdir = sys.argv[1:6]
    keys = {p[0]: (os.urandom(36), os.urandom(36)) for p in PAIRS}
    initrd = build_initramfs(busybox, moddir, workdir, peer_lines(PAIRS, keys))
    port_in, port_out = 20000 + os.getpid() % 20000, 40000 + os.getpid() % 20000
    link = Link(port_in, port_out)
    serial = os.path.join(workdir, "linux-peer.log")
    if os.path.exists(serial):
        os.remove(serial)  # an old log would look like a booted peer
    qemu = subprocess.Popen(
        ["qemu-system-x86_64", "-M", "q35", "-cpu", "max", "-m", "512M", "-smp", "1",
         "-kernel", vmlinuz, "-initrd", initrd, "-append", "console=ttyS0 panic=-1 quiet",
         "-netdev", f"socket,id=n0,udp=127.0.0.1:{port_in},localaddr=127.0.0.1:{port_out}",
         "-device", f"virtio-net-pci,netdev=n0,mac={PEER_MAC}", "-display", "none",
         "-serial", f"file:{serial}", "-no-reboot"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        run(link, binary, workdir, serial, keys)
    finally:
        try:
            qemu.wait(timeout=60)
        except subprocess.TimeoutExpired:
            qemu.kill()
    sys.exit(1 if failures else 0)


def our_listing(serial_log, keys):
    """The peer's listing (between its LISTING lines) as our configuration:
    each statement as Linux printed it, policies with in and out swapped,
    the wrong-key pair's SA back to us with our own key. None if absent."""
    m = re.search(r"PEER LISTING BEGIN\n(.*?)PEER LISTING END", serial_log.replace("\r", ""), re.S)
    if not m:
        return None
    text = re.sub(r"\bdir (in|out)\b", lambda d: "dir " + ("out" if d.group(1) == "in" else "in"), m.group(1))
    for short, _, _, _, _, _, spi_in, wrong in PAIRS:
        if wrong:
            block = re.compile(r"(spi 0x%08x\b.*?\baead \S+ )0x[0-9a-f]+" % spi_in, re.S)
            text = block.sub(lambda b: b.group(1) + "0x" + keys[short][1].hex(), text, count=1)
    return text


def serial_text(serial):
    try:
        return open(serial, errors="replace").read()
    except OSError:
        return ""


def run(link, binary, workdir, serial, keys):
    end = time.time() + 240
    while "PEER READY" not in serial_text(serial) and time.time() < end:
        time.sleep(1)
    text = serial_text(serial)
    if "PEER READY" not in text:
        report(False, "boot", f"the Linux peer did not come up, log: {serial}")
        return
    if "PEER SETUP FAILED" in text:
        line = text[text.index("PEER SETUP FAILED"):].splitlines()[0]
        report(False, "setup", line)
        return
    listing = our_listing(text, keys)
    if listing is None:
        report(False, "listing", f"the peer printed no listing of its SAs and policies, log: {serial}")
        return
    conf = os.path.join(workdir, "esp-linux-listing.conf")
    with open(conf, "w") as f:
        f.write(listing)
    try:
        wrapper = Wrapper(binary, conf)
    except RuntimeError as e:
        report(False, "listing", f"Linux's listing, mirrored ({conf}), refused: {e}")
        return
    report(True, "listing")
    for short, _, scapy_name, our, peer, spi_out, spi_in, wrong in PAIRS:
        src, dst = f"{our}.0.5", f"{peer}.0.7"
        ping = IP(src=src, dst=dst, id=7) / ICMP(id=0x77, seq=1) / Raw(b"donjon-" + short.encode() * 4)
        answer, why = exchange(link, wrapper, IP(bytes(ping)))
        if wrong:
            ok = answer is None and "bad_icv" in why
            report(ok, f"{short}_dropped", why or "Linux's answer under the wrong key got through")
            continue
        ok = (answer is not None and ICMP in answer and answer[ICMP].type == 0
              and answer.src == dst and answer.dst == src and bytes(answer[Raw]) == bytes(ping[Raw]))
        report(ok, f"{short}_ping", why or f"unexpected answer {answer.summary() if answer else ''}")
        syn = IP(src=src, dst=dst) / TCP(sport=40000, dport=5201, flags="S", seq=1000)
        answer, why = exchange(link, wrapper, IP(bytes(syn)))
        ok = answer is not None and TCP in answer and answer[TCP].flags.R and answer[TCP].ack == 1001
        report(ok, f"{short}_tcp", why or f"unexpected answer {answer.summary() if answer else ''}")
    # a forgery under the first SA: Linux must drop and count it
    forger = SecurityAssociation(ESP, spi=PAIRS[0][5], crypt_algo=PAIRS[0][2],
                                 crypt_key=os.urandom(36), tunnel_header=IP(src=GW, dst=PEER),
                                 seq_num=1000)
    for _ in range(3):
        link.send_ip(bytes(forger.encrypt(IP(src="10.1.0.5", dst="10.2.0.7") / ICMP())))
    time.sleep(2)
    link.send_ip(bytes(IP(src=GW, dst=PEER) / ICMP(type=13)))
    end = time.time() + 60
    while "PEER STATS END" not in serial_text(serial) and time.time() < end:
        time.sleep(1)
    stats = serial_text(serial)
    m = re.search(r"XfrmInStateProtoError\s+(\d+)", stats)
    report(m is not None and int(m.group(1)) >= 3, "forgery_counted_by_linux",
           f"XfrmInStateProtoError {m.group(1) if m else 'missing'}")


if __name__ == "__main__":
    main()
