#!/usr/bin/env python3
"""make test-runtime: containers through podman 4.3's CNI backend on jobnet
networks, inside a throwaway node namespace.

Podman (with runc) runs in the node namespace through nsenter, with its
storage, configuration and CNI directory in temporary directories; the
image is a busybox rootfs imported from a tarball. Two networks: one whose
jobs have no group, one whose jobs all share a group (args.cni.jobnet in the
conflist). Podman binds every host port of `-p` itself after ADD (its port
reservation), so a mapping on 127.0.0.1 must work with the port held by
podman.

Checked: containers without a group do not reach each other, directly or
through a mapping, and members of a group do; the node reaches a container
directly, through a mapping on a node address, one on every address and
one on 127.0.0.1; a container reaches itself through its mappings
(hairpin); a host port another container maps is refused by jobnet (107);
`podman rm` leaves nothing (records, reservations, veths, elements, port
claims, relays) and the loopback port is free again. Ends with
"N passed, N failed".
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rtlib  # noqa: E402
from rtlib import jn  # noqa: E402

PACKAGES = ["podman", "runc", "busybox-static"]
NETWORK, GROUPED = "jobnet-rt", "jobnet-rtg"
GATEWAY = "10.93.0.1"
ADDR_PORT, ANY_PORT, LOOPBACK_PORT = 18081, 18082, 18083
LIMITS = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
CGROUP = "jobnet-podman-%d" % os.getpid()
HTTPD = ["localhost/jobnet-busybox", "httpd", "-f", "-p", "80", "-h", "/www"]


class Podman:
    def __init__(self, node, tmp, cni_dir, plugin_dir):
        self.node = node
        conf = os.path.join(tmp, "containers.conf")
        with open(conf, "w") as f:
            f.write('[network]\nnetwork_backend = "cni"\ncni_plugin_dirs = ["%s"]\nnetwork_config_dir = "%s"\n'
                    % (plugin_dir, cni_dir))
        self.env = dict(os.environ, CONTAINERS_CONF=conf)
        self.base = ["nsenter", "--net=" + node.ns.path, "podman", "--root", os.path.join(tmp, "root"),
                     "--runroot", os.path.join(tmp, "runroot"), "--runtime", "runc", "--network-backend", "cni",
                     "--cni-config-dir", cni_dir, "--cgroup-manager", "cgroupfs", "--events-backend", "none"]

    def run(self, *args, check=True, timeout=120):
        proc = subprocess.run(self.base + list(args), capture_output=True, text=True, env=self.env, timeout=timeout)
        if check and proc.returncode != 0:
            raise jn.TestFailure("podman %s: %s %s" % (" ".join(args), proc.stdout, proc.stderr))
        return proc

    def start(self, name, network, *ports):
        """podman run -d; None when it started, else podman's error."""
        args = ["run", "-d", "--network", network, "--name", name, "--cgroup-parent", "/" + CGROUP] + LIMITS
        for p in ports:
            args += ["-p", p]
        proc = self.run(*(args + HTTPD), check=False)
        return None if proc.returncode == 0 else (proc.stderr.strip() or proc.stdout.strip())

    def ip(self, name):
        data = json.loads(self.run("inspect", name).stdout)[0]
        return list(data["NetworkSettings"]["Networks"].values())[0]["IPAddress"]

    def fetch(self, name, host, port):
        """GET / from inside a container, with busybox nc."""
        cmd = "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 %s %d" % (host, port)
        proc = subprocess.run(self.base + ["exec", name, "sh", "-c", cmd], capture_output=True, text=True,
                              timeout=30, env=self.env)
        return rtlib.BODY in proc.stdout

    def reaches(self, name, host, port):
        return jn.wait_for(lambda: self.fetch(name, host, port), timeout=8, interval=0.2)


def networks(node, cni_dir):
    base = dict(capabilities={"portMappings": True, "ips": True})
    rtlib.write_conflist(cni_dir, NETWORK, rtlib.plugin_conf(node, subnet="10.93.0.0/24", **base))
    rtlib.write_conflist(cni_dir, GROUPED, rtlib.plugin_conf(
        node, bridge="jobnet1", subnet="10.93.1.0/24", args={"cni": {"jobnet": {"group": "podgrp"}}}, **base),
        alone=False)


def isolation(podman, results, ips):
    results.check("web reaches itself (the exec path works)", podman.reaches("web", ips["web"], 80), True)
    results.check("other does not reach web", podman.fetch("other", ips["web"], 80), False)
    results.check("other does not reach web through web's every-address mapping",
                  podman.fetch("other", GATEWAY, ANY_PORT), False)
    results.check("g1 reaches g2, a member of its group", podman.reaches("g1", ips["g2"], 80), True)
    results.check("g2 reaches g1", podman.reaches("g2", ips["g1"], 80), True)
    results.check("g1 does not reach web, which is in no group", podman.fetch("g1", ips["web"], 80), False)


def mappings(podman, node, results, ips):
    ns = node.ns.path
    results.check("the node reaches web directly", rtlib.reaches(ns, ips["web"], 80), True)
    results.check("the node reaches web through the address its mapping names",
                  rtlib.reaches(ns, GATEWAY, ADDR_PORT), True)
    results.check("the node reaches web through an every-address mapping",
                  rtlib.reaches(ns, GATEWAY, ANY_PORT), True)
    results.check("web reaches itself through its mapping (hairpin)", podman.reaches("web", GATEWAY, ADDR_PORT),
                  True)
    results.check("web reaches itself through its every-address mapping (hairpin)",
                  podman.reaches("web", GATEWAY, ANY_PORT), True)


def conflict(podman, node, results, name, port):
    """A second container mapping a host port a running one maps: jobnet
    refuses its ADD (107) before podman gets to bind the port."""
    before = sorted(r["containerID"] for r in json.loads(node.ctl("list", "--json").stdout))
    err = podman.start(name, NETWORK, port)
    podman.run("rm", "-f", name, check=False)
    results.check("-p %s taken by another container: refused by jobnet" % port,
                  err is not None and "already mapped" in err, True, err)
    after = sorted(r["containerID"] for r in json.loads(node.ctl("list", "--json").stdout))
    results.check("-p %s taken by another container: nothing left of the refused one" % port, after, before)


def loopback(podman, node, results):
    err = podman.start("lo", NETWORK, "127.0.0.1:%d:80" % LOOPBACK_PORT)
    results.check("podman run -p 127.0.0.1:%d:80 starts (podman binds the port itself)" % LOOPBACK_PORT, err, None)
    if err is not None:
        podman.run("rm", "-f", "lo", check=False)
        return
    recs = {r["containerID"]: r for r in json.loads(node.ctl("list", "--json").stdout)}
    rec = recs.get(json.loads(podman.run("inspect", "lo").stdout)[0]["Id"], {})
    results.check("the loopback container's record holds its mapping",
                  [(m.get("hostIP"), m.get("hostPort")) for m in rec.get("portMappings", [])],
                  [("127.0.0.1", LOOPBACK_PORT)])
    results.check("the node reaches it on 127.0.0.1:%d" % LOOPBACK_PORT,
                  rtlib.reaches(node.ns.path, "127.0.0.1", LOOPBACK_PORT), True)
    conflict(podman, node, results, "lo2", "127.0.0.1:%d:80" % LOOPBACK_PORT)
    podman.run("rm", "-f", "lo", check=False)
    results.check("127.0.0.1:%d is free once the container is removed" % LOOPBACK_PORT,
                  jn.wait_for(lambda: rtlib.port_free(node.ns.path, "127.0.0.1", LOOPBACK_PORT), timeout=5), True)


def scenario(env, tmp, results):
    node = env.node(name=NETWORK)
    cni_dir = os.path.join(tmp, "net.d")
    networks(node, cni_dir)
    podman = Podman(node, tmp, cni_dir, os.path.dirname(env.plugin.path))
    podman.run("import", rtlib.make_rootfs_tar(tmp), "localhost/jobnet-busybox")
    # Registered before the first container starts, so a failing start
    # leaves nothing running.
    env.defer(rtlib.remove_cgroups, CGROUP)
    if not os.path.isdir("/sys/fs/cgroup/memory/libpod_parent"):  # podman's own parent, made on first use
        env.defer(rtlib.remove_cgroups, "libpod_parent")
    env.defer(lambda: podman.run("rm", "-f", "-a", check=False))
    starts = [("web", NETWORK, "%s:%d:80" % (GATEWAY, ADDR_PORT), "%d:80" % ANY_PORT), ("other", NETWORK),
              ("g1", GROUPED), ("g2", GROUPED)]
    for name, network, *ports in starts:
        err = podman.start(name, network, *ports)
        if err is not None:
            raise jn.TestFailure("podman run %s: %s" % (name, err))
    ips = {name: podman.ip(name) for name, *_ in starts}
    # httpd starts in the background of podman run.
    for name in ips:
        jn.wait_for(lambda: rtlib.http_get(node.ns.path, ips[name], 80), timeout=10)
    mappings(podman, node, results, ips)
    isolation(podman, results, ips)
    rec = json.loads(node.ctl("list", "--json").stdout)
    results.check("jobnetctl lists the four containers", len(rec), 4)
    conflict(podman, node, results, "web2", "%d:80" % ANY_PORT)
    loopback(podman, node, results)
    podman.run("rm", "-f", "-a")
    results.check("podman rm leaves nothing of jobnet in the node", rtlib.leftovers(node), {})
    results.check("no attachment left in either network", json.loads(node.ctl("list", "--json").stdout), [])


if __name__ == "__main__":
    sys.exit(rtlib.main(PACKAGES, scenario))
