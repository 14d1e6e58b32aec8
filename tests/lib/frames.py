"""Hand-made Ethernet frames, sent from inside a namespace through an
AF_PACKET socket: how the spoofing tests forge what the kernel would not."""

import socket
import struct

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
