#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""Interoperability of the Donjon ESP wrapper with an independent ESP
implementation (Scapy's scapy.layers.ipsec, crypto from python3-cryptography
/ OpenSSL), both AEADs, both directions, plus a wrong key.

Usage: interop.py ESP_PEER_BINARY WORKDIR
Prints PASS/FAIL/SKIP lines and exits 1 on any FAIL."""
import os
import subprocess
import sys

from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import IPv6
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.packet import Raw

GW, PEER = "192.0.2.1", "192.0.2.2"   # Donjon gateway, peer gateway
LAN, REMOTE = "10.1.0.5", "10.2.0.7"  # behind the gateway, behind the peer

AEADS = {
    "gcm": ("rfc4106(gcm(aes))", "AES-GCM"),
    "chacha": ("rfc7539esp(chacha20,poly1305)", "CHACHA20-POLY1305"),
}

failures = 0


def report(ok, name, why=""):
    global failures
    if ok:
        print(f"PASS esp_interop_{name}")
    else:
        failures += 1
        print(f"FAIL esp_interop_{name}: {why}")


class Peer:
    """The wrapper behind esp_peer, fed one line at a time."""

    def __init__(self, binary, config_path):
        self.p = subprocess.Popen([binary, config_path], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.ready = self.p.stdout.readline().strip()
        if not self.ready.startswith("ready"):
            raise RuntimeError("esp_peer did not start: " + self.p.stderr.read().strip())

    def ask(self, cmd, data):
        self.p.stdin.write(f"{cmd} {bytes(data).hex()}\n")
        self.p.stdin.flush()
        tag, _, rest = self.p.stdout.readline().strip().partition(" ")
        return tag, (bytes.fromhex(rest) if tag in ("esp", "inner") else rest)

    def stats(self):
        self.p.stdin.write("stats\n")
        self.p.stdin.flush()
        lines = []
        while True:
            line = self.p.stdout.readline().strip()
            if line in ("end", ""):
                return lines
            lines.append(line)

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=10)


def config(linux_name, key_out, key_in):
    # The gateway's side, in the words a Linux peer would use.
    return (
        f"ip xfrm state add src {GW} dst {PEER} proto esp spi 0x1001 reqid 1 mode tunnel "
        f"aead '{linux_name}' 0x{key_out.hex()} 128\n"
        f"ip xfrm state add src {PEER} dst {GW} proto esp spi 0x2002 reqid 2 mode tunnel "
        f"aead '{linux_name}' 0x{key_in.hex()} 128\n"
        f"ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out "
        f"tmpl src {GW} dst {PEER} proto esp reqid 1 mode tunnel\n"
        f"ip xfrm policy add src 10.2.0.0/16 dst 10.1.0.0/16 dir in "
        f"tmpl src {PEER} dst {GW} proto esp reqid 2 mode tunnel\n"
        f"ip xfrm policy add src 2001:db8:2::/48 dst 2001:db8:1::/48 dir in "
        f"tmpl src {PEER} dst {GW} proto esp reqid 2 mode tunnel\n"
    )


def inner_packets():
    yield IP(src=REMOTE, dst=LAN) / ICMP(id=7, seq=1) / Raw(b"ping" * 14)
    yield IP(src=REMOTE, dst=LAN) / TCP(sport=5201, dport=40000, flags="PA") / Raw(os.urandom(1400))
    yield IP(src=REMOTE, dst=LAN) / UDP(sport=53, dport=5353) / Raw(b"x")
    for size in range(0, 8):  # every padding length
        yield IP(src=REMOTE, dst=LAN) / UDP(sport=1, dport=2) / Raw(b"p" * size)


def run_aead(binary, workdir, short, linux_name, scapy_name):
    key_out, key_in = os.urandom(36), os.urandom(36)
    path = os.path.join(workdir, f"esp-interop-{short}.conf")
    with open(path, "w") as f:
        f.write(config(linux_name, key_out, key_in))
    peer = Peer(binary, path)
    if short == "gcm" and "aes256gcm=no" in peer.ready:
        peer.close()
        print("SKIP esp_interop_gcm: this CPU has no AES-NI (crypto_aead_aes256gcm_is_available() is 0)")
        return
    # The peer's two SAs, as Scapy sees them (ICV 16 bytes, salt = last 4 key bytes).
    to_gw = SecurityAssociation(ESP, spi=0x2002, crypt_algo=scapy_name, crypt_key=key_in,
                                tunnel_header=IP(src=PEER, dst=GW))
    from_gw = SecurityAssociation(ESP, spi=0x1001, crypt_algo=scapy_name, crypt_key=key_out,
                                  tunnel_header=IP(src=GW, dst=PEER))

    # 1. the independent implementation encrypts, the wrapper decrypts
    ok, why = True, ""
    for pkt in inner_packets():
        esp = to_gw.encrypt(pkt)
        tag, got = peer.ask("outer", bytes(esp))
        if tag != "inner" or got != bytes(pkt):
            ok, why = False, f"{pkt.summary()}: {tag} {got if tag == 'drop' else ''}"
            break
    report(ok, f"{short}_peer_to_wrapper", why)

    # IPv6 inside an IPv4 tunnel
    pkt6 = IPv6(src="2001:db8:2::7", dst="2001:db8:1::5") / UDP(sport=9, dport=9) / Raw(b"six" * 9)
    tag, got = peer.ask("outer", bytes(to_gw.encrypt(pkt6)))
    report(tag == "inner" and got == bytes(pkt6), f"{short}_peer_to_wrapper_ipv6", f"{tag} {got}")

    # 2. the wrapper encrypts, the independent implementation decrypts
    ok, why = True, ""
    for n, pkt in enumerate(inner_packets()):
        back = IP(src=LAN, dst=REMOTE) / pkt.payload.copy()
        back = IP(bytes(back))
        tag, got = peer.ask("inner", bytes(back))
        if tag != "esp":
            ok, why = False, f"wrapper dropped {back.summary()}: {got}"
            break
        outer = IP(got)
        if outer.proto != 50 or outer.src != GW or outer.dst != PEER or outer[ESP].spi != 0x1001:
            ok, why = False, f"outer header {outer.summary()}"
            break
        if outer[ESP].seq != n + 1:
            ok, why = False, f"sequence number {outer[ESP].seq}, expected {n + 1}"
            break
        try:
            plain = from_gw.decrypt(outer)
        except Exception as e:  # the ICV did not verify
            ok, why = False, f"Scapy could not decrypt: {e}"
            break
        if bytes(plain) != bytes(back):
            ok, why = False, "decrypted packet differs"
            break
    report(ok, f"{short}_wrapper_to_peer", why)

    # 3. a replayed packet from the peer is dropped
    esp = to_gw.encrypt(IP(src=REMOTE, dst=LAN) / ICMP() / Raw(b"once"))
    first = peer.ask("outer", bytes(esp))
    second = peer.ask("outer", bytes(esp))
    report(first[0] == "inner" and second == ("drop", "replay"), f"{short}_replay_dropped",
           f"{first[0]} then {second}")

    # 4. wrong key on the peer's side: nothing gets through, counted as bad_icv
    wrong = SecurityAssociation(ESP, spi=0x2002, crypt_algo=scapy_name, crypt_key=os.urandom(36),
                                tunnel_header=IP(src=PEER, dst=GW), seq_num=100000)
    results = [peer.ask("outer", bytes(wrong.encrypt(p))) for p in inner_packets()]
    stats = " ".join(peer.stats())
    report(all(r == ("drop", "bad_icv") for r in results) and "drop:bad_icv" in stats,
           f"{short}_wrong_key_dropped", f"{results[:2]} / {stats}")
    # and the wrong key does not open the wrapper's packets either
    tag, got = peer.ask("inner", bytes(IP(src=LAN, dst=REMOTE) / ICMP()))
    wrong_out = SecurityAssociation(ESP, spi=0x1001, crypt_algo=scapy_name,
                                    crypt_key=os.urandom(36), tunnel_header=IP(src=GW, dst=PEER))
    try:
        wrong_out.decrypt(IP(got))
        opened = True
    except Exception:
        opened = False
    report(tag == "esp" and not opened, f"{short}_wrong_key_cannot_decrypt", "decrypted")
    peer.close()


def main():
    binary, workdir = sys.argv[1], sys.argv[2]
    for short, (linux_name, scapy_name) in AEADS.items():
        try:
            run_aead(binary, workdir, short, linux_name, scapy_name)
        except Exception as e:  # noqa: BLE001 - one line per failure, not a traceback
            report(False, short, f"{type(e).__name__}: {e}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
