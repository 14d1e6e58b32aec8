#!/usr/bin/env python3
"""make test-runtime: pods through containerd 1.6's CRI plugin (the path the
kubelet takes) on a jobnet network, inside a throwaway node namespace.

The test speaks CRI itself (tests/runtime/cri/: a minimal runtime.v1 proto,
stubs generated at test time with grpc_tools) to a containerd that runs in
a sandbox (rtlib.Sandbox) inside the node namespace, with its own root,
state, socket and configuration under a temporary directory; the CRI
plugin's CNI directories are temporary too (jobnet and Debian's loopback
plugin in bin_dir, the test's conflist in conf_dir), and its network
namespaces live under its state directory. The sandbox image is a busybox
rootfs serving HTTP, imported into the k8s.io namespace from an OCI tarball.
The conflist declares the capabilities portMappings and
io.kubernetes.cri.pod-annotations, so containerd passes a pod's hostPorts
(with the keys HostPort, ContainerPort, Protocol, HostIP) and its
annotations.

Checked: pods whose jobnet.dev/* annotations set group, multinode and blocks
get the facts, decision and rule they should (jobnetctl list --json), with
the pod IPs CRI reports; same-group pods reach each other, another group's
do not, the node reaches all; a pod with hostPorts on 127.0.0.1 and on every
address starts, serves on both and is removed; pods with a malformed or an
unknown jobnet.dev/ annotation fail to start, say why (in logFile too) and
leave nothing; a pod without any annotation starts; StopPodSandbox twice
then RemovePodSandbox leave nothing; with groupScope "namespace", pods of
two Kubernetes namespaces naming the same group are different groups and do
not reach each other, and a router reaches only its own namespace's group;
the DaemonSet's conflist works as it is. Ends with
"N passed, N failed".
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "cri"))

import rtlib  # noqa: E402
from rtlib import jn  # noqa: E402

PACKAGES = ["containerd", "runc", "busybox-static", "containernetworking-plugins", "python3-grpcio",
            "python3-grpc-tools"]
IMAGE = "docker.io/library/jobnet-busybox:latest"
NETWORK, SUBNET, GATEWAY = "jobnet-cri", "10.95.0.0/24", "10.95.0.1"
SCOPED, SCOPED_SUBNET = "jobnet-cri-scoped", "10.96.0.0/24"
LOOPBACK_PORT, ANY_PORT = 18090, 18091


def cri_config(bin_dir, conf_dir):
    return "\n".join([
        '[plugins."io.containerd.grpc.v1.cri"]',
        '  sandbox_image = "%s"' % IMAGE,
        '  restrict_oom_score_adj = true',  # root here lacks CAP_SYS_RESOURCE
        '  netns_mounts_under_state_dir = true',
        '  disable_apparmor = true',
        '  stream_server_address = "127.0.0.1"',
        '  [plugins."io.containerd.grpc.v1.cri".cni]',
        '    bin_dir = "%s"' % bin_dir,
        '    conf_dir = "%s"' % conf_dir,
        '    max_conf_num = 1',
        '  [plugins."io.containerd.grpc.v1.cri".containerd]',
        '    snapshotter = "overlayfs"',
        '    default_runtime_name = "runc"',
        '    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
        '      runtime_type = "io.containerd.runc.v2"'])


class Cluster:
    """A node with containerd's CRI plugin, as a kubelet would see it."""

    def __init__(self, env, tmp):
        import client
        self.env = env
        self.node = env.node(name=NETWORK)
        self.conf_dir = os.path.join(tmp, "net.d")
        bin_dir = os.path.join(tmp, "cni-bin")
        run_dir = os.path.join(tmp, "run-containerd")
        for d in (self.conf_dir, bin_dir, run_dir):
            os.makedirs(d)
        os.symlink(env.plugin.path, os.path.join(bin_dir, "jobnet"))
        os.symlink("/usr/lib/cni/loopback", os.path.join(bin_dir, "loopback"))
        self.log_file = os.path.join(tmp, "jobnet.log")
        self.network(NETWORK, "jncri0", SUBNET)
        self.sandbox = rtlib.Sandbox(env, tmp, {"/run/containerd": run_dir})
        self.containerd = rtlib.Containerd(env, self.sandbox, self.node, tmp, cri=cri_config(bin_dir, self.conf_dir))
        self.containerd.ctr("images", "import", rtlib.make_oci_tar(tmp, IMAGE, ["httpd", "-f", "-p", "80", "-h",
                                                                             "/www"]), namespace="k8s.io")
        self.cri = client.Cri(self.containerd.address, os.path.join(tmp, "cri-stubs"))
        env.defer(self.cri.close)
        env.defer(self.remove_all)
        self.CriError = client.CriError
        if not jn.wait_for(lambda: self.cri.conditions().get("NetworkReady"), timeout=20, interval=0.2):
            raise jn.TestFailure("the CRI plugin's network is not ready: %s" % self.cri.status(True).info)
        self.wait_network(NETWORK)
        self.netns_dir = os.path.join(self.containerd.dir, "state", "io.containerd.grpc.v1.cri", "netns")

    def network(self, name, bridge, subnet, **keys):
        """The one conflist of conf_dir; containerd reloads it when it changes."""
        rtlib.write_conflist(self.conf_dir, name, rtlib.plugin_conf(
            self.node, bridge=bridge, subnet=subnet, networkMode=1, logFile=self.log_file,
            capabilities={"portMappings": True, "io.kubernetes.cri.pod-annotations": True}, **keys))

    def log(self):
        if not os.path.exists(self.log_file):
            return ""
        with open(self.log_file) as f:
            return f.read()

    def wait_network(self, name):
        def loaded():
            info = self.cri.status(verbose=True).info
            return any(n["Config"]["Name"] == name for n in json.loads(info.get("cniconfig", "{}")).get("Networks", []))
        if not jn.wait_for(loaded, timeout=20, interval=0.2):
            raise jn.TestFailure("containerd did not load the network %s" % name)

    def run(self, name, namespace="team-a", annotations=None, ports=()):
        """RunPodSandbox: (pod ID, None) or (None, the error)."""
        try:
            return self.cri.run_pod(name, namespace, annotations=annotations, ports=ports,
                                    cgroup_parent="/" + self.containerd.cgroup), None
        except self.CriError as e:
            return None, e

    def pods(self):
        return {p.metadata.name: p for p in self.cri.list_pods()}

    def records(self):
        return {r["containerID"]: r for r in json.loads(self.containerd.ctl("list", "--json").stdout or "[]")}

    def netns(self, record):
        return self.sandbox.path(record["netns"])

    def netns_mounts(self):
        d = self.sandbox.path(self.netns_dir)
        return sorted(os.listdir(d)) if os.path.isdir(d) else []

    def remove_all(self):
        for p in self.cri.list_pods():
            for call in (self.cri.stop_pod, self.cri.remove_pod):
                try:
                    call(p.id)
                except self.CriError:
                    pass


def start_pods(cl, results, specs):
    """Run each (name, namespace, annotations); the IDs and records of those that started."""
    ids, recs = {}, {}
    for name, namespace, annotations in specs:
        pod, err = cl.run(name, namespace, annotations)
        results.check("pod %s/%s starts" % (namespace, name), err, None)
        if pod:
            ids[name] = pod
    records = cl.records()
    for name, pod in ids.items():
        recs[name] = records.get(pod)
        results.check("pod %s is recorded under its sandbox ID, as eth0" % name,
                      (recs[name] or {}).get("ifname"), "eth0")
        status = cl.cri.pod_status(pod).status
        want = [ip["address"].split("/")[0] for ip in (recs[name] or {}).get("ips", [])][:1]
        results.check("pod %s: the IP CRI reports is the recorded one" % name, [status.network.ip], want)
    return ids, {n: r for n, r in recs.items() if r}


FACT_PODS = [
    ("a1", "team-a", {"jobnet.dev/group": "run-42", "jobnet.dev/multinode": "true", "jobnet.dev/blocks": "2",
                      "jobnet.dev/total-blocks": "8"}),
    ("a2", "team-a", {"jobnet.dev/group": "run-42", "jobnet.dev/multinode": "true", "jobnet.dev/blocks": "8",
                      "jobnet.dev/total-blocks": "8"}),
    ("b1", "team-a", {"jobnet.dev/group": "run-43"}),
]
# What level 1 (HOST_FOR_MULTINODE_ONLY) decides for each: (mode, decision,
# rule, group, multinode, blocks, totalBlocks). A pod always has a namespace
# of its own under CRI, so a host decision is still a bridge attachment.
WANT = {
    "a1": ("bridge", "bridge", "partial-instance", "run-42", True, 2, 8),
    "a2": ("bridge", "host", "multinode-host", "run-42", True, 8, 8),
    "b1": ("bridge", "bridge", "single-node-bridge", "run-43", False, 0, 0),
}


def facts(cl, results):
    ids, recs = start_pods(cl, results, FACT_PODS)
    for name, want in WANT.items():
        r = recs.get(name, {})
        f = r.get("facts", {})
        got = (r.get("mode"), r.get("decision"), r.get("rule"), f.get("group"), f.get("multinode"),
               f.get("blocks"), f.get("totalBlocks"))
        results.check("pod %s: facts, decision and rule from its annotations" % name, got, want)
    return ids, recs


def reach(cl, results, recs, pairs, label):
    """pairs: (from, to, expected); from None is the node."""
    ips = {n: r["ips"][0]["address"].split("/")[0] for n, r in recs.items()}
    for src, dst, want in pairs:
        what = "%s: %s %s %s" % (label, src or "the node", "reaches" if want else "does not reach", dst)
        if src not in recs and src is not None or dst not in recs:
            results.fail(what, "a pod did not start")
            continue
        ns = cl.node.ns.path if src is None else cl.netns(recs[src])
        got = rtlib.reaches(ns, ips[dst], 80) if want else rtlib.http_get(ns, ips[dst], 80, 1)
        results.check(what, got, want)


def remove_pod(cl, results, name, pod, rec):
    """StopPodSandbox twice, then RemovePodSandbox; nothing may be left."""
    for i, call in enumerate((cl.cri.stop_pod, cl.cri.stop_pod, cl.cri.remove_pod)):
        what = ["StopPodSandbox", "StopPodSandbox again", "RemovePodSandbox"][i]
        try:
            call(pod)
            results.check("pod %s: %s succeeds" % (name, what), True)
        except cl.CriError as e:
            results.fail("pod %s: %s succeeds" % (name, what), e)
        if i == 0 and rec:
            results.check("pod %s: its record goes with the first StopPodSandbox" % name, pod in cl.records(), False)
    results.check("pod %s: no longer listed" % name, name in cl.pods(), False)
    if rec:
        results.check("pod %s: its veth is gone" % name, rec.get("hostVeth") in rtlib.jobnet_links(cl.node), False)
        results.check("pod %s: its address is free" % name,
                      [a for a, owner in cl.node.reservations().items() if owner.startswith(pod)], [])


def host_ports(cl, results):
    ports = [("127.0.0.1", LOOPBACK_PORT, 80, "tcp"), ("", ANY_PORT, 80, "tcp")]
    pod, err = cl.run("h1", annotations={}, ports=ports)
    results.check("a pod with hostPorts on 127.0.0.1 and on every address starts", err, None)
    if pod:
        rec = cl.records().get(pod, {})
        got = sorted((m.get("hostIP") or "", m.get("hostPort"), m.get("containerPort"), m.get("protocol"))
                     for m in rec.get("portMappings", []))
        results.check("its record holds both mappings", got, [("", ANY_PORT, 80, "tcp"),
                                                              ("127.0.0.1", LOOPBACK_PORT, 80, "tcp")])
        results.check("the node reaches it on 127.0.0.1:%d" % LOOPBACK_PORT,
                      rtlib.reaches(cl.node.ns.path, "127.0.0.1", LOOPBACK_PORT), True)
        results.check("the node reaches it on a node address, port %d" % ANY_PORT,
                      rtlib.reaches(cl.node.ns.path, GATEWAY, ANY_PORT), True)
    else:
        rec = None
        pod = next((p.id for p in cl.cri.list_pods() if p.metadata.name == "h1"), None)
    if pod:
        remove_pod(cl, results, "h1", pod, rec)
    results.check("the hostPort pod's mappings are gone", (cl.node.nft_set("portmap4") or []) +
                  (cl.node.nft_set("portmap_any4") or []), [])
    results.check("127.0.0.1:%d is free again in the node" % LOOPBACK_PORT,
                  rtlib.port_free(cl.node.ns.path, "127.0.0.1", LOOPBACK_PORT), True)


MALFORMED = [
    ("m1", {"jobnet.dev/group": "run-42", "jobnet.dev/blocks": "lots", "jobnet.dev/total-blocks": "8"}, "blocks"),
    ("m2", {"jobnet.dev/group": "run-42", "jobnet.dev/colour": "blue"}, "jobnet.dev/colour"),
]


def bare(cl, results):
    """A pod without a single annotation: containerd then sends the
    annotations capability as null."""
    pod, err = cl.run("bare", annotations=None)
    results.check("a pod without annotations starts (the capability arrives as null)", err, None)
    if pod:
        rec = cl.records().get(pod, {})
        results.check("the pod without annotations has no group", rec.get("facts", {}).get("group"), "")
        remove_pod(cl, results, "bare", pod, rec)


def malformed(cl, results):
    """ADD refuses the pod; the DEL containerd then sends with the same
    annotations must clean up, or the sandbox stays behind, unknown."""
    for name, annotations, word in MALFORMED:
        before = (sorted(cl.records()), rtlib.jobnet_links(cl.node), sorted(cl.node.reservations()),
                  cl.netns_mounts())
        pod, err = cl.run(name, annotations=annotations)
        results.check("pod %s with a malformed annotation fails to start" % name, pod is None, True)
        results.check("pod %s: the error names %s" % (name, word), err is not None and word in err.details, True,
                      err)
        results.check("pod %s: the error reaches logFile" % name, word in cl.log(), True, cl.log()[-1500:])
        results.check("pod %s: the failed pod is not listed" % name, name in cl.pods(), False)
        after = (sorted(cl.records()), rtlib.jobnet_links(cl.node), sorted(cl.node.reservations()),
                 cl.netns_mounts())
        results.check("pod %s: no record, veth, reservation or namespace left" % name, after, before)


SCOPED_PODS = [
    ("sa1", "team-a", {"jobnet.dev/group": "run-42"}),
    ("sa2", "team-a", {"jobnet.dev/group": "run-42"}),
    ("sb1", "team-b", {"jobnet.dev/group": "run-42"}),
    ("sr1", "team-a", {"jobnet.dev/group": "gw", "jobnet.dev/role": "router", "jobnet.dev/routes": "run-42"}),
]


def group_scope(cl, results):
    cl.network(SCOPED, "jncri1", SCOPED_SUBNET, groupScope="namespace")
    cl.wait_network(SCOPED)
    ids, recs = start_pods(cl, results, SCOPED_PODS)
    groups = {n: r.get("facts", {}).get("group", "") for n, r in recs.items()}
    if len(groups) == 3:
        results.check("groupScope namespace: one namespace's pods share a group", groups["sa1"], groups["sa2"])
        results.check("groupScope namespace: the same group name in two namespaces is two groups",
                      groups["sa1"] != groups["sb1"], True, groups)
        results.check("groupScope namespace: the scoped group names the namespace and the group",
                      "team-a" in groups["sa1"] and "run-42" in groups["sa1"], True, groups)
    reach(cl, results, recs, [("sa1", "sa2", True), ("sa2", "sa1", True), ("sa1", "sb1", False),
                              ("sb1", "sa1", False), ("sb1", "sa2", False),
                              ("sr1", "sa1", True), ("sr1", "sb1", False), ("sa1", "sr1", False)],
          "groupScope namespace")
    for name, pod in ids.items():
        remove_pod(cl, results, name, pod, recs.get(name))


def shipped(cl, results):
    """The DaemonSet's conflist as shipped (its cniVersion, capabilities and
    level) works with containerd 1.6's CRI plugin."""
    conf = rtlib.write_shipped(cl.conf_dir, "daemonset", cl.node, cl.log_file)
    cl.wait_network(conf["name"])
    pod, err = cl.run("d1", annotations={"jobnet.dev/group": "run-44"})
    results.check("the DaemonSet's conflist (cniVersion %s): a pod starts" % conf["cniVersion"], err, None)
    if pod:
        rec = cl.records().get(pod, {})
        results.check("the pod is attached to the shipped network", rec.get("network"), conf["name"])
        remove_pod(cl, results, "d1", pod, rec)


def scenario(env, tmp, results):
    cl = Cluster(env, tmp)
    results.check("the CRI endpoint is containerd's", cl.cri.version().runtime_name, "containerd")
    ids, recs = facts(cl, results)
    reach(cl, results, recs, [(None, "a1", True), (None, "a2", True), (None, "b1", True),
                              ("a1", "a2", True), ("a2", "a1", True), ("a1", "b1", False), ("b1", "a1", False),
                              ("a2", "b1", False)], "groups")
    host_ports(cl, results)
    malformed(cl, results)
    bare(cl, results)
    for name, pod in ids.items():
        remove_pod(cl, results, name, pod, recs.get(name))
    group_scope(cl, results)
    shipped(cl, results)
    cl.remove_all()
    results.check("no pod left", sorted(cl.pods()), [])
    results.check("no attachment left in any network", sorted(cl.records()), [])
    results.check("no pod namespace left", cl.netns_mounts(), [])
    results.check("nothing of jobnet left in the node", rtlib.leftovers(cl.node), {})


def main():
    try:
        rtlib.ensure_packages(PACKAGES)
    except RuntimeError as e:
        print("FAIL installing what the test needs: %s\n0 passed, 1 failed" % e)
        return 1
    try:
        import grpc  # noqa: F401
        import grpc_tools  # noqa: F401
    except ImportError:
        # Debian's python3-grpcio is for Debian's python3; another python3
        # first in PATH does not see it.
        if os.path.exists("/usr/bin/python3") and os.path.realpath(sys.executable) != \
                os.path.realpath("/usr/bin/python3"):
            os.execv("/usr/bin/python3", ["/usr/bin/python3"] + sys.argv)
        raise
    return rtlib.main(PACKAGES, scenario)


if __name__ == "__main__":
    sys.exit(main())
