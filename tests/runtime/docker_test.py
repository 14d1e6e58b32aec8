#!/usr/bin/env python3
"""make test-runtime: Docker 20.10 containers on a jobnet network through
jobnetctl attach and detach, inside a throwaway node namespace.

Docker never calls a CNI plugin: the containers are created with
`--network none` and attached by jobnetctl, as a Docker-based scheduler
attaches them. dockerd (Debian's docker.io) and a containerd of its own (as
Debian runs them: dockerd --containerd) run in a sandbox (rtlib.Sandbox: a
private mount and PID namespace) inside the node namespace. Their data root,
exec root, sockets, pid file and configuration are under a temporary
directory; /run and /etc/docker (where dockerd, the shims and the daemon's
key would go whatever the flags say) are bind mounts of temporary
directories; the containers' cgroups are under a parent of the
test's own. dockerd runs with --bridge=none --iptables=false
--ip6tables=false --ip-masq=false --ip-forward=false. jobnetctl runs in the
sandbox too, as it would on a node where dockerd runs in the host's
namespaces, so the PIDs and SandboxKey paths it is given mean what they mean
to dockerd. The image is a busybox rootfs imported with `docker import`.

Checked: Docker's caveats (-p ignored with --network none, resolv.conf,
/etc/hosts, docker inspect and docker port, the entrypoint before the
network); two containers of one group reach each other and one of another
group does not, the node reaches them, a 127.0.0.1 and an every-address
mapping serve; a container with NET_ADMIN sends nothing with a forged
address or MAC; detach leaves nothing; a container killed without detach is
removed by jobnetctl gc; the holder form keeps its network across docker
restart; a plain restart needs detach and attach; after dockerd is killed
with SIGKILL, gc removes nothing while the containers live, and once dockerd
is back and has stopped them, gc leaves nothing. Ends with "N passed, N
failed".
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import rtlib  # noqa: E402
from rtlib import jn  # noqa: E402

PACKAGES = ["docker.io", "busybox-static"]
DOCKER = "/usr/bin/docker"  # docker.io's client, whatever else is on PATH
IMAGE = "localhost/jobnet-busybox"
NETWORK = "jobnet-dk"
SUBNET, GATEWAY = "10.95.0.0/24", "10.95.0.1"
NODE_OUT, OUTSIDE = "192.0.2.1", "192.0.2.2"  # the node's and an outside client's address

# The entrypoint notes whether the network was there when it started.
MARK_START = "if [ -e /sys/class/net/eth0 ]; then echo present; else echo absent; fi > /tmp/net-at-start; "
WEB = ["sh", "-c", MARK_START + "exec httpd -f -p 80 -h /www"]


class Engine:
    """dockerd and its containerd in a sandbox inside the node namespace."""

    def __init__(self, env, node, tmp):
        self.node, self.tmp = node, tmp
        self.sock = os.path.join(tmp, "docker.sock")
        # Where dockerd, containerd and the shims write whatever the flags
        # say (/run/docker, /run/containerd, /etc/docker/key.json).
        binds = {"/run": os.path.join(tmp, "run"), "/etc/docker": os.path.join(tmp, "etc-docker")}
        for d in binds.values():
            os.makedirs(d)
        self.sandbox = rtlib.Sandbox(env, tmp, binds)
        self.containerd = rtlib.Containerd(env, self.sandbox, node, tmp, cgroup="jobnet-dk")
        self.cli_env = dict(os.environ, DOCKER_CONFIG=os.path.join(tmp, "cli"))
        self.daemon_json = os.path.join(tmp, "daemon.json")
        with open(self.daemon_json, "w") as f:
            f.write("{}\n")
        self.log_path = os.path.join(tmp, "dockerd.log")
        self.dockerd = None

    def start(self):
        """Start dockerd; the seconds until it answered."""
        t = self.tmp
        argv = ["dockerd", "--data-root", os.path.join(t, "data"), "--exec-root", os.path.join(t, "exec"),
                "--pidfile", os.path.join(t, "docker.pid"), "-H", "unix://" + self.sock,
                "--containerd", self.containerd.address, "--config-file", self.daemon_json,
                "--cgroup-parent", "/" + self.containerd.cgroup, "--bridge=none", "--iptables=false",
                "--ip6tables=false", "--ip-masq=false", "--ip-forward=false"]
        with open(self.log_path, "a") as log:
            self.dockerd = subprocess.Popen(self.sandbox.cmd(argv, net=self.node.ns.path), stdout=log,
                                            stderr=subprocess.STDOUT)
        started = time.time()
        if not jn.wait_for(lambda: self.answers() or self.dockerd.poll() is not None, timeout=90, interval=0.5) \
                or self.dockerd.poll() is not None:
            raise jn.TestFailure("dockerd did not start:\n%s" % self.log_tail())
        return time.time() - started

    def answers(self):
        try:
            return self.run("version", check=False, timeout=10).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def log_tail(self, lines=40):
        with open(self.log_path) as f:
            return "".join([l for l in f if "module=grpc" not in l][-lines:])

    def run(self, *args, check=True, timeout=120):
        proc = subprocess.run([DOCKER, "-H", "unix://" + self.sock] + list(args), capture_output=True, text=True,
                              env=self.cli_env, timeout=timeout)
        if check and proc.returncode != 0:
            raise jn.TestFailure("docker %s: %s %s" % (" ".join(args), proc.stdout, proc.stderr))
        return proc

    def inspect(self, name, fmt):
        return self.run("inspect", "-f", fmt, name).stdout.strip()

    def kill_dockerd(self):
        """SIGKILL, as a crash would: containerd, the shims and the containers go on."""
        for pid in self.sandbox.processes():
            if rtlib.comm(pid) == "dockerd":
                os.kill(pid, signal.SIGKILL)
        jn.wait_for(lambda: self.dockerd.poll() is not None, timeout=10, what="dockerd to die")


class Jobnet:
    """jobnetctl in the sandbox, with the test's own configuration
    directory, plugin directory and cache."""

    def __init__(self, env, node, engine, tmp):
        self.env, self.node, self.engine = env, node, engine
        self.netd = os.path.join(tmp, "net.d")
        self.cache = os.path.join(tmp, "cache")
        rtlib.write_conflist(self.netd, NETWORK, rtlib.plugin_conf(
            node, subnet=SUBNET, ipMasq=False, capabilities={"portMappings": True, "jobnet": True}))

    def ctl(self, *args, check=True):
        plugin = self.env.plugin
        argv = plugin.wrapper + [plugin.ctl, "--state-dir", self.node.state_dir] + list(args)
        # The run's marker, so that relays are known as this run's.
        proc = subprocess.run(self.engine.sandbox.cmd(argv, net=self.node.ns.path), capture_output=True, text=True,
                              timeout=120, env=dict(os.environ, **{jn.RUN_MARKER: jn._run_id}))
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            if marker in proc.stderr:
                raise jn.TestFailure("jobnetctl %s: sanitizer report:\n%s" % (" ".join(args), proc.stderr[-4000:]))
        if check and proc.returncode != 0:
            raise jn.TestFailure("jobnetctl %s failed (%d): %s %s" % (" ".join(args), proc.returncode, proc.stdout,
                                                                      proc.stderr))
        return proc

    def run(self, command, cid, args, check=True):
        return self.ctl(command, cid, *args, "--conf-dir", self.netd, "--cni-bin-dir",
                        os.path.dirname(self.env.plugin.path), "--cache-dir", self.cache, "--json", check=check)

    def attach(self, cid, *args):
        result = json.loads(self.run("attach", cid, args).stdout)
        self.env.remember(cid, type("Result", (), {"json": result})())
        return result

    def detach(self, cid, check=True):
        return self.run("detach", cid, [], check=check)

    def cache_entries(self):
        d = os.path.join(self.cache, NETWORK)
        return sorted(f for f in os.listdir(d) if not f.startswith(".")) if os.path.isdir(d) else []


def echo_sources(ns, action, wait=1.5):
    """Sources of the ICMP echo requests that reach ns while action runs."""
    with jn.entered(ns.path):
        s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    seen = set()
    try:
        action()
        deadline = time.time() + wait
        while time.time() < deadline:
            s.settimeout(max(0.01, deadline - time.time()))
            try:
                data, peer = s.recvfrom(2048)
            except (socket.timeout, TimeoutError):
                break
            header = (data[0] & 15) * 4
            if len(data) > header and data[header] == 8:
                seen.add(peer[0])
    finally:
        s.close()
    return seen


def make_outside(env, node):
    outside = env.netns("outside")
    node.ns.ip("link", "add", "dkout", "type", "veth", "peer", "name", "dkpeer")
    node.ns.ip("link", "set", "dkpeer", "netns", outside.name)
    node.ns.ip("addr", "add", NODE_OUT + "/24", "dev", "dkout")
    node.ns.ip("link", "set", "dkout", "up")
    outside.ip("addr", "add", OUTSIDE + "/24", "dev", "dkpeer")
    outside.ip("link", "set", "dkpeer", "up")
    outside.ip("route", "add", "default", "via", NODE_OUT)
    return outside


class Scenario:
    def __init__(self, env, tmp, results):
        self.results = results
        self.node = env.node(name=NETWORK)
        self.outside = make_outside(env, self.node)
        self.engine = Engine(env, self.node, tmp)
        self.engine.start()
        env.defer(self.remove_all)
        self.jobnet = Jobnet(env, self.node, self.engine, tmp)
        self.engine.run("import", rtlib.make_rootfs_tar(tmp), IMAGE)
        self.ip = {}

    def check(self, label, got, want=True):
        self.results.check(label, got, want)

    def remove_all(self):
        """Containers removed while dockerd runs (the sandbox's end kills the rest)."""
        if self.engine.dockerd.poll() is None:
            ids = self.engine.run("ps", "-aq", check=False, timeout=30).stdout.split()
            if ids:
                self.engine.run("rm", "-f", *ids, check=False, timeout=60)

    def run_container(self, name, *opts, cmd=WEB):
        self.engine.run("run", "-d", "--name", name, *opts, IMAGE, *cmd)
        return self.engine.inspect(name, "{{.Id}}")

    def where(self, name, by):
        if by == "pid":
            return ["--pid", self.engine.inspect(name, "{{.State.Pid}}")]
        return ["--netns", self.engine.inspect(name, "{{.NetworkSettings.SandboxKey}}")]

    def attach(self, name, *args, by="pid"):
        """Attach a running container by its PID or by Docker's SandboxKey."""
        cid = self.engine.inspect(name, "{{.Id}}")
        result = self.jobnet.attach(cid, *self.where(name, by), *args)
        self.ip[name] = result["ips"][0]["address"].split("/")[0]
        return cid, result

    def cat(self, name, path):
        return self.engine.run("exec", name, "cat", path, check=False).stdout

    def fetch(self, name, host, port):
        """GET / from inside a container, with busybox nc."""
        cmd = "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 %s %d" % (host, port)
        return rtlib.BODY in self.engine.run("exec", name, "sh", "-c", cmd, check=False, timeout=30).stdout

    def reaches(self, name, host, port):
        return jn.wait_for(lambda: self.fetch(name, host, port), timeout=8, interval=0.2)


def docker_caveats(sc):
    """What Docker 20.10 does with --network none, measured."""
    e = sc.engine
    proc = e.run("run", "-d", "--name", "pignored", "--network", "none", "-p", "18080:80", IMAGE, *WEB, check=False)
    sc.check("docker accepts -p with --network none", proc.returncode, 0)
    sc.check("... and publishes nothing: docker port is empty", e.run("port", "pignored").stdout.strip(), "")
    sc.check("... and nothing listens on the node", jn.tcp_probe(sc.node.ns, NODE_OUT, 18080)[0], "refused")
    e.run("rm", "-f", "pignored")


def attach_jobs(sc):
    e = sc.engine
    sc.run_container("a1", "--network", "none")
    sc.run_container("a2", "--network", "none", "--dns", GATEWAY)
    sc.run_container("b1", "--network", "none")
    sc.run_container("spoofer", "--network", "none", "--cap-add", "NET_ADMIN", cmd=["sleep", "100000"])
    _, a1 = sc.attach("a1", "--group", "g1", "--publish", "127.0.0.1:0:80", "--publish", "0:80")
    sc.attach("a2", "--group", "g1", by="sandbox")
    sc.attach("b1", "--group", "g2")
    sc.attach("spoofer", "--group", "g3")
    sc.ports = {m["hostIP"]: m["hostPort"] for m in a1["portMappings"]}
    sc.check("jobnetctl chose both host ports", sorted(sc.ports) == ["", "127.0.0.1"] and all(sc.ports.values()))
    sc.check("docker inspect shows no address", e.inspect("a1", "{{.NetworkSettings.Networks.none.IPAddress}}"), "")
    sc.check("docker port shows no jobnet mapping", e.run("port", "a1").stdout.strip(), "")
    with open("/etc/resolv.conf") as f:
        host_ns = [l for l in f.read().splitlines() if l.startswith("nameserver")]
    sc.check("resolv.conf is the node's", [l for l in sc.cat("a1", "/etc/resolv.conf").splitlines()
                                            if l.startswith("nameserver")], host_ns)
    sc.check("--dns sets it", sc.cat("a2", "/etc/resolv.conf").split(), ["nameserver", GATEWAY])
    sc.check("/etc/hosts lacks the job's address", sc.ip["a1"] in sc.cat("a1", "/etc/hosts"), False)
    sc.check("the entrypoint started before the network existed", sc.cat("a1", "/tmp/net-at-start").strip(),
             "absent")


def isolation(sc):
    node, ip = sc.node.ns.path, sc.ip
    sc.check("a1 reaches a2 (same group)", sc.reaches("a1", ip["a2"], 80))
    sc.check("a2 reaches a1 (same group)", sc.reaches("a2", ip["a1"], 80))
    sc.check("b1 does not reach a1 (other group)", sc.fetch("b1", ip["a1"], 80), False)
    sc.check("a1 does not reach b1 (other group)", sc.fetch("a1", ip["b1"], 80), False)
    for name in ("a1", "a2", "b1"):
        sc.check("the node reaches %s" % name, rtlib.reaches(node, ip[name], 80))
    sc.check("b1 does not reach a1 through its mapping either",
             sc.fetch("b1", GATEWAY, sc.ports[""]) or sc.fetch("b1", NODE_OUT, sc.ports[""]), False)
    sc.check("the node reaches a1 through its 127.0.0.1 mapping", rtlib.reaches(node, "127.0.0.1",
                                                                                sc.ports["127.0.0.1"]))
    sc.check("an outside client reaches a1 through its every-address mapping",
             rtlib.reaches(sc.outside.path, NODE_OUT, sc.ports[""]))
    sc.check("the node reaches a1 through its every-address mapping", rtlib.reaches(node, GATEWAY, sc.ports[""]))


def spoofing(sc):
    own, forged, victim = sc.ip["spoofer"], "10.95.0.250", sc.ip["a1"]

    def ping(cmd):
        return lambda: sc.engine.run("exec", "spoofer", "sh", "-c", cmd, check=False, timeout=30)

    sc.check("the spoofer's own pings reach outside (control)",
             own in echo_sources(sc.outside, ping("ping -c 2 -W 1 %s" % OUTSIDE)))
    for label, source in (("a forged source address (NET_ADMIN) is dropped", forged),
                          ("another job's address as the source is dropped", victim)):
        got = echo_sources(sc.outside, ping("ip addr add %s/32 dev eth0 && ping -c 2 -W 1 -I %s %s" % (
            source, source, OUTSIDE)))
        sc.check(label, source in got, False)
    got = echo_sources(sc.outside, ping("ip link set eth0 address 02:00:00:00:00:99 && ping -c 2 -W 1 %s" % OUTSIDE))
    sc.check("its own address with a forged MAC is dropped", own in got, False)


def detach_and_kill(sc):
    e, jobnet = sc.engine, sc.jobnet
    b1 = e.inspect("b1", "{{.Id}}")
    jobnet.detach(b1)
    e.run("rm", "-f", "b1")
    sc.node.expect_clean(b1)
    sc.check("detach leaves no record, reservation, claim, veth or element of b1", True)
    sc.check("detach leaves no cache entry", b1 + ":eth0" in jobnet.cache_entries(), False)
    sc.check("a second detach succeeds", jobnet.detach(b1, check=False).returncode, 0)
    k1 = sc.run_container("k1", "--network", "none")
    sc.attach("k1", "--group", "g1", by="sandbox")
    e.run("kill", "k1")
    out = jobnet.ctl("gc").stdout
    sc.check("gc removes a container killed without detach",
             "%s/%s:eth0 (its namespace is gone)" % (NETWORK, k1) in out)
    sc.node.expect_clean(k1)
    sc.check("... and nothing of it is left", True)
    jobnet.detach(k1)
    e.run("rm", "-f", "k1")


def holder_form(sc):
    e, node = sc.engine, sc.node.ns.path
    sc.run_container("holder", "--network", "none", "--dns", GATEWAY, cmd=["sleep", "100000"])
    sc.attach("holder", "--group", "g1", "--publish", "0:80")
    proc = e.run("run", "-d", "--name", "jobdns", "--network", "container:holder", "--dns", GATEWAY, IMAGE, *WEB,
                 check=False)
    sc.check("--dns on the job is refused in the holder form",
             (proc.returncode, "conflicting options" in proc.stderr), (125, True))
    sc.run_container("job", "--network", "container:holder")
    sc.check("the job has the holder's --dns", sc.cat("job", "/etc/resolv.conf").split(), ["nameserver", GATEWAY])
    sc.check("the job's entrypoint found the network (holder form)", sc.cat("job", "/tmp/net-at-start").strip(),
             "present")
    sc.check("the node reaches the job through the holder's address", rtlib.reaches(node, sc.ip["holder"], 80))
    before = [(a["containerID"], a["ips"]) for a in json.loads(sc.jobnet.ctl("list", "--json").stdout)]
    e.run("restart", "-t", "1", "job")
    sc.check("after docker restart, the job's entrypoint found the network again",
             sc.cat("job", "/tmp/net-at-start").strip(), "present")
    sc.check("after docker restart, the node reaches the job at the same address",
             rtlib.reaches(node, sc.ip["holder"], 80))
    sc.check("after docker restart, the attachment is unchanged",
             [(a["containerID"], a["ips"]) for a in json.loads(sc.jobnet.ctl("list", "--json").stdout)], before)


def plain_restart(sc):
    """Without a holder, docker restart gives the container a new namespace."""
    e, jobnet = sc.engine, sc.jobnet
    r1 = sc.run_container("r1", "--network", "none")
    old_key = e.inspect("r1", "{{.NetworkSettings.SandboxKey}}")
    sc.attach("r1", "--group", "g1")
    old_ip = sc.ip["r1"]
    e.run("restart", "-t", "1", "r1")
    sc.check("docker restart gives a new namespace", e.inspect("r1", "{{.NetworkSettings.SandboxKey}}") != old_key)
    sc.check("... without the jobnet interface",
             e.run("exec", "r1", "ip", "link", "show", "eth0", check=False).returncode != 0)
    proc = jobnet.run("attach", r1, sc.where("r1", "pid"), check=False)
    sc.check("attach before detach is refused (error 104)",
             (proc.returncode, json.loads(proc.stdout or "{}").get("code")), (1, 104))
    jobnet.detach(r1)
    sc.attach("r1", "--group", "g1")
    sc.check("detach then attach gives a new address", sc.ip["r1"] != old_ip)
    sc.check("the node reaches it there", rtlib.reaches(sc.node.ns.path, sc.ip["r1"], 80))


def dockerd_killed(sc):
    e, jobnet = sc.engine, sc.jobnet
    records = sc.node.records()
    e.kill_dockerd()
    sc.check("after SIGKILL of dockerd the containers still run", rtlib.reaches(sc.node.ns.path, sc.ip["a1"], 80))
    out = jobnet.ctl("gc").stdout
    sc.check("... so gc removes nothing", (out.strip().splitlines()[-1], sc.node.records()),
             ("0 removed, 0 failure(s)", records))
    print("     dockerd answered again after %.1f s" % e.start(), flush=True)
    sc.check("dockerd started again stops the containers it had",
             jn.wait_for(lambda: e.run("ps", "-q").stdout.strip() == "", timeout=30))
    out = jobnet.ctl("gc").stdout
    sc.check("gc removes every attachment", out.strip().splitlines()[-1], "%d removed, 0 failure(s)" % len(records))
    sc.check("nothing of jobnet is left in the node", rtlib.leftovers(sc.node), {})
    for entry in jobnet.cache_entries():
        jobnet.detach(entry.split(":")[0])
    sc.check("the agent's detaches afterwards empty the cache", jobnet.cache_entries(), [])
    sc.check("verify finds no drift", jobnet.ctl("verify", check=False).returncode, 0)


def scenario(env, tmp, results):
    sc = Scenario(env, tmp, results)
    for step in (docker_caveats, attach_jobs, isolation, spoofing, detach_and_kill, holder_form, plain_restart,
                 dockerd_killed):
        step(sc)


if __name__ == "__main__":
    sys.exit(rtlib.main(PACKAGES, scenario))
