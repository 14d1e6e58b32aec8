"""Hand-made Ethernet frames, sent from inside a namespace through an
AF_PACKET socket: how the spoofing tests forge what the kernel would not."""

import socket
import struct
import time

import jn

ETH_P_IP, ETH_P_ARP, ETH_P_IPV6 = 0x0800, 0x0806, 0x86DD


def mac_bytes(text):
    return bytes(int(x, 16) for x in text.split(":"))


def ethernet(dst, src, ethertype, payload):
    return mac_bytes(dst) + mac_bytes(src) + struct.pack("!H", ethertype) + payload


def ipv4_udp(src, dst, sport, dport, data, ttl=64):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0x1234, 0, ttl, socket.IPPROTO_UDP, 0,
                         socket.inet_pton(socket.AF_INET, src), socket.inet_pton(socket.AF_INET, dst))
    header = header[:10] + struct.pack("!H", jn._checksum(header)) + header[12:]
    return header + udp  # UDP checksum 0: none, which IPv4 allows


def _ipv6(src, dst, next_header, payload, hop_limit=64):
    return struct.pack("!IHBB", 6 << 28, len(payload), next_header, hop_limit) + \
        socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + payload


def _pseudo_checksum(src, dst, proto, payload):
    pseudo = socket.inet_pton(socket.AF_INET6, src) + socket.inet_pton(socket.AF_INET6, dst) + \
        struct.pack("!IxxxB", len(payload), proto)
    return jn._checksum(pseudo + payload)


def ipv6_udp(src, dst, sport, dport, data):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(data), 0) + data
    udp = udp[:6] + struct.pack("!H", _pseudo_checksum(src, dst, socket.IPPROTO_UDP, udp)) + udp[8:]
    return _ipv6(src, dst, socket.IPPROTO_UDP, udp)


def neighbor_advert(src, dst, target, mac, override=True):
    flags = 0x20000000 if override else 0
    icmp = struct.pack("!BBHI", 136, 0, 0, flags) + socket.inet_pton(socket.AF_INET6, target) + \
        struct.pack("!BB", 2, 1) + mac_bytes(mac)
    icmp = icmp[:2] + struct.pack("!H", _pseudo_checksum(src, dst, socket.IPPROTO_ICMPV6, icmp)) + icmp[4:]
    return _ipv6(src, dst, socket.IPPROTO_ICMPV6, icmp, hop_limit=255)


def arp_reply(sender_mac, sender_ip, target_mac, target_ip):
    return struct.pack("!HHBBH", 1, ETH_P_IP, 6, 4, 2) + mac_bytes(sender_mac) + \
        socket.inet_pton(socket.AF_INET, sender_ip) + mac_bytes(target_mac) + socket.inet_pton(socket.AF_INET, target_ip)


def send(ns, ifname, frame, count=3):
    """Send a raw frame out of ifname inside ns (a few times: UDP may be lost)."""
    with jn.entered(ns.path):
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    try:
        s.bind((ifname, 0))
        for _ in range(count):
            s.send(frame)
    finally:
        s.close()


def _icmpv6_message(src, dst, icmp):
    """icmp (checksum field zero) with its checksum filled in."""
    return icmp[:2] + struct.pack("!H", _pseudo_checksum(src, dst, socket.IPPROTO_ICMPV6, icmp)) + icmp[4:]


def lladdr_option(kind, mac):
    """A source (1) or target (2) link-layer address option."""
    return struct.pack("!BB", kind, 1) + mac_bytes(mac)


def neighbor_solicit(src, dst, target, options=b""):
    icmp = struct.pack("!BBHI", 135, 0, 0, 0) + socket.inet_pton(socket.AF_INET6, target) + options
    return _ipv6(src, dst, socket.IPPROTO_ICMPV6, _icmpv6_message(src, dst, icmp), hop_limit=255)


def neighbor_advert_with(src, dst, target, options, override=True):
    """An advertisement with the options given as they are (any order, any count)."""
    flags = 0x20000000 if override else 0
    icmp = struct.pack("!BBHI", 136, 0, 0, flags) + socket.inet_pton(socket.AF_INET6, target) + options
    return _ipv6(src, dst, socket.IPPROTO_ICMPV6, _icmpv6_message(src, dst, icmp), hop_limit=255)


def fragments6(packet, first_len, ident=0x4A0B1C2D):
    """An IPv6 packet (no extension headers) split into two fragments, the
    first carrying first_len bytes (a multiple of 8) of what follows the
    IPv6 header."""
    header, body = packet[:40], packet[40:]
    next_header, hop_limit = header[6], header[7]
    src, dst = header[8:24], header[24:40]
    out = []
    for offset, chunk, more in ((0, body[:first_len], 1), (first_len, body[first_len:], 0)):
        frag = struct.pack("!BBHI", next_header, 0, (offset // 8) << 3 | more, ident) + chunk
        out.append(struct.pack("!IHBB", 6 << 28, len(frag), 44, hop_limit) + src + dst + frag)
    return out


def icmp4_error(src, dst, kind, code, quoted, rest=0):
    """An ICMP error (unreachable 3, ...) quoting the IPv4 packet `quoted`."""
    icmp = struct.pack("!BBHI", kind, code, 0, rest) + quoted
    icmp = icmp[:2] + struct.pack("!H", jn._checksum(icmp)) + icmp[4:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), 0x2345, 0, 64, socket.IPPROTO_ICMP, 0,
                         socket.inet_pton(socket.AF_INET, src), socket.inet_pton(socket.AF_INET, dst))
    header = header[:10] + struct.pack("!H", jn._checksum(header)) + header[12:]
    return header + icmp


def icmp6_error(src, dst, kind, code, quoted, rest=0):
    """An ICMPv6 error (unreachable 1, packet too big 2, ...) quoting `quoted`."""
    icmp = struct.pack("!BBHI", kind, code, 0, rest) + quoted
    return _ipv6(src, dst, socket.IPPROTO_ICMPV6, _icmpv6_message(src, dst, icmp))


class Capture:
    """Every frame that arrives on ifname inside ns (an AF_PACKET socket),
    whatever its destination MAC: what a job listening on its own port
    would see."""

    def __init__(self, ns, ifname):
        with jn.entered(ns.path):
            self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
        self.sock.bind((ifname, 0))
        self.sock.setblocking(False)
        self.frames = []

    def seen(self, marker, wait=0.5):
        """Whether a frame carrying marker arrived (within wait seconds)."""
        deadline = time.time() + wait
        while True:
            try:
                while True:
                    self.frames.append(self.sock.recv(65535))
            except BlockingIOError:
                pass
            if any(marker in f for f in self.frames) or time.time() >= deadline:
                return any(marker in f for f in self.frames)
            time.sleep(0.02)

    def close(self):
        self.sock.close()
