#!/usr/bin/env python3
"""make test-runtime: Docker containers on a jobnet network through
jobnetctl attach and detach, inside a throwaway node namespace.

Docker never calls a CNI plugin: the containers are created with
`--network none` and attached to jobnet by jobnetctl, as a Docker-based
scheduler would attach them. dockerd (Debian's docker.io, 20.10) and a
containerd of its own, as Debian runs them, run in the node's network namespace and in a private
mount namespace that puts tmpfs over /run and /etc/docker, with their data
root, exec root, socket and pid file under a temporary directory and their
containers under a cgroup parent of the test's own: nothing of the
machine's Docker, /var/lib/docker, the default socket, /etc/cni or
/opt/cni is used or left behind. jobnetctl runs in the same mount
namespace, as it would on a node where dockerd runs in the host's. The
image is a busybox rootfs imported with `docker import`. Ends with
"N passed, N failed".
"""

import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import jn  # noqa: E402

PACKAGES = ["docker.io", "busybox-static"]
DOCKER = "/usr/bin/docker"  # docker.io's client, whatever else is on PATH
IMAGE = "localhost/jobnet-busybox"
NETWORK = "jobnet-dk"
SUBNET, GATEWAY = "10.94.0.0/24", "10.94.0.1"
NODE_OUT, OUTSIDE = "192.0.2.1", "192.0.2.2"  # the node's and an outside client's address
HELLO = "hello from jobnet"


def ensure_packages():
    missing = [p for p in PACKAGES if subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True,
                                                     text=True).stdout.find("ok installed") < 0]
    if not missing:
        return
    # Installing docker.io would start the machine's own dockerd; a
    # policy-rc.d that says no keeps it from starting (Debian's own way).
    guard = "/usr/sbin/policy-rc.d"
    made_guard = not os.path.exists(guard)
    if made_guard:
        with open(guard, "w") as f:
            f.write("#!/bin/sh\nexit 101\n")
        os.chmod(guard, 0o755)
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing, check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    finally:
        if made_guard:
            os.unlink(guard)


def make_rootfs_tar(tmp):
    rootfs = os.path.join(tmp, "rootfs")
    os.makedirs(os.path.join(rootfs, "bin"))
    for d in ("etc", "proc", "sys", "dev", "tmp", "www"):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
    shutil.copy("/bin/busybox", os.path.join(rootfs, "bin", "busybox"))
    for applet in ("sh", "httpd", "nc", "sleep", "ip", "cat", "echo", "ping", "printf", "test", "["):
        os.symlink("busybox", os.path.join(rootfs, "bin", applet))
    with open(os.path.join(rootfs, "www", "index.html"), "w") as f:
        f.write(HELLO + "\n")
    path = os.path.join(tmp, "busybox.tar")
    with tarfile.open(path, "w") as tar:
        tar.add(rootfs, arcname=".")
    return path


def pids_in_mount_ns(ino):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat("/proc/%s/ns/mnt" % entry).st_ino == ino:
                    found.append(int(entry))
            except OSError:
                pass
    return found


class Engine:
    """dockerd and its containerd in the node's network namespace and a
    private mount namespace held by a keeper process."""

    def __init__(self, env, node, tmp):
        self.env, self.node, self.tmp = env, node, tmp
        self.sock = os.path.join(tmp, "docker.sock")
        self.cgroup_parent = "jobnet-test-%d" % os.getpid()
        self.cli_env = dict(os.environ, DOCKER_CONFIG=os.path.join(tmp, "cli"))
        self.dockerd = self.containerd = None
        env.defer(self.teardown)
        if not os.path.isdir("/etc/docker"):
            raise jn.TestFailure("/etc/docker (of the docker.io package) is missing")
        ready = os.path.join(tmp, "keeper.ready")
        script = ("mount -t tmpfs -o mode=0755 jobnet-test /run && mount -t tmpfs -o mode=0755 jobnet-test "
                  "/etc/docker && touch %s && exec sleep 100000" % ready)
        self.keeper = subprocess.Popen(["nsenter", "--net=" + node.ns.path, "unshare", "--mount", "--propagation",
                                        "private", "sh", "-c", script], start_new_session=True)
        if not jn.wait_for(lambda: os.path.exists(ready), timeout=10):
            raise jn.TestFailure("the mount namespace for dockerd was not made")
        self.mnt_ino = os.stat("/proc/%d/ns/mnt" % self.keeper.pid).st_ino
        with open(os.path.join(tmp, "daemon.json"), "w") as f:
            f.write("{}\n")

    def enter(self):
        return ["nsenter", "--mount=/proc/%d/ns/mnt" % self.keeper.pid, "--net=" + self.node.ns.path]

    def start_containerd(self):
        """containerd as Debian runs it for Docker: a daemon of its own, which
        a crash of dockerd leaves running. Its CRI plugin is off (it would read
        /etc/cni/net.d) and its opt directory is the test's (not /opt/containerd)."""
        d = os.path.join(self.tmp, "containerd")
        os.makedirs(d)
        self.containerd_sock = os.path.join(d, "containerd.sock")
        config = os.path.join(d, "config.toml")
        with open(config, "w") as f:
            f.write('version = 2\nroot = "%s/root"\nstate = "%s/state"\n'
                    'disabled_plugins = ["io.containerd.grpc.v1.cri"]\n[grpc]\naddress = "%s"\n'
                    '[plugins."io.containerd.internal.v1.opt"]\npath = "%s/opt"\n' % (d, d, self.containerd_sock, d))
        log = open(os.path.join(d, "containerd.log"), "a")
        self.containerd = subprocess.Popen(self.enter() + ["containerd", "--config", config], stdout=log,
                                           stderr=log, start_new_session=True)
        log.close()
        if not jn.wait_for(lambda: os.path.exists(self.containerd_sock), timeout=30):
            raise jn.TestFailure("containerd did not start")

    def start(self):
        t = self.tmp
        cmd = self.enter() + [
            "dockerd", "--data-root", os.path.join(t, "data"), "--exec-root", os.path.join(t, "exec"),
            "--pidfile", os.path.join(t, "docker.pid"), "-H", "unix://" + self.sock,
            "--containerd", self.containerd_sock, "--config-file", os.path.join(t, "daemon.json"),
            "--cgroup-parent", self.cgroup_parent, "--bridge=none", "--iptables=false", "--ip6tables=false",
            "--ip-masq=false", "--ip-forward=false"]
        log = open(os.path.join(t, "dockerd.log"), "a")
        self.dockerd = subprocess.Popen(cmd, stdout=log, stderr=log, start_new_session=True)
        log.close()
        started = time.time()
        if not jn.wait_for(self.answers, timeout=90, interval=0.5):
            raise jn.TestFailure("dockerd did not start:\n%s" % self.log_tail())
        return time.time() - started

    def answers(self):
        try:
            return self.run("version", check=False, timeout=10).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def log_tail(self):
        try:
            lines = [l for l in open(os.path.join(self.tmp, "dockerd.log")) if "module=grpc" not in l]
            return "".join(lines[-40:])
        except OSError:
            return ""

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
        pid = int(open(os.path.join(self.tmp, "docker.pid")).read())
        os.kill(pid, signal.SIGKILL)
        jn.wait_for(lambda: self.dockerd.poll() is not None, timeout=10)

    def cgroup_dirs(self):
        root = "/sys/fs/cgroup"
        dirs = []
        for ctrl in sorted(os.listdir(root)) if os.path.isdir(root) else []:
            top = os.path.join(root, ctrl, self.cgroup_parent)
            if os.path.isdir(top):
                dirs += [os.path.join(top, d) for d in os.listdir(top) if os.path.isdir(os.path.join(top, d))]
                dirs.append(top)
        return dirs

    def teardown(self):
        """Everything the engine made goes, also after a failure: containers
        (found by their cgroups), dockerd, containerd, shims, the mount
        namespace, the cgroups."""
        if self.dockerd is not None and self.dockerd.poll() is None:
            ids = self.run("ps", "-aq", check=False, timeout=30).stdout.split()
            if ids:
                self.run("rm", "-f", *ids, check=False, timeout=60)
        for _ in range(3):
            pids = set(pids_in_mount_ns(self.mnt_ino))
            for d in self.cgroup_dirs():
                try:
                    pids |= {int(p) for p in open(os.path.join(d, "cgroup.procs")).read().split()}
                except OSError:
                    pass
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            for p in (self.dockerd, self.containerd, self.keeper):
                if p is not None and p.poll() is None:
                    p.wait(timeout=10)
            if jn.wait_for(lambda: not pids_in_mount_ns(self.mnt_ino), timeout=5):
                break
        for d in self.cgroup_dirs():
            jn.wait_for(lambda: _rmdir(d), timeout=5)
        left = self.cgroup_dirs() + ["mount namespace process %d" % p for p in pids_in_mount_ns(self.mnt_ino)]
        if left:
            raise jn.TestFailure("left behind: %s" % left)


def _rmdir(path):
    try:
        os.rmdir(path)
    except FileNotFoundError:
        pass
    except OSError:
        return False
    return True


class Jobnet:
    """jobnetctl in the engine's mount namespace, with the test's own
    configuration directory, plugin directory and cache."""

    def __init__(self, env, node, engine, tmp):
        self.env, self.node, self.engine = env, node, engine
        self.netd = os.path.join(tmp, "net.d")
        self.cache = os.path.join(tmp, "cache")
        os.makedirs(self.netd)
        entry = {k: v for k, v in node.conf(subnet=SUBNET, ipMasq=False).items() if k not in ("cniVersion", "name")}
        entry["capabilities"] = {"portMappings": True, "jobnet": True}
        with open(os.path.join(self.netd, "10-%s.conflist" % NETWORK), "w") as f:
            json.dump({"cniVersion": "1.0.0", "name": NETWORK, "plugins": [entry]}, f)

    def ctl(self, *args, check=True):
        cmd = self.engine.enter() + self.env.plugin.wrapper + [self.env.plugin.ctl, "--state-dir",
                                                                self.node.state_dir] + list(args)
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, **{jn.RUN_MARKER: jn._run_id}))
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            if marker in proc.stderr:
                raise jn.TestFailure("jobnetctl %s: sanitizer report:\n%s" % (" ".join(args), proc.stderr[-4000:]))
        if check and proc.returncode != 0:
            raise jn.TestFailure("jobnetctl %s failed (%d): %s %s" % (" ".join(args), proc.returncode, proc.stdout,
                                                                      proc.stderr))
        return proc

    def _run(self, command, cid, args, check):
        return self.ctl(command, cid, *args, "--conf-dir", self.netd, "--cni-bin-dir",
                        os.path.dirname(self.env.plugin.path), "--cache-dir", self.cache, "--json", check=check)

    def attach(self, cid, *args, check=True):
        proc = self._run("attach", cid, args, check)
        if proc.returncode == 0:
            result = json.loads(proc.stdout)
            self.env.remember(cid, type("R", (), {"json": result})())
            return result
        return proc

    def detach(self, cid, *args, check=True):
        return self._run("detach", cid, args, check)

    def cache_entries(self):
        d = os.path.join(self.cache, NETWORK)
        return sorted(f for f in os.listdir(d) if not f.startswith(".")) if os.path.isdir(d) else []


def fetch(via, host, port, engine=None):
    """GET / from a namespace (a jn.Netns) or from inside a container (its name)."""
    if isinstance(via, jn.Netns):
        s = jn.socket_in(via, host, socket.SOCK_STREAM)
        try:
            s.settimeout(2)
            s.connect((host, port))
            s.sendall(b"GET / HTTP/1.0\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return HELLO.encode() in data
        except OSError:
            return False
        finally:
            s.close()
    cmd = "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 %s %d" % (host, port)
    return HELLO in engine.run("exec", via, "sh", "-c", cmd, check=False, timeout=30).stdout


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
            if len(data) > (data[0] & 15) * 4 and data[(data[0] & 15) * 4] == 8:
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


# The entrypoint notes whether the network was there when it started.
MARK_START = "if [ -e /sys/class/net/eth0 ]; then echo present; else echo absent; fi > /tmp/net-at-start; "
WEB = ["sh", "-c", MARK_START + "exec httpd -f -p 80 -h /www"]


class Scenario:
    def __init__(self, env, tmp, results):
        self.env, self.tmp = env, tmp
        self.results = results
        self.node = env.node(name=NETWORK)
        self.outside = make_outside(env, self.node)
        self.engine = Engine(env, self.node, tmp)
        self.engine.start_containerd()
        self.engine.start()
        self.jobnet = Jobnet(env, self.node, self.engine, tmp)
        self.engine.run("import", make_rootfs_tar(tmp), IMAGE)
        self.ip = {}

    def check(self, label, got, want):
        self.results.append((label, got == want))
        print("%-4s %s%s" % ("ok" if got == want else "FAIL", label, "" if got == want else
                             " (got %r, want %r)" % (got, want)), flush=True)

    def run_container(self, name, *opts, cmd=WEB):
        self.engine.run("run", "-d", "--name", name, *opts, IMAGE, *cmd)
        return self.engine.inspect(name, "{{.Id}}")

    def attach(self, name, *args, by="pid"):
        """Attach a running container by its PID or by Docker's SandboxKey."""
        cid = self.engine.inspect(name, "{{.Id}}")
        if by == "pid":
            where = ["--pid", self.engine.inspect(name, "{{.State.Pid}}")]
        else:
            where = ["--netns", self.engine.inspect(name, "{{.NetworkSettings.SandboxKey}}")]
        result = self.jobnet.attach(cid, *where, *args)
        self.ip[name] = result["ips"][0]["address"].split("/")[0]
        return cid, result

    def attach_raw(self, name, *args):
        """attach by PID, its process as it ended."""
        cid = self.engine.inspect(name, "{{.Id}}")
        return self.jobnet._run("attach", cid, ["--pid", self.engine.inspect(name, "{{.State.Pid}}")] + list(args),
                                False)

    def cat(self, name, path):
        return self.engine.run("exec", name, "cat", path, check=False).stdout

    def relays(self):
        return [p for p in self.node.ns.processes() if _comm(p) == "jobnet-relay"]

    def node_is_clean(self, what):
        node = self.node
        self.check("%s: no record" % what, node.records(), [])
        self.check("%s: no reservation" % what, node.reservations(), {})
        self.check("%s: no veth" % what, [l["ifname"] for l in node.ns.ip_json("link", "show")
                                          if l["ifname"].startswith("jn")], [])
        self.check("%s: no job element" % what, [node.nft_set("job_addrs4"), node.nft_set("job_talk4"),
                                                 node.nft_set("ports", table="bridge jobnet")], [[], [], []])
        ports = os.path.join(node.state_dir, "policy", "ports")
        self.check("%s: no port claim" % what, os.listdir(ports) if os.path.isdir(ports) else [], [])
        self.check("%s: no relay" % what, self.relays(), [])


def _comm(pid):
    try:
        return open("/proc/%d/comm" % pid).read().strip()
    except OSError:
        return ""


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
    sc.check("jobnetctl chose both host ports", sorted(sc.ports) == ["", "127.0.0.1"] and all(sc.ports.values()),
             True)
    sc.check("docker inspect shows no address", e.inspect("a1", "{{.NetworkSettings.Networks.none.IPAddress}}"), "")
    sc.check("docker port shows no jobnet mapping", e.run("port", "a1").stdout.strip(), "")
    host_ns = [l for l in open("/etc/resolv.conf").read().splitlines() if l.startswith("nameserver")]
    sc.check("resolv.conf is the node's", [l for l in sc.cat("a1", "/etc/resolv.conf").splitlines()
                                            if l.startswith("nameserver")], host_ns)
    sc.check("--dns sets it", sc.cat("a2", "/etc/resolv.conf").split(), ["nameserver", GATEWAY])
    sc.check("/etc/hosts lacks the job's address", sc.ip["a1"] in sc.cat("a1", "/etc/hosts"), False)
    sc.check("the entrypoint started before the network existed", sc.cat("a1", "/tmp/net-at-start").strip(),
             "absent")


def isolation(sc):
    e, node = sc.engine, sc.node.ns
    ip = sc.ip
    sc.check("a1 reaches a2 (same group)", fetch("a1", ip["a2"], 80, e), True)
    sc.check("a2 reaches a1 (same group)", fetch("a2", ip["a1"], 80, e), True)
    sc.check("b1 does not reach a1 (other group)", fetch("b1", ip["a1"], 80, e), False)
    sc.check("a1 does not reach b1 (other group)", fetch("a1", ip["b1"], 80, e), False)
    for name in ("a1", "a2", "b1"):
        sc.check("the node reaches %s" % name, fetch(node, ip[name], 80), True)
    sc.check("b1 does not reach a1 through its mapping either", fetch("b1", GATEWAY, sc.ports[""], e) or
             fetch("b1", NODE_OUT, sc.ports[""], e), False)
    sc.check("the node reaches a1 through its 127.0.0.1 mapping", fetch(node, "127.0.0.1", sc.ports["127.0.0.1"]),
             True)
    sc.check("an outside client reaches a1 through its every-address mapping",
             fetch(sc.outside, NODE_OUT, sc.ports[""]), True)
    sc.check("the node reaches a1 through its every-address mapping", fetch(node, GATEWAY, sc.ports[""]), True)


def spoofing(sc):
    e = sc.engine
    own, forged = sc.ip["spoofer"], "10.94.0.250"

    def ping(*cmd):
        return lambda: e.run("exec", "spoofer", "sh", "-c", " ".join(cmd), check=False, timeout=30)

    sc.check("the spoofer's own pings reach outside (control)",
             own in echo_sources(sc.outside, ping("ping -c 2 -W 1", OUTSIDE)), True)
    got = echo_sources(sc.outside, ping("ip addr add %s/32 dev eth0 && ping -c 2 -W 1 -I %s %s" % (
        forged, forged, OUTSIDE)))
    sc.check("a forged source address (NET_ADMIN) is dropped", forged in got, False)
    victim = sc.ip["a1"]
    got = echo_sources(sc.outside, ping("ip addr add %s/32 dev eth0 && ping -c 2 -W 1 -I %s %s" % (
        victim, victim, OUTSIDE)))
    sc.check("another job's address as the source is dropped", victim in got, False)
    got = echo_sources(sc.outside, ping("ip link set eth0 address 02:00:00:00:00:99 && ping -c 2 -W 1", OUTSIDE))
    sc.check("its own address with a forged MAC is dropped", own in got, False)


def detach_and_kill(sc):
    e, jobnet = sc.engine, sc.jobnet
    b1 = e.inspect("b1", "{{.Id}}")
    jobnet.detach(b1)
    e.run("rm", "-f", "b1")
    sc.node.expect_clean(b1)
    sc.check("detach leaves no record, reservation, veth or element of b1", True, True)
    sc.check("detach leaves no cache entry", b1 + ":eth0" in jobnet.cache_entries(), False)
    sc.check("a second detach succeeds", jobnet.detach(b1, check=False).returncode, 0)
    k1 = sc.run_container("k1", "--network", "none")
    sc.attach("k1", "--group", "g1", by="sandbox")
    e.run("kill", "k1")
    out = jobnet.ctl("gc").stdout
    sc.check("gc removes a container killed without detach", "%s/%s:eth0 (its namespace is gone)" % (
        NETWORK, k1) in out, True)
    sc.node.expect_clean(k1)
    sc.check("... and nothing of it is left", True, True)
    jobnet.detach(k1)
    e.run("rm", "-f", "k1")


def holder_form(sc):
    e, node = sc.engine, sc.node.ns
    sc.run_container("holder", "--network", "none", "--dns", GATEWAY, cmd=["sleep", "100000"])
    sc.attach("holder", "--group", "g1", "--publish", "0:80")
    proc = e.run("run", "-d", "--name", "jobdns", "--network", "container:holder", "--dns", GATEWAY, IMAGE, *WEB,
                 check=False)
    sc.check("--dns on the job is refused in the holder form", (proc.returncode, "conflicting options" in
                                                                proc.stderr), (125, True))
    sc.run_container("job", "--network", "container:holder")
    sc.check("the job has the holder's --dns", sc.cat("job", "/etc/resolv.conf").split(), ["nameserver", GATEWAY])
    sc.check("the job's entrypoint found the network (holder form)", sc.cat("job", "/tmp/net-at-start").strip(),
             "present")
    sc.check("the node reaches the job through the holder's address", fetch(node, sc.ip["holder"], 80), True)
    before = sc.jobnet.ctl("list", "--json").stdout
    e.run("restart", "-t", "1", "job")
    sc.check("after docker restart, the job's entrypoint found the network again",
             sc.cat("job", "/tmp/net-at-start").strip(), "present")
    sc.check("after docker restart, the node reaches the job at the same address", fetch(node, sc.ip["holder"], 80),
             True)
    sc.check("after docker restart, the attachment is unchanged",
             [(a["containerID"], a["ips"]) for a in json.loads(sc.jobnet.ctl("list", "--json").stdout)],
             [(a["containerID"], a["ips"]) for a in json.loads(before)])


def plain_restart(sc):
    """Without a holder, docker restart gives the container a new namespace."""
    e, jobnet = sc.engine, sc.jobnet
    r1 = sc.run_container("r1", "--network", "none")
    old_key = e.inspect("r1", "{{.NetworkSettings.SandboxKey}}")
    sc.attach("r1", "--group", "g1")
    old_ip = sc.ip["r1"]
    e.run("restart", "-t", "1", "r1")
    sc.check("docker restart gives a new namespace", e.inspect("r1", "{{.NetworkSettings.SandboxKey}}") != old_key,
             True)
    sc.check("... without the jobnet interface", e.run("exec", "r1", "ip", "link", "show", "eth0",
                                                       check=False).returncode != 0, True)
    proc = sc.attach_raw("r1")
    sc.check("attach before detach is refused (error 104)", (proc.returncode, json.loads(proc.stdout)["code"]),
             (1, 104))
    jobnet.detach(r1)
    sc.attach("r1", "--group", "g1")
    sc.check("detach then attach gives a new address", sc.ip["r1"] != old_ip, True)
    sc.check("the node reaches it there", fetch(sc.node.ns, sc.ip["r1"], 80), True)


def dockerd_killed(sc):
    e, jobnet = sc.engine, sc.jobnet
    records = sc.node.records()
    e.kill_dockerd()
    sc.check("after SIGKILL of dockerd the containers still run", fetch(sc.node.ns, sc.ip["a1"], 80), True)
    out = jobnet.ctl("gc").stdout
    sc.check("... so gc removes nothing", (out.strip().splitlines()[-1], sc.node.records()),
             ("0 removed, 0 failure(s)", records))
    took = e.start()
    print("     dockerd answered again after %.1f s" % took, flush=True)
    sc.check("dockerd started again stops the containers it had", jn.wait_for(
        lambda: e.run("ps", "-q").stdout.strip() == "", timeout=30), True)
    out = jobnet.ctl("gc").stdout
    sc.check("gc removes every attachment", out.strip().splitlines()[-1], "%d removed, 0 failure(s)" % len(records))
    if sc.node.records():
        print("     gc said:\n" + out, flush=True)
    sc.node_is_clean("after gc")
    for entry in jobnet.cache_entries():
        jobnet.detach(entry.split(":")[0])
    sc.check("the agent's detaches afterwards empty the cache", jobnet.cache_entries(), [])
    sc.check("verify finds no drift", jobnet.ctl("verify", check=False).returncode, 0)


def scenario(env, tmp, results):
    sc = Scenario(env, tmp, results)
    for step in (docker_caveats, attach_jobs, isolation, spoofing, detach_and_kill, holder_form, plain_restart,
                 dockerd_killed):
        step(sc)


def main():
    if os.geteuid() != 0:
        print("0 passed, 1 failed (needs root)")
        return 1
    ensure_packages()
    root = os.path.dirname(os.path.dirname(HERE))
    build = os.environ.get("BUILD", os.path.join(root, "build"))
    env = jn.Env(jn.Plugin(os.path.join(build, "jobnet"), os.path.join(build, "jobnetctl")), None)
    tmp = tempfile.mkdtemp(prefix="jobnet-docker-")
    env.defer(shutil.rmtree, tmp, True)
    results = []
    try:
        scenario(env, tmp, results)
    except Exception as e:  # the scenario itself broke: one failure more, with the reason
        print("FAIL %s" % e)
        results.append(("scenario", False))
    finally:
        problems = env.close()
    passed = sum(1 for _, ok in results if ok)
    failed = len(results) - passed + (1 if problems else 0)
    if problems:
        print("FAIL cleanup: %s" % problems)
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
