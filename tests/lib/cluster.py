"""Nodes of one cluster on one underlay, all inside namespaces the test makes:

  fabric    a namespace with the bridge fab0: the underlay 192.168.77.0/24,
            fd77::/64
  node k    its uplink up0 on fab0 as 192.168.77.k / fd77::k, jobnet's
            network "cl" with the job subnet 10.70.k.0/24, fd70:0:0:k::/64
            inside the cluster subnets 10.70.0.0/16, fd70::/48, and
            cluster.routes to every other node's job subnet
  host      a plain host of the underlay (192.168.77.99, fd77::99) with
            routes to every node's job subnet through that node, so it can
            try to reach jobs directly

A job's addresses are chosen up front (IP=), as a scheduler that gives every
job all its peers at ADD would: job slot s on node k is 10.70.k.s and
fd70:0:0:k::s.
"""

import jn
from topology import Job

CLUSTER4, CLUSTER6 = "10.70.0.0/16", "fd70::/48"
HOST4, HOST6 = "192.168.77.99", "fd77::99"
JOB_TCP, JOB_UDP = 40001, 40002  # high ports: collective libraries use such
NETWORK = "cl"


def underlay(k, fam):
    return "192.168.77.%d" % k if fam == 4 else "fd77::%d" % k


def subnet(k, fam):
    return "10.70.%d.0/24" % k if fam == 4 else "fd70:0:0:%x::/64" % k


def job_addr(k, slot, fam):
    return "10.70.%d.%d" % (k, slot) if fam == 4 else "fd70:0:0:%x::%x" % (k, slot)


def host_prefix(addr):
    return addr + ("/128" if ":" in addr else "/32")


class ClusterNode:
    def __init__(self, cluster, k, br_netfilter):
        self.cluster = cluster
        self.k = k
        self.node = cluster.env.node(name=NETWORK)
        self.ns = self.node.ns
        for key in ("iptables", "ip6tables"):
            self.ns.sysctl("net.bridge.bridge-nf-call-" + key, 1 if br_netfilter else 0)
        cluster.plug(self.ns, "up0", underlay(k, 4), underlay(k, 6))
        self.jobs = {}

    def routes(self):
        return [{"dst": subnet(other, fam), "via": underlay(other, fam)}
                for other in self.cluster.indexes if other != self.k for fam in (4, 6)]

    def conf(self, **extra):
        conf = self.node.conf(subnet=subnet(self.k, 4), subnet6=subnet(self.k, 6),
                              cluster={"subnet": CLUSTER4, "subnet6": CLUSTER6, "routes": self.routes()})
        conf.update(extra)
        return conf

    def add(self, name, slot, facts, conf=None, expect_ok=True):
        ns = self.cluster.env.netns(name)
        conf = dict(conf or self.conf(), runtimeConfig={"jobnet": facts})
        ips = "%s,%s" % (job_addr(self.k, slot, 4), job_addr(self.k, slot, 6))
        r = self.node.add(ns, name, conf=conf, args="IP=" + ips)
        if not expect_ok:
            return r
        r.expect_ok()
        self.cluster.env.remember(name, r)
        job = Job(name, NETWORK, facts, ns, r)
        job.node = self
        job.callers = facts.get("routers", [])
        self.jobs[name] = job
        self.cluster.jobs[name] = job
        if self.cluster.listen:
            listener = self.cluster.env.listener
            for fam in (4, 6):
                listener.tcp(ns, job.addr[fam], JOB_TCP)
                listener.udp(ns, job.addr[fam], JOB_UDP)
        return job

    def delete(self, name):
        job = self.jobs.pop(name)
        self.cluster.jobs.pop(name)
        self.node.delete(name, conf=self.conf()).expect_ok()
        return job

    def ctl(self, *args, check=True):
        return self.node.ctl(*args, check=check)


class Cluster:
    def __init__(self, env, nodes=3, br_netfilter=False, listen=True):
        self.env = env
        self.listen = listen
        self.indexes = list(range(1, nodes + 1))
        self.fabric = env.netns("fabric")
        self.fabric.sysctl("net.bridge.bridge-nf-call-iptables", 0)
        self.fabric.sysctl("net.bridge.bridge-nf-call-ip6tables", 0)
        self.fabric.ip("link", "add", "fab0", "type", "bridge")
        self.fabric.ip("link", "set", "fab0", "up")
        self.ports = 0
        self.jobs = {}
        self.nodes = {k: ClusterNode(self, k, br_netfilter) for k in self.indexes}
        self.host = env.netns("host")
        self.plug(self.host, "eth0", HOST4, HOST6)
        for k in self.indexes:
            for fam in (4, 6):
                self.host.ip("-%d" % fam, "route", "add", subnet(k, fam), "via", underlay(k, fam))
        for k in self.indexes:
            jn.wait_for(lambda: jn.icmp_probe(self.host, underlay(k, 6), 1)[0] == "reached", timeout=5)

    def plug(self, ns, name, addr4, addr6):
        """A veth from ns into the fabric's bridge, with the underlay addresses."""
        self.ports += 1
        port = "fp%d" % self.ports
        self.fabric.ip("link", "add", port, "type", "veth", "peer", "name", name, "netns", ns.name)
        self.fabric.ip("link", "set", port, "master", "fab0", "up")
        ns.sysctl("net.ipv6.conf.%s.accept_dad" % name, 0)
        ns.ip("addr", "add", addr4 + "/24", "dev", name)
        ns.ip("addr", "add", addr6 + "/64", "dev", name, "nodad")
        ns.ip("link", "set", name, "up")

    def node(self, k):
        return self.nodes[k]
