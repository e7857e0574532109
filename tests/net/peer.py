#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-only
"""The Linux end of the NIC tests (tests/net/run), run inside a NIC's
network namespace:

  peer.py stats IP TAP
      Asks netself at IP for its counters (UDP "stats" to its stats port)
      and prints them on one line as key=value words, with the tap
      device's own counters (tap_tx, tap_rx, tap_tx_dropped: frames Linux
      handed to QEMU, got from QEMU, dropped before QEMU read them).

  peer.py burst IP MAC TAP FRAME_BYTES COUNT
      Sends COUNT ICMP echo requests of exactly FRAME_BYTES bytes
      (60..1514, without the FCS) to IP/MAC through a raw socket on TAP,
      as fast as the socket takes them, then counts the echo replies that
      come back within a few seconds. Prints sent= send_errors= replies=
      bad_replies=.

  peer.py hostile IP MAC TAP
      Sends one frame of each kind netself must ignore (bad checksums,
      bad lengths, a fragment, IPv6, ...) and one valid echo request with
      IP options (which it must answer), all at least 60 bytes so no NIC
      pads them differently. Prints the counter growth netself should
      show as key=value words (ign_<reason>=1 ..., echo=1) and, after
      replies=, how many echo replies came back.

Exit status 0 on success, 1 with a reason on stderr."""
import random
import socket
import struct
import sys
import time

STATS_PORT = 7007          # tests/components/netself/responder.h NETSELF_STATS_PORT
STATS_TRIES = 3
STATS_TIMEOUT_S = 5.0
ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_HEADER = 14
IP_HEADER = 20
ICMP_HEADER = 8
UDP_HEADER = 8
FRAME_MIN = 60
FRAME_MAX = 1514
REPLY_WAIT_S = 5.0
REPLY_QUIET_S = 1.0        # stop waiting once no reply came for this long


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tap_counters(tap):
    base = "/sys/class/net/%s/statistics/" % tap
    out = {}
    for key, name in (("tap_tx", "tx_packets"), ("tap_rx", "rx_packets"), ("tap_tx_dropped", "tx_dropped")):
        with open(base + name) as f:
            out[key] = int(f.read())
    return out


def parse_report(text):
    """netself's report: lines 'counts k=v ...' and 'nic k=v ...'."""
    values = {}
    for line in text.splitlines():
        words = line.split()
        if not words or words[0] not in ("counts", "nic"):
            continue
        for w in words[1:]:
            k, sep, v = w.partition("=")
            if sep and v.isdigit():
                values[k] = int(v)
    if "rx" not in values:
        raise ValueError("no counts line in the reply: %r" % text[:200])
    return values


def cmd_stats(ip, tap):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(STATS_TIMEOUT_S)
    sock.bind(("0.0.0.0", 0))
    last_error = "no reply"
    for _ in range(STATS_TRIES):
        sock.sendto(b"stats", (ip, STATS_PORT))
        try:
            data, addr = sock.recvfrom(4096)
        except socket.timeout:
            last_error = "no reply within %.0f s" % STATS_TIMEOUT_S
            continue
        if addr[0] != ip or addr[1] != STATS_PORT:
            last_error = "reply from %s:%d" % addr
            continue
        values = parse_report(data.decode("ascii", "replace"))
        values.update(tap_counters(tap))
        print(" ".join("%s=%d" % kv for kv in sorted(values.items())))
        return 0
    print("peer: stats from %s: %s" % (ip, last_error), file=sys.stderr)
    return 1


def mac_bytes(text):
    parts = text.split(":")
    if len(parts) != 6:
        raise ValueError("bad MAC address %r" % text)
    return bytes(int(p, 16) for p in parts)


def tap_mac(tap):
    with open("/sys/class/net/%s/address" % tap) as f:
        return mac_bytes(f.read().strip())


def source_address(ip):
    """The address Linux itself would use towards ip (packed)."""
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    probe.connect((ip, 9))
    src = socket.inet_aton(probe.getsockname()[0])
    probe.close()
    return src


def echo_frame(dst_mac, src_mac, src_ip, dst_ip, ident, seq, frame_bytes):
    payload_len = frame_bytes - ETH_HEADER - IP_HEADER - ICMP_HEADER
    payload = bytes((i * 7 + seq) & 0xFF for i in range(payload_len))
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq & 0xFFFF) + payload
    icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
    total = IP_HEADER + len(icmp)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, total, seq & 0xFFFF, 0, 64, 1, 0, src_ip, dst_ip)
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    return dst_mac + src_mac + struct.pack("!H", ETH_P_IP) + ip + icmp


def is_echo_reply(frame, ident, our_mac):
    if len(frame) < ETH_HEADER + IP_HEADER + ICMP_HEADER or frame[0:6] != our_mac:
        return None
    if struct.unpack("!H", frame[12:14])[0] != ETH_P_IP or frame[ETH_HEADER + 9] != 1:
        return None
    ihl = (frame[ETH_HEADER] & 0xF) * 4
    total = struct.unpack("!H", frame[ETH_HEADER + 2:ETH_HEADER + 4])[0]
    icmp = frame[ETH_HEADER + ihl:ETH_HEADER + total]
    if len(icmp) < ICMP_HEADER or icmp[0] != 0 or struct.unpack("!H", icmp[4:6])[0] != ident:
        return None
    return checksum(frame[ETH_HEADER:ETH_HEADER + ihl]) == 0 and checksum(icmp) == 0


def cmd_burst(ip, mac, tap, frame_bytes, count):
    if not FRAME_MIN <= frame_bytes <= FRAME_MAX:
        print("peer: frame size %d outside %d..%d" % (frame_bytes, FRAME_MIN, FRAME_MAX), file=sys.stderr)
        return 1
    dst_mac = mac_bytes(mac)
    src_mac = tap_mac(tap)
    src_ip = source_address(ip)
    dst_ip = socket.inet_aton(ip)
    ident = random.randrange(1, 0xFFFF)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((tap, 0))
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    frames = [echo_frame(dst_mac, src_mac, src_ip, dst_ip, ident, seq, frame_bytes) for seq in range(count)]
    sent = errors = 0
    for f in frames:
        try:
            sock.send(f)
            sent += 1
        except OSError:
            errors += 1
    replies = bad = 0
    sock.settimeout(0.1)
    deadline = time.monotonic() + REPLY_WAIT_S
    last = time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - last < REPLY_QUIET_S:
        try:
            data = sock.recv(4096)
        except socket.timeout:
            continue
        ok = is_echo_reply(data, ident, src_mac)
        if ok is None:
            continue
        last = time.monotonic()
        if ok:
            replies += 1
        else:
            bad += 1
    print("sent=%d send_errors=%d replies=%d bad_replies=%d" % (sent, errors, replies, bad))
    return 0


def ipv4_packet(src_ip, dst_ip, proto, payload, ident=1, flags_frag=0, options=b"", version=4, total=None):
    ihl = (IP_HEADER + len(options)) // 4
    if total is None:
        total = ihl * 4 + len(payload)
    header = struct.pack("!BBHHHBBH4s4s", version << 4 | ihl, 0, total, ident, flags_frag, 64, proto, 0,
                         src_ip, dst_ip) + options
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:] + payload


def icmp_echo(ident, seq, data, icmp_type=8):
    icmp = struct.pack("!BBHHH", icmp_type, 0, 0, ident, seq) + data
    return icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]


def pad(frame):
    return frame + bytes(max(0, FRAME_MIN - len(frame)))


def hostile_frames(dst_mac, src_mac, src_ip, dst_ip, ident):
    """(what netself should count, frame) pairs."""
    eth = dst_mac + src_mac + struct.pack("!H", ETH_P_IP)
    data = bytes(range(32))
    good = ipv4_packet(src_ip, dst_ip, 1, icmp_echo(ident, 1, data))
    frames = []
    bad_ip_sum = bytearray(good)
    bad_ip_sum[10] ^= 0x55
    frames.append(("ign_ip_checksum", eth + bytes(bad_ip_sum)))
    bad_icmp = bytearray(good)
    bad_icmp[IP_HEADER + 8] ^= 0x01
    frames.append(("ign_icmp_checksum", eth + bytes(bad_icmp)))
    frames.append(("ign_ip_length", eth + ipv4_packet(src_ip, dst_ip, 1, icmp_echo(ident, 2, data), total=200)))
    short_ihl = bytearray(good)
    short_ihl[0] = 0x44  # a 16-byte header: refused before its checksum is looked at
    frames.append(("ign_ip_ihl", eth + bytes(short_ihl)))
    frames.append(("ign_ip_version", eth + ipv4_packet(src_ip, dst_ip, 1, icmp_echo(ident, 3, data), version=6)))
    frames.append(("ign_ip_fragment", eth + ipv4_packet(src_ip, dst_ip, 1, icmp_echo(ident, 4, data),
                                                         flags_frag=0x2000)))
    other = bytes(dst_ip[:3]) + bytes([(dst_ip[3] + 1) & 0xFF])
    frames.append(("ign_ip_other_dst", eth + ipv4_packet(src_ip, other, 1, icmp_echo(ident, 5, data))))
    frames.append(("ign_icmp_type", eth + ipv4_packet(src_ip, dst_ip, 1, icmp_echo(ident, 6, data, icmp_type=13))))
    frames.append(("ign_ip_protocol", eth + ipv4_packet(src_ip, dst_ip, 6, bytes(20) + data)))
    udp = struct.pack("!HHHH", 40000, 9, UDP_HEADER + len(data), 0) + data
    frames.append(("ign_udp_port", eth + ipv4_packet(src_ip, dst_ip, 17, udp)))
    ipv6 = dst_mac + src_mac + struct.pack("!H", 0x86DD) + bytes(40) + data
    frames.append(("ign_ethertype", ipv6))
    arp = struct.pack("!HHBBH6s4s6s4s", 1, ETH_P_IP, 6, 4, 1, src_mac, src_ip, bytes(6), other)
    frames.append(("ign_arp_other_ip", b"\xff" * 6 + src_mac + struct.pack("!H", 0x0806) + arp))
    options = bytes([1, 1, 1, 0])  # NOP, NOP, NOP, end of options
    frames.append(("echo", eth + ipv4_packet(src_ip, dst_ip, 1, icmp_echo(ident, 7, data), options=options)))
    return [(what, pad(f)) for what, f in frames]


def cmd_hostile(ip, mac, tap):
    dst_mac = mac_bytes(mac)
    src_mac = tap_mac(tap)
    src_ip = source_address(ip)
    ident = random.randrange(1, 0xFFFF)
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sock.bind((tap, 0))
    expect = {}
    for what, frame in hostile_frames(dst_mac, src_mac, src_ip, socket.inet_aton(ip), ident):
        sock.send(frame)
        expect[what] = expect.get(what, 0) + 1
    replies = 0
    sock.settimeout(0.1)
    deadline = time.monotonic() + REPLY_QUIET_S
    while time.monotonic() < deadline:
        try:
            data = sock.recv(4096)
        except socket.timeout:
            continue
        if is_echo_reply(data, ident, src_mac):
            replies += 1
    print(" ".join("%s=%d" % kv for kv in sorted(expect.items())) + " replies=%d" % replies)
    return 0


def main(argv):
    try:
        if len(argv) == 4 and argv[1] == "stats":
            return cmd_stats(argv[2], argv[3])
        if len(argv) == 5 and argv[1] == "hostile":
            return cmd_hostile(argv[2], argv[3], argv[4])
        if len(argv) == 7 and argv[1] == "burst":
            return cmd_burst(argv[2], argv[3], argv[4], int(argv[5]), int(argv[6]))
    except (OSError, ValueError) as e:
        print("peer: %s" % e, file=sys.stderr)
        return 1
    print(__doc__, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
