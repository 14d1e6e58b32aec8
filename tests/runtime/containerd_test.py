#!/usr/bin/env python3
"""make test-runtime: containers through containerd 1.6's `ctr run --cni`
on a jobnet network, inside a throwaway node namespace.

containerd runs in a sandbox (rtlib.Sandbox: a private mount and PID
namespace) inside the node namespace, with its own root, state, socket and
configuration file under a temporary directory. ctr reads only
/etc/cni/net.d and /opt/cni/bin: inside the sandbox those are bind mounts of
temporary directories holding the test's conflist and the plugin, never the
machine's own. ctr passes CNI_NETNS=/proc/<pid>/ns/net, container IDs
<namespace>-<id>, no CNI_ARGS, and sends DEL only when a non-detached
`ctr run` ends.

Checked: two detached containers get the addresses their records name, the
node reaches both, they do not reach each other nor a node service the
network does not allow (one it allows they do); `--net-host` is refused
under level 3 and allowed under level 2; a configuration error reaches
logFile as well as ctr; a non-detached run is removed when it ends;
`jobnetctl gc` removes a detached container whose task is gone (ctr never
sends DEL for it); when a process in another namespace has taken over the
dead task's PID, `jobnetctl repair` must leave that namespace alone and
`jobnetctl gc` must count the job as gone (the PID is reused on purpose,
through ns_last_pid of the sandbox's own PID namespace); the shipped
conf/10-jobnet.conflist works as it is; nothing is left at the end. Ends with
"N passed, N failed".
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rtlib  # noqa: E402
from rtlib import jn  # noqa: E402

PACKAGES = ["containerd", "runc", "busybox-static"]
IMAGE = "docker.io/library/jobnet-busybox:latest"
NETWORK = "jobnet-ctr"
SUBNET = "10.94.0.0/24"
GATEWAY = "10.94.0.1"
ALLOWED, FENCED = 18053, 18054


class Ctr:
    """The containerd of this test and what it needs around it."""

    def __init__(self, env, tmp):
        self.env = env
        self.node = env.node(name=NETWORK)
        self.net_d = os.path.join(tmp, "net.d")
        bin_dir = os.path.join(tmp, "cni-bin")
        run_dir = os.path.join(tmp, "run-containerd")
        for d in (self.net_d, bin_dir, run_dir):
            os.makedirs(d)
        os.symlink(env.plugin.path, os.path.join(bin_dir, "jobnet"))
        self.log_file = os.path.join(tmp, "jobnet.log")
        self.level(3)
        self.sandbox = rtlib.Sandbox(env, tmp, {"/etc/cni/net.d": self.net_d, "/opt/cni/bin": bin_dir,
                                                "/run/containerd": run_dir})
        self.containerd = rtlib.Containerd(env, self.sandbox, self.node, tmp)
        env.defer(self.remove_all)
        self.containerd.ctr("images", "import", rtlib.make_oci_tar(tmp, IMAGE, ["httpd", "-f", "-p", "80", "-h",
                                                                             "/www"]))

    def level(self, level, **keys):
        """The test's conflist, at this mode level (keys added or replaced)."""
        conf = dict(bridge="jnctr0", subnet=SUBNET, networkMode=level, hostServices={"allow": ["tcp/%d" % ALLOWED]},
                    logFile=self.log_file)
        conf.update(keys)
        rtlib.write_conflist(self.net_d, NETWORK, rtlib.plugin_conf(self.node, **conf))

    def log(self):
        if not os.path.exists(self.log_file):
            return ""
        with open(self.log_file) as f:
            return f.read()

    def ctr(self, *args, **kw):
        return self.containerd.ctr(*args, **kw)

    def run(self, name, argv=(), check=True):
        """A detached run (ctr never sends DEL for it)."""
        flags = ["run", "-d", "--cni", "--cgroup", "/%s/%s" % (self.containerd.cgroup, name)]
        return self.ctr(*(flags + [IMAGE, name] + list(argv)), check=check)

    def run_cmd(self, name, argv, extra=(), check=True):
        """A non-detached run of argv (ctr removes it when it ends)."""
        flags = ["run", "--rm", "--cni", "--cgroup", "/%s/%s" % (self.containerd.cgroup, name)] + list(extra)
        return self.ctr(*(flags + [IMAGE, name] + list(argv)), check=check)

    def task(self, name):
        """(PID, status) of the container's task, or None."""
        for line in self.ctr("task", "ls").stdout.splitlines()[1:]:
            parts = line.split()
            if len(parts) >= 3 and parts[0] == name:
                return int(parts[1]), parts[2]
        return None

    def task_pid(self, name):
        task = self.task(name)
        return task[0] if task else None

    def kill(self, name):
        """The task dies and goes, as when its process ends on its own."""
        self.ctr("task", "kill", "-s", "SIGKILL", name, check=False)
        jn.wait_for(lambda: (self.task(name) or (0, "STOPPED"))[1] == "STOPPED", timeout=10)
        self.ctr("task", "rm", "-f", name, check=False)

    def remove_all(self):
        for line in self.ctr("container", "ls", "-q", check=False).stdout.split():
            self.ctr("task", "rm", "-f", line, check=False)
            self.ctr("container", "rm", line, check=False)

    def records(self):
        return {r["containerID"]: r for r in json.loads(self.containerd.ctl("list", "--json").stdout or "[]")}

    def netns(self, pid):
        """The container's namespace as the test process reaches it."""
        return self.sandbox.path("/proc/%d/ns/net" % pid)


def addresses_in(path):
    proc = subprocess.run(["nsenter", "--net=" + path, "ip", "-j", "addr", "show", "dev", "eth0"],
                          capture_output=True, text=True)
    if proc.returncode != 0:
        return None
    return ["%s/%d" % (a["local"], a["prefixlen"]) for l in json.loads(proc.stdout) for a in l["addr_info"]
            if a["family"] == "inet"]


def links_in(path):
    proc = subprocess.run(["nsenter", "--net=" + path, "ip", "-j", "link", "show"], capture_output=True, text=True)
    return sorted(l["ifname"] for l in json.loads(proc.stdout or "[]"))


def two_containers(c, results):
    c.run("web1")
    c.run("web2")
    pids = {n: c.task_pid(n) for n in ("web1", "web2")}
    recs = c.records()
    results.check("ctr run -d --cni: both containers are recorded, as <namespace>-<id>",
                  sorted(recs), ["jobnet-web1", "jobnet-web2"])
    ips = {}
    for n in ("web1", "web2"):
        rec = recs.get("jobnet-" + n, {})
        results.check("%s: bridged by rule forced-bridge, in the network's subnet" % n,
                      (rec.get("mode"), rec.get("rule"), rec.get("network")), ("bridge", "forced-bridge", NETWORK))
        results.check("%s: the record names the task's namespace" % n, rec.get("netns"), "/proc/%d/ns/net" % pids[n])
        addrs = [ip["address"] for ip in rec.get("ips", [])]
        results.check("%s: its eth0 has the recorded address" % n, addresses_in(c.netns(pids[n])), addrs)
        ips[n] = addrs[0].split("/")[0] if addrs else "0.0.0.0"
    return pids, ips


def isolation(c, results, pids, ips):
    node = c.node
    for n in ("web1", "web2"):
        results.check("the node reaches %s" % n, rtlib.reaches(node.ns.path, ips[n], 80), True)
    c.env.listener.tcp(node.ns, GATEWAY, ALLOWED)
    c.env.listener.tcp(node.ns, GATEWAY, FENCED)
    web1, web2 = c.netns(pids["web1"]), c.netns(pids["web2"])
    results.check("web1 reaches the node service the network allows (the probe works)",
                  jn.tcp_probe(rtlib.NsPath(web1), GATEWAY, ALLOWED, timeout=2)[0], "reached")
    results.check("web1 does not reach a node service the network does not allow",
                  jn.tcp_probe(rtlib.NsPath(web1), GATEWAY, FENCED, timeout=1)[0], "timeout")
    results.check("web1 does not reach web2", rtlib.http_get(web1, ips["web2"], 80, timeout=1), False)
    results.check("web2 does not reach web1", rtlib.http_get(web2, ips["web1"], 80, timeout=1), False)


def node_addresses(node):
    return sorted((l["ifname"], sorted(a["local"] for a in l.get("addr_info", [])))
                  for l in node.ns.ip_json("addr", "show"))


def net_host(c, results):
    node = c.node
    before = node_addresses(node)
    proc = c.run_cmd("hostnet", ["true"], extra=["--net-host"], check=False)
    results.check("level 3: ctr run --net-host fails", proc.returncode != 0, True, proc.stderr)
    results.check("level 3: the error is jobnet's policy refusal",
                  "policy requires bridge networking" in proc.stderr, True, proc.stderr)
    c.ctr("task", "rm", "-f", "hostnet", check=False)
    c.ctr("container", "rm", "hostnet", check=False)
    results.check("level 3: the refused container left no record", "jobnet-hostnet" in c.records(), False)
    results.check("level 3: the node's links and addresses are as before",
                  node_addresses(node), before)
    c.level(2)
    try:
        proc = c.run_cmd("hostnet2", ["true"], extra=["--net-host"], check=False)
        results.check("level 2: ctr run --net-host runs (the refusal was the level's)", proc.returncode, 0,
                      proc.stderr)
    finally:
        c.ctr("task", "rm", "-f", "hostnet2", check=False)
        c.ctr("container", "rm", "hostnet2", check=False)
        c.level(3)
    results.check("level 2: the host job's record went with its DEL", "jobnet-hostnet2" in c.records(), False)


def config_error(c, results):
    """A configuration jobnet refuses: ctr shows the error, and so does logFile."""
    c.level(3, mtu="big")
    try:
        proc = c.run_cmd("badconf", ["true"], check=False)
    finally:
        c.ctr("task", "rm", "-f", "badconf", check=False)
        c.ctr("container", "rm", "badconf", check=False)
        c.level(3)
    results.check("a configuration with a bad value: ctr run fails naming the key", proc.returncode != 0 and
                  "mtu" in proc.stderr, True, proc.stderr)
    log = c.log()
    results.check("the configuration error reaches logFile as well", "mtu" in log and "big" in log, True, log[-2000:])
    results.check("the refused container left no record", "jobnet-badconf" in c.records(), False)


def foreground(c, results):
    """A non-detached run: ctr sends DEL when it ends."""
    cmd = c.sandbox.cmd(["ctr", "--address", c.containerd.address, "--namespace", "jobnet", "run", "--rm", "--cni",
                         "--cgroup", "/%s/fg" % c.containerd.cgroup, IMAGE, "fg", "sleep", "3"], net=c.node.ns.path)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        seen = jn.wait_for(lambda: "jobnet-fg" in c.records(), timeout=10, interval=0.2)
        rec = c.records().get("jobnet-fg", {})
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    results.check("a non-detached ctr run is attached while it runs", seen, True)
    results.check("the non-detached run ends well", proc.returncode, 0, err)
    results.check("its record goes with ctr's DEL", "jobnet-fg" in c.records(), False)
    results.check("its veth goes with it", rec.get("hostVeth") in rtlib.jobnet_links(c.node), False)
    results.check("its address is free again",
                  [a for a in c.node.reservations().values() if a.startswith("jobnet-fg:")], [])


def gc_after_task(c, results, ips):
    c.kill("web2")
    recs = c.records()
    results.check("a detached container's task is gone: ctr sent no DEL, its record stays",
                  "jobnet-web2" in recs, True)
    proc = c.containerd.ctl("gc", check=False)
    results.check("jobnetctl gc succeeds", proc.returncode, 0, proc.stdout + proc.stderr)
    recs = c.records()
    results.check("jobnetctl gc removed the container whose task is gone", "jobnet-web2" in recs, False)
    results.check("... and released its address", [a for a in c.node.reservations().values()
                                                   if a.startswith("jobnet-web2:")], [])
    results.check("... and its element", ips["web2"] in (c.node.nft_set("job_addrs4") or []), False)
    results.check("jobnetctl gc kept the running one", "jobnet-web1" in recs, True)
    results.check("the node still reaches it", rtlib.reaches(c.node.ns.path, ips["web1"], 80), True)


def shipped(c, results):
    """conf/10-jobnet.conflist as shipped (its cniVersion, capabilities,
    subnets) works with containerd 1.6's libcni."""
    conf = rtlib.write_shipped(c.net_d, "conf", c.node, c.log_file)
    try:
        proc = c.run("shipped", check=False)
        results.check("the shipped conflist (cniVersion %s) works with ctr run --cni" % conf["cniVersion"],
                      proc.returncode, 0, proc.stderr)
        rec = c.records().get("jobnet-shipped", {})
        results.check("the container is attached to the shipped network", rec.get("network"), conf["name"])
        c.kill("shipped")
        c.ctr("container", "rm", "shipped", check=False)
        c.containerd.ctl("gc", check=False)
    finally:
        c.level(3)


def take_pid(c, pid, netns):
    """Start a process with this PID in the network namespace netns (one the
    test made), inside the sandbox's PID namespace (whose ns_last_pid is the
    test's alone)."""
    script = ("echo %d > /proc/sys/kernel/ns_last_pid; sleep 300 </dev/null >/dev/null 2>&1 & echo $!" % (pid - 1))
    for _ in range(8):
        out = subprocess.run(c.sandbox.cmd(["sh", "-c", script], net=netns.path), capture_output=True,
                             text=True).stdout.strip()
        if out == str(pid):
            return True
        if out.isdigit():
            subprocess.run(c.sandbox.cmd(["kill", "-9", out]), capture_output=True)
    return False


def reused_pid(c, results, ips):
    pid = c.task_pid("web1")
    rec = c.records().get("jobnet-web1", {})
    c.kill("web1")
    if not take_pid(c, pid, c.env.netns("stranger")):
        results.fail("a process in another namespace takes over the dead task's PID", "could not get PID %d" % pid)
        return
    stranger = c.netns(pid)
    results.check("the stranger's namespace holds only lo", links_in(stranger), ["lo"])
    proc = c.containerd.ctl("repair", check=False)
    results.check("jobnetctl repair leaves the stranger's namespace alone (the PID was reused)",
                  links_in(stranger), ["lo"], proc.stdout + proc.stderr)
    results.check("jobnetctl repair made no veth for the dead task",
                  rec.get("hostVeth") in rtlib.jobnet_links(c.node), False)
    proc = c.containerd.ctl("gc", check=False)
    results.check("jobnetctl gc counts a reused PID's namespace as gone", "jobnet-web1" in c.records(), False,
                  proc.stdout + proc.stderr)
    results.check("... and released its address", [a for a in c.node.reservations().values()
                                                   if a.startswith("jobnet-web1:")], [])
    results.check("the stranger's namespace still holds only lo", links_in(stranger), ["lo"])
    subprocess.run(c.sandbox.cmd(["kill", "-9", str(pid)]), capture_output=True)


def scenario(env, tmp, results):
    c = Ctr(env, tmp)
    pids, ips = two_containers(c, results)
    isolation(c, results, pids, ips)
    net_host(c, results)
    config_error(c, results)
    foreground(c, results)
    gc_after_task(c, results, ips)
    reused_pid(c, results, ips)
    shipped(c, results)
    c.remove_all()
    results.check("no container left in containerd", c.ctr("container", "ls", "-q").stdout.split(), [])
    proc = c.containerd.ctl("gc", check=False)
    results.check("no attachment left in any network", sorted(c.records()), [])
    results.check("nothing of jobnet left in the node", rtlib.leftovers(c.node), {}, proc.stdout + proc.stderr)


if __name__ == "__main__":
    sys.exit(rtlib.main(PACKAGES, scenario))
