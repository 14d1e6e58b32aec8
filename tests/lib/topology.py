"""The reachability topology of the isolation tests, all inside namespaces
the test makes:

  node      two jobnet networks (jobnet0: neta, jobnet1: netb), services on
            tcp/22, tcp/10998, udp/53 (all addresses) and tcp/8080 (127.0.0.1)
  jobs      a1, a2 (group A, neta), a3 (group A, netb), b1 (group B, netb),
            r (router to A, netb, no group), lone (no group, neta)
  outside   routed through the node: the world (203.0.113.2), the metadata
            endpoints (169.254.169.254, fd00:ec2::254) and a protected node
            network 198.51.100.0/24 where .7 is a peer of a1 and .8 is not
"""

import jn

OUTSIDE_NODE4, OUTSIDE_PEER4 = "203.0.113.1", "203.0.113.2"
OUTSIDE_NODE6, OUTSIDE_PEER6 = "2001:db8:ff::1", "2001:db8:ff::2"
METADATA4, METADATA6 = "169.254.169.254", "fd00:ec2::254"
NODENET, NODENET_PEER, NODENET_OTHER = "198.51.100.0/24", "198.51.100.7", "198.51.100.8"

NETWORKS = {
    "neta": dict(bridge="jobnet0", subnet="10.61.0.0/24", subnet6="fd61::/64", protect=[NODENET],
                 hostServices={"allow": ["udp/53"]}),
    "netb": dict(bridge="jobnet1", subnet="10.62.0.0/24", subnet6="fd62::/64", protect=[NODENET]),
}

JOBS = [
    ("a1", "neta", {"group": "A", "peers": [NODENET_PEER + "/32"]}),
    ("a2", "neta", {"group": "A"}),
    ("a3", "netb", {"group": "A"}),
    ("b1", "netb", {"group": "B"}),
    ("r", "netb", {"role": "router", "routes": ["A"]}),
    ("lone", "neta", {}),
]

JOB_TCP, JOB_UDP = 5000, 5001
HOST_SERVICES = [("tcp", 22), ("tcp", 10998), ("udp", 53)]


class Job:
    def __init__(self, name, network, facts, ns, result):
        self.name = name
        self.network = network
        self.group = facts.get("group", "")
        self.router = facts.get("role") == "router"
        self.routes = facts.get("routes", [])
        self.peers = facts.get("peers", [])
        self.ns = ns
        self.result = result
        ips = [ip["address"].split("/")[0] for ip in result.json["ips"]]
        self.addr = {4: [a for a in ips if ":" not in a][0], 6: [a for a in ips if ":" in a][0]}
        self.veth = result.json["interfaces"][1]["name"]
        self.mac = result.json["interfaces"][2]["mac"]


class Topology:
    def __init__(self, env, br_netfilter=False, jobs=JOBS):
        self.env = env
        self.node = env.node(name="neta")
        self.ns = self.node.ns
        # A new namespace starts with br_netfilter on: set it either way.
        for key in ("iptables", "ip6tables"):
            self.ns.sysctl("net.bridge.bridge-nf-call-" + key, 1 if br_netfilter else 0)
        self.outside = self._make_outside()
        self.confs = {name: self.conf(name) for name in NETWORKS}
        self.jobs = {}
        for name, network, facts in jobs:
            self.add_job(name, network, facts)
        self._start_services()

    def conf(self, network, **extra):
        conf = self.node.conf(name=network, **NETWORKS[network])
        conf.update(extra)
        return conf

    def add_job(self, name, network, facts):
        ns = self.env.netns(name)
        conf = dict(self.confs[network], runtimeConfig={"jobnet": facts})
        r = self.node.add(ns, name, conf=conf).expect_ok()
        self.env.remember(name, r)
        job = Job(name, network, facts, ns, r)
        self.jobs[name] = job
        listener = self.env.listener
        for fam in (4, 6):
            listener.tcp(ns, job.addr[fam], JOB_TCP)
            listener.udp(ns, job.addr[fam], JOB_UDP)
        return job

    def delete_job(self, name):
        job = self.jobs.pop(name)
        self.node.delete(name, conf=self.confs[job.network]).expect_ok()
        return job

    def _make_outside(self):
        node, outside = self.ns, self.env.netns("outside")
        node.ip("link", "add", "up0", "type", "veth", "peer", "name", "wan0", "netns", outside.name)
        node.sysctl("net.ipv6.conf.up0.accept_dad", 0)
        outside.sysctl("net.ipv6.conf.wan0.accept_dad", 0)
        node.ip("addr", "add", OUTSIDE_NODE4 + "/24", "dev", "up0")
        node.ip("addr", "add", OUTSIDE_NODE6 + "/64", "dev", "up0", "nodad")
        node.ip("link", "set", "up0", "up")
        for addr in (OUTSIDE_PEER4 + "/24", METADATA4 + "/32", NODENET_PEER + "/24", NODENET_OTHER + "/24"):
            outside.ip("addr", "add", addr, "dev", "wan0")
        for addr in (OUTSIDE_PEER6 + "/64", METADATA6 + "/128"):
            outside.ip("addr", "add", addr, "dev", "wan0", "nodad")
        outside.ip("link", "set", "wan0", "up")
        for dst in (METADATA4 + "/32", NODENET):
            node.ip("route", "add", dst, "via", OUTSIDE_PEER4)
        node.ip("-6", "route", "add", METADATA6 + "/128", "via", OUTSIDE_PEER6)
        # The outside knows the way to the jobs, to try reaching them directly.
        for net in NETWORKS.values():
            outside.ip("route", "add", net["subnet"], "via", OUTSIDE_NODE4)
            outside.ip("-6", "route", "add", net["subnet6"], "via", OUTSIDE_NODE6)
        jn.wait_for(lambda: jn.icmp_probe(node, OUTSIDE_PEER6, 1)[0] == "reached", timeout=5)
        return outside

    def _start_services(self):
        listener = self.env.listener
        for proto, port in HOST_SERVICES:
            for addr in ("0.0.0.0", "::"):
                (listener.tcp if proto == "tcp" else listener.udp)(self.ns, addr, port)
        listener.tcp(self.ns, "127.0.0.1", 8080)
        for addr in (OUTSIDE_PEER4, OUTSIDE_PEER6, METADATA4, METADATA6, NODENET_PEER, NODENET_OTHER):
            listener.tcp(self.outside, addr, 80)
            listener.udp(self.outside, addr, 53)

    def node_addresses(self):
        """Every address of the node a job might try, per family."""
        return {4: ["10.61.0.1", "10.62.0.1", OUTSIDE_NODE4], 6: ["fd61::1", "fd62::1", OUTSIDE_NODE6]}


def may_talk(src, dst):
    """Rule 1, as the README states it: the model the tests hold jobnet to."""
    if src.group and src.group == dst.group:
        return True
    return src.router and dst.group != "" and dst.group in src.routes


def probe_fn(proto):
    return {"tcp": jn.tcp_probe, "udp": jn.udp_probe, "icmp": jn.icmp_probe}[proto]


class Matrix:
    """Probes with their expected outcome; run() reports every mismatch."""

    def __init__(self):
        self.cases = []

    def expect(self, label, want_reached, ns, proto, addr, port=None):
        self.cases.append((label, want_reached, ns, proto, addr, port))

    def _run_one(self, case):
        _, _, ns, proto, addr, port = case
        if proto == "icmp":
            return jn.icmp_probe(ns, addr, 1.0)
        return probe_fn(proto)(ns, addr, port, 1.0)

    def run(self):
        outcomes = jn.run_probes([(self._run_one, c) for c in self.cases])
        wrong = []
        for case, got in zip(self.cases, outcomes):
            label, want = case[0], case[1]
            if want and got != "reached":
                got = self._run_one(case)[0]  # first packets may wait for ARP/ND
            if (got == "reached") != want:
                wrong.append("%s: %s, want %s" % (label, got, "reached" if want else "blocked"))
        jn.expect(not wrong, "%d of %d probes disagree:\n%s" % (len(wrong), len(self.cases), "\n".join(wrong)))
        return len(self.cases)
