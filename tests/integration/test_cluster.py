"""Across nodes (cluster): three nodes on one underlay, each running jobnet
with its own job subnet inside one cluster subnet and routes to the others.
Members of a group talk across nodes both ways with their own addresses, a
router reaches the members of the groups it routes, and every other pair,
the underlay's hosts and the nodes themselves stay fenced off; probed with
TCP, UDP and ICMP on high ports over IPv4 and IPv6, br_netfilter off and on.
"""

import socket
import struct
import threading
import time

import cluster as cl
import frames
import jn
from jn import expect, expect_eq, test
from topology import Matrix, may_talk

PROTOS = [("tcp", cl.JOB_TCP), ("udp", cl.JOB_UDP), ("icmp", None)]
SINK_PORT = 9999


def both(addrs):
    """Host prefixes of both families of each (node, slot)."""
    return [cl.host_prefix(cl.job_addr(k, slot, fam)) for k, slot in addrs for fam in (4, 6)]


# name, node, slot, facts. b1 and lone name members of A as peers they are
# not: the receiving node must refuse them.
JOBS = [
    ("a1", 1, 11, {"group": "A", "peers": both([(2, 11)]), "routers": both([(3, 11)])}),
    ("a2", 1, 12, {"group": "A", "peers": both([(2, 11)]), "routers": both([(3, 11)])}),
    ("lone", 1, 13, {"peers": both([(2, 11)])}),
    ("a3", 2, 11, {"group": "A", "peers": both([(1, 11), (1, 12)]), "routers": both([(3, 11)])}),
    ("b1", 2, 12, {"group": "B", "peers": both([(1, 11)])}),
    ("r", 3, 11, {"group": "R", "role": "router", "routes": ["A"], "peers": both([(1, 11), (1, 12), (2, 11)])}),
]


def build(env, br_netfilter=False, jobs=JOBS, **kw):
    c = cl.Cluster(env, br_netfilter=br_netfilter, **kw)
    for name, k, slot, facts in jobs:
        c.node(k).add(name, slot, facts)
    return c


def listed(prefixes, addr):
    return cl.host_prefix(addr) in prefixes


def may_reach(src, dst, fam):
    """The model the README states: on one node, the group carve-out; across
    nodes, the sender names the receiver as a peer and the receiver admits
    it (a worker its peers, anyone its routers)."""
    if src.node is dst.node:
        return may_talk(src, dst)
    sent = listed(src.peers, dst.addr[fam])
    admitted = (not dst.router and listed(dst.peers, src.addr[fam])) or listed(dst.callers, src.addr[fam])
    return sent and admitted


def build_matrix(c):
    m = Matrix()
    jobs = list(c.jobs.values())
    for src in jobs:
        for dst in jobs:
            if src is dst:
                continue
            for fam in (4, 6):
                for proto, port in PROTOS:
                    m.expect("%s -> %s %s/v%d" % (src.name, dst.name, proto, fam), may_reach(src, dst, fam),
                             src.ns, proto, dst.addr[fam], port)
    for dst in jobs:
        for fam in (4, 6):
            for proto, port in PROTOS:
                m.expect("underlay host -> %s %s/v%d" % (dst.name, proto, fam), False, c.host, proto,
                         dst.addr[fam], port)
                for k, n in c.nodes.items():
                    m.expect("node %d -> %s %s/v%d" % (k, dst.name, proto, fam), dst.node is n, n.ns, proto,
                             dst.addr[fam], port)
    # Another node's gateway is a cluster address, not a peer.
    for src in jobs:
        for k in c.indexes:
            if k != src.node.k:
                m.expect("%s -> node %d's gateway" % (src.name, k), False, src.ns, "tcp", "10.70.%d.1" % k,
                         SINK_PORT)
    return m


def senders_are_seen_as_themselves(c):
    """Traffic between members keeps the sender's job address; traffic to
    the underlay host is masqueraded as before."""
    a1, a3, r = c.jobs["a1"], c.jobs["a3"], c.jobs["r"]
    for fam in (4, 6):
        for src, dst in ((a1, a3), (a3, a1), (r, a1), (r, a3)):
            expect_eq(jn.tcp_probe(src.ns, dst.addr[fam], cl.JOB_TCP, 1.0), ("reached", src.addr[fam]),
                      "%s -> %s over TCP/v%d, as %s sees it" % (src.name, dst.name, fam, dst.name))
            expect_eq(jn.udp_probe(src.ns, dst.addr[fam], cl.JOB_UDP, 1.0), ("reached", src.addr[fam]),
                      "%s -> %s over UDP/v%d, as %s sees it" % (src.name, dst.name, fam, dst.name))
        host = cl.HOST4 if fam == 4 else cl.HOST6
        expect_eq(jn.tcp_probe(a1.ns, host, cl.JOB_TCP, 1.0), ("reached", cl.underlay(1, fam)),
                  "a1 -> the underlay host over v%d, masqueraded" % fam)


def run_matrix(env, br_netfilter):
    c = build(env, br_netfilter=br_netfilter)
    for fam in (4, 6):
        env.listener.tcp(c.host, cl.HOST4 if fam == 4 else cl.HOST6, cl.JOB_TCP)
    for k, n in c.nodes.items():
        env.listener.tcp(n.ns, "0.0.0.0", SINK_PORT)
        expect_eq(n.ns.run("sysctl", "-n", "net.bridge.bridge-nf-call-iptables").stdout.strip(),
                  "1" if br_netfilter else "0", "br_netfilter on node %d" % k)
    count = build_matrix(c).run()
    expect(count > 300, "only %d probes" % count)
    senders_are_seen_as_themselves(c)
    return c


@test
def across_nodes_without_br_netfilter(env):
    c = run_matrix(env, False)
    # The probes can fail: without node 1's to_job chain, the underlay host
    # and b1 (which names a1 as its peer, a1 does not name it) reach a1.
    a1, b1 = c.jobs["a1"], c.jobs["b1"]
    expect_eq(jn.tcp_probe(b1.ns, a1.addr[4], cl.JOB_TCP)[0], "timeout", "b1 -> a1 with the rules")
    c.node(1).node.nft("flush", "chain", "inet", "jobnet", "to_job")
    expect_eq(jn.tcp_probe(b1.ns, a1.addr[4], cl.JOB_TCP, 1.0)[0], "reached", "b1 -> a1 once to_job is flushed")
    expect_eq(jn.tcp_probe(c.host, a1.addr[6], cl.JOB_TCP, 1.0)[0], "reached",
              "the underlay host -> a1 once to_job is flushed")


@test
def across_nodes_with_br_netfilter(env):
    run_matrix(env, True)


@test
def members_flows_across_nodes_are_untracked_and_a_routers_are_not(env):
    """And SCTP crosses between members as TCP does."""
    c = build(env)
    a1, a3, r = c.jobs["a1"], c.jobs["a3"], c.jobs["r"]
    node1 = c.node(1).ns
    node1.run("conntrack", "-F", check=False)
    expect_eq(jn.tcp_probe(a3.ns, a1.addr[4], cl.JOB_TCP, 1.0)[0], "reached", "a3 -> a1")
    expect_eq(jn.tcp_probe(r.ns, a1.addr[4], cl.JOB_TCP, 1.0)[0], "reached", "r -> a1")
    flows = node1.run("conntrack", "-L", "-p", "tcp", check=False).stdout
    expect("src=%s" % a3.addr[4] not in flows, "a member's flow from another node is tracked:\n" + flows)
    expect("src=%s dst=%s" % (r.addr[4], a1.addr[4]) in flows, "the router's flow is not tracked:\n" + flows)
    # SCTP goes the same way as TCP and UDP: between members, not from b1
    # (which names a1 as a peer; a1 does not name it).
    b1 = c.jobs["b1"]
    for fam in (4, 6):
        expect(sctp_arrives(a3, a1, fam, b"member%d" % fam), "SCTP a3 -> a1 over IPv%d" % fam)
        expect(sctp_arrives(a1, a3, fam, b"back%d" % fam), "SCTP a1 -> a3 over IPv%d" % fam)
        expect(not sctp_arrives(b1, a1, fam, b"other%d" % fam), "SCTP b1 -> a1 over IPv%d" % fam)


def sctp_arrives(src, dst, fam, tag):
    """A datagram of IP protocol 132 (SCTP) from src to dst: whether it
    reaches a raw socket in dst (this kernel has no SCTP sockets, but a raw
    socket sees every packet of its protocol delivered to the namespace)."""
    family = socket.AF_INET if fam == 4 else socket.AF_INET6
    with jn.entered(dst.ns.path):
        rx = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_SCTP)
    with jn.entered(src.ns.path):
        tx = socket.socket(family, socket.SOCK_RAW, socket.IPPROTO_SCTP)
    try:
        rx.settimeout(1.0)
        # Common header (ports 40003 -> 40004, tag, checksum) and an INIT chunk.
        packet = struct.pack("!HHII", 40003, 40004, 0, 0) + b"\x01\x00\x00\x14" + tag.ljust(16, b"-")
        for _ in range(3):
            tx.sendto(packet, (dst.addr[fam], 0))
        deadline = time.time() + 1.0
        while time.time() < deadline:
            try:
                data = rx.recv(2048)
            except (socket.timeout, TimeoutError):
                return False
            if tag in data:
                return True
        return False
    finally:
        rx.close()
        tx.close()


def ephemeral_listener(ns, addr):
    """A TCP listener on a port the kernel picks (bind to port 0)."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with jn.entered(ns.path):
        s = socket.socket(fam, socket.SOCK_STREAM)
    s.bind((addr, 0))
    s.listen(64)
    return s


def serve(sock, stop):
    sock.settimeout(0.2)
    while not stop.is_set():
        try:
            conn, peer = sock.accept()
        except (socket.timeout, TimeoutError, OSError):
            continue
        with conn:
            conn.sendall(b"hello\n%s\n" % peer[0].encode())


@test
def all_to_all_on_ephemeral_ports(env):
    """Four members on three nodes, each listening on an ephemeral port, each
    connecting to every other at once, as a collective library does; a
    job of another group that names them all as peers reaches none."""
    members = [("m1", 1, 21), ("m2", 1, 22), ("m3", 2, 21), ("m4", 3, 21)]
    jobs = []
    for name, k, slot in members:
        others = [(ok, oslot) for _, ok, oslot in members if ok != k]
        jobs.append((name, k, slot, {"group": "A", "peers": both(others)}))
    jobs.append(("x", 2, 22, {"group": "X", "peers": both([(k, s) for _, k, s in members if k != 2])}))
    c = build(env, jobs=jobs, listen=False)
    stop = threading.Event()
    ports, threads = {}, []
    for name, _, _ in members:
        job = c.jobs[name]
        for fam in (4, 6):
            s = ephemeral_listener(job.ns, job.addr[fam])
            ports[(name, fam)] = s.getsockname()[1]
            t = threading.Thread(target=serve, args=(s, stop), daemon=True)
            t.start()
            threads.append((t, s))

    def stop_all():
        stop.set()
        for t, s in threads:
            t.join(1)
            s.close()
    env.defer(stop_all)
    probes, wanted = [], []
    for src_name, _, _ in members + [("x", 2, 22)]:
        for dst_name, _, _ in members:
            if src_name == dst_name:
                continue
            for fam in (4, 6):
                src, dst = c.jobs[src_name], c.jobs[dst_name]
                probes.append((jn.tcp_probe, src.ns, dst.addr[fam], ports[(dst_name, fam)], 2.0))
                wanted.append((src_name, dst_name, fam, src.addr[fam] if src_name != "x" else None))
    outcomes = run_connections(probes)
    wrong = []
    for (src, dst, fam, seen), got in zip(wanted, outcomes):
        want = ("reached", seen) if seen else ("timeout", None)
        if got != want:
            wrong.append("%s -> %s v%d: %r, want %r" % (src, dst, fam, got, want))
    expect(not wrong, "%d of %d connections wrong:\n%s" % (len(wrong), len(probes), "\n".join(wrong)))
    expect_eq(len(probes), 32, "connections tried")


def run_connections(probes):
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=len(probes)) as pool:
        futures = [pool.submit(p[0], *p[1:]) for p in probes]
        return [f.result() for f in futures]


@test
def a_job_forging_a_remote_members_address_reaches_nobody(env):
    """lone (node 1) sends with a3's address (a member of A on node 2, a
    peer of a1 and of a4 on node 3). Bridge jobnet drops such frames at the
    port; without its rules, inet jobnet's own check still does; without
    both, the node's allowed service gets them: the test can fail."""
    jobs = JOBS + [("a4", 3, 12, {"group": "A", "peers": both([(2, 11)])})]
    c = cl.Cluster(env)
    n1 = c.node(1)
    conf = n1.conf(hostServices={"allow": ["udp/%d" % SINK_PORT]})
    for name, k, slot, facts in jobs:
        c.node(k).add(name, slot, facts, conf=conf if k == 1 else None)
    lone, a1, a3, a4 = (c.jobs[n] for n in ("lone", "a1", "a3", "a4"))
    gw = n1.ns.ip_json("link", "show", "dev", "jobnet0")[0]["address"]
    node_gw = {4: "10.70.1.1", 6: "fd70:0:0:1::1"}
    sinks = {}
    for fam in (4, 6):
        sinks[("node", fam)] = env.listener.sink(n1.ns, node_gw[fam], SINK_PORT)
        for job in (a1, a4):
            sinks[(job.name, fam)] = env.listener.sink(job.ns, job.addr[fam], SINK_PORT)

    def send(src_job_addr, fam, tag):
        for (target, f), _ in sinks.items():
            if f != fam:
                continue
            dst = node_gw[fam] if target == "node" else c.jobs[target].addr[fam]
            packet = (frames.ipv4_udp if fam == 4 else frames.ipv6_udp)(src_job_addr, dst, 4000, SINK_PORT, tag)
            frames.send(lone.ns, "eth0", frames.ethernet(gw, lone.mac, frames.ETH_P_IP if fam == 4 else
                                                         frames.ETH_P_IPV6, packet))

    def arrived(tag):
        time.sleep(0.5)  # a dropped datagram leaves nothing to wait for
        return sorted("%s/v%d" % key for key, sink in sinks.items() if any(tag in data for _, data in sink))

    for fam in (4, 6):
        send(lone.addr[fam], fam, b"honest%d" % fam)
    expect_eq(arrived(b"honest"), ["node/v4", "node/v6"], "honest datagrams from lone: the test is broken")
    for fam in (4, 6):
        send(a3.addr[fam], fam, b"forged%d" % fam)
    expect_eq(arrived(b"forged"), [], "datagrams with a3's address from lone")
    n1.node.nft("flush", "chain", "bridge", "jobnet", "prerouting")
    for fam in (4, 6):
        send(a3.addr[fam], fam, b"nobridge%d" % fam)
    expect_eq(arrived(b"nobridge"), [], "datagrams with a3's address from lone, without bridge jobnet's checks")
    n1.node.nft("flush", "chain", "inet", "jobnet", "raw4_from_job")
    n1.node.nft("flush", "chain", "inet", "jobnet", "raw6_from_job")
    for fam in (4, 6):
        send(a3.addr[fam], fam, b"nocheck%d" % fam)
    expect_eq(arrived(b"nocheck"), ["node/v4", "node/v6"], "without either check the forgery reaches the node")


@test
def a_member_on_another_node_reaches_a_mapping_on_a_cluster_address(env):
    """a3 (node 2) may reach node 1's job subnet (a peer range) and opens a
    connection to a1's port mapping on node 1's gateway address. The DNATed
    flow's reply must be un-NATed although a1 and a3 talk untracked:
    jobnet masquerades it, so a1 sees its gateway."""
    c = cl.Cluster(env, nodes=2)
    n1, n2 = c.node(1), c.node(2)
    conf = n1.conf(capabilities={"portMappings": True})
    facts = {"group": "A", "peers": both([(2, 11)])}
    conf["runtimeConfig"] = {"jobnet": facts, "portMappings": [{"hostPort": 18080, "containerPort": cl.JOB_TCP,
                                                                 "protocol": "tcp"}]}
    ns = env.netns("a1")
    r = n1.node.add(ns, "a1", conf=conf, args="IP=%s,%s" % (cl.job_addr(1, 11, 4), cl.job_addr(1, 11, 6)))
    r.expect_ok()
    env.remember("a1", r)
    env.listener.tcp(ns, cl.job_addr(1, 11, 4), cl.JOB_TCP)
    a3 = n2.add("a3", 11, {"group": "A", "peers": [cl.subnet(1, 4), cl.subnet(1, 6)]})
    expect_eq(jn.tcp_probe(a3.ns, "10.70.1.1", 18080, 1.0), ("reached", "10.70.1.1"),
              "a3 -> a1's mapping on node 1's gateway, as a1 sees it")
    expect_eq(jn.tcp_probe(a3.ns, cl.job_addr(1, 11, 4), cl.JOB_TCP, 1.0), ("reached", a3.addr[4]),
              "a3 -> a1 directly")
    # Without that masquerade the reply goes back untracked, not un-NATed.
    rules = n1.node.nft("-a", "list", "chain", "inet", "jobnet", "postrouting").stdout
    handle = [l.split("# handle ")[1] for l in rules.splitlines() if "@job_mutual4 masquerade" in l][0]
    n1.node.nft("delete", "rule", "inet", "jobnet", "postrouting", "handle", handle)
    expect(jn.tcp_probe(a3.ns, "10.70.1.1", 18080, 1.0)[0] != "reached",
           "a3 -> a1's mapping without the masquerade: the test cannot fail")
