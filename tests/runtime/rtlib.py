"""What the runtime tests share: packages, a busybox image, checks, HTTP
probes from inside namespaces, and a private mount and PID namespace for a
container runtime.

Every runtime runs inside a node namespace the test made (tests/lib/jn.py)
and, for containerd, inside a Sandbox: a private mount and PID namespace in
which the directories a runtime insists on (/etc/cni/net.d, /opt/cni/bin,
/run/containerd) are bind mounts of temporary directories. Killing the
sandbox's init kills every process in it (containerd, its shims, the
containers), and its mounts go with it.
"""

import hashlib
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
ROOT = os.path.dirname(TESTS)
sys.path.insert(0, os.path.join(TESTS, "lib"))

import jn  # noqa: E402

BODY = "hello from jobnet"
APPLETS = ("sh", "httpd", "nc", "sleep", "ip", "cat", "echo", "ifconfig", "true", "ls")


def _installed(package):
    out = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True).stdout
    return "ok installed" in out


def _apt(*args):
    """apt-get, waiting while another process holds the dpkg lock."""
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    deadline = time.time() + 900
    while True:
        proc = subprocess.run(["apt-get", "-o", "DPkg::Lock::Timeout=60"] + list(args), capture_output=True,
                              text=True, env=env)
        if proc.returncode == 0:
            return
        locked = "lock" in (proc.stderr + proc.stdout).lower()
        if not locked or time.time() > deadline:
            raise RuntimeError("apt-get %s: %s" % (" ".join(args), proc.stderr.strip()[-2000:]))
        time.sleep(5)


POLICY_RC_D = "/usr/sbin/policy-rc.d"


def ensure_packages(packages):
    """Install what is missing. Installing a runtime (docker.io, containerd)
    would start the machine's own daemon: while a policy-rc.d that says no
    is in place (Debian's own way; one made here goes afterwards), none is
    started."""
    missing = [p for p in packages if not _installed(p)]
    if not missing:
        return
    print("installing: %s" % " ".join(missing), flush=True)
    made_guard = not os.path.exists(POLICY_RC_D)
    if made_guard:
        with open(POLICY_RC_D, "w") as f:
            f.write("#!/bin/sh\n# jobnet's runtime tests: start no service while installing\nexit 101\n")
        os.chmod(POLICY_RC_D, 0o755)
    try:
        _apt("update", "-qq")
        _apt("install", "-y", "-qq", "--no-install-recommends", *missing)
    finally:
        if made_guard:
            os.unlink(POLICY_RC_D)


def binaries():
    build = os.environ.get("BUILD", os.path.join(ROOT, "build"))
    return os.path.join(build, "jobnet"), os.path.join(build, "jobnetctl")


# ---------------------------------------------------------------- images


def make_rootfs(tmp, name="rootfs"):
    """A directory with the static busybox, its applets and /www/index.html."""
    rootfs = os.path.join(tmp, name)
    for d in ("bin", "etc", "proc", "sys", "dev", "tmp", "www", "run"):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
    shutil.copy("/bin/busybox", os.path.join(rootfs, "bin", "busybox"))
    for applet in APPLETS:
        os.symlink("busybox", os.path.join(rootfs, "bin", applet))
    with open(os.path.join(rootfs, "www", "index.html"), "w") as f:
        f.write(BODY + "\n")
    return rootfs


def make_rootfs_tar(tmp):
    """The rootfs as a plain tarball (podman import)."""
    path = os.path.join(tmp, "busybox.tar")
    with tarfile.open(path, "w") as tar:
        tar.add(make_rootfs(tmp), arcname=".")
    return path


def _arch():
    machine = os.uname().machine
    return {"x86_64": "amd64", "aarch64": "arm64"}.get(machine, machine)


def make_oci_tar(tmp, name, cmd):
    """An OCI image layout tarball of the busybox rootfs, one layer, whose
    index names the image `name` (ctr images import reads the name from the
    io.containerd.image.name annotation)."""
    layer = io.BytesIO()
    with tarfile.open(fileobj=layer, mode="w") as tar:
        tar.add(make_rootfs(tmp, "oci-rootfs"), arcname=".")
    layer = layer.getvalue()
    blobs = {}

    def blob(data):
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[digest] = data
        return digest

    layer_digest = blob(layer)
    config = json.dumps({"architecture": _arch(), "os": "linux",
                         "config": {"Cmd": list(cmd), "Env": ["PATH=/bin"], "WorkingDir": "/"},
                         "rootfs": {"type": "layers", "diff_ids": [layer_digest]}}).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": blob(config),
                   "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest,
                    "size": len(layer)}]}).encode()
    index = json.dumps({"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": blob(manifest),
        "size": len(manifest), "platform": {"architecture": _arch(), "os": "linux"},
        "annotations": {"io.containerd.image.name": name,
                        "org.opencontainers.image.ref.name": name.rsplit(":", 1)[-1]}}]}).encode()
    path = os.path.join(tmp, "busybox-oci.tar")
    with tarfile.open(path, "w") as tar:
        def add(arcname, data):
            info = tarfile.TarInfo(arcname)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        add("oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        add("index.json", index)
        for digest, data in blobs.items():
            add("blobs/sha256/" + digest.split(":")[1], data)
    return path


# ---------------------------------------------------------------- checks


class Results:
    """Named checks, printed as they happen; the summary line at the end."""

    def __init__(self):
        self.items = []

    def check(self, label, got, want=True, detail=None):
        ok = got == want
        self.items.append((label, ok))
        line = "%-4s %s" % ("ok" if ok else "FAIL", label)
        if not ok:
            line += "\n     got %r, want %r" % (got, want)
            if detail:
                line += "\n     " + str(detail).strip().replace("\n", "\n     ")[:3000]
        print(line, flush=True)
        return ok

    def fail(self, label, detail):
        return self.check(label, False, True, detail)

    @property
    def passed(self):
        return sum(1 for _, ok in self.items if ok)

    @property
    def failed(self):
        return sum(1 for _, ok in self.items if not ok)


class NsPath:
    """A namespace known by a path (what jn.socket_in and jn.entered need)."""

    def __init__(self, path):
        self.path = path


def http_get(ns_path, host, port, timeout=2.0):
    """GET / from inside the namespace at ns_path; True when the page came back."""
    try:
        s = jn.socket_in(NsPath(ns_path), host, socket.SOCK_STREAM)
    except OSError:
        return False
    try:
        s.settimeout(timeout)
        s.connect((host, port))
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        return BODY.encode() in data
    except OSError:
        return False
    finally:
        s.close()


def reaches(ns_path, host, port, timeout=5.0):
    """Whether the page comes back within timeout: a probe that should get
    through may lose its first packet to address resolution, or find the
    server still starting."""
    return jn.wait_for(lambda: http_get(ns_path, host, port, timeout=1.0), timeout=timeout, interval=0.2)


def port_free(ns_path, host, port):
    """True when host:port can be bound inside the namespace: no socket holds
    it (SO_REUSEADDR: connections of the past in TIME_WAIT do not count)."""
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with jn.entered(ns_path):
        s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def jobnet_links(node):
    """The node's host veths of jobs (jn + 12 hex digits)."""
    return sorted(l["ifname"] for l in node.ns.ip_json("link", "show") if re.fullmatch(r"jn[0-9a-f]{12}", l["ifname"]))


def leftovers(node):
    """What jobnet holds in the node: records, reservations, host veths,
    job elements, port mappings, port claims and relay processes."""
    found = {}
    if node.records():
        found["records"] = node.records()
    if node.reservations():
        found["reservations"] = sorted(node.reservations())
    if jobnet_links(node):
        found["veths"] = jobnet_links(node)
    for s in ("job_addrs4", "job_addrs6", "job_talk4", "portmap4", "portmap_any4"):
        elems = node.nft_set(s)
        if elems:
            found[s] = elems
    ports = os.path.join(node.state_dir, "policy", "ports")
    if os.path.isdir(ports):
        claims = [os.path.join(d, f) for d in os.listdir(ports) for f in os.listdir(os.path.join(ports, d))]
        if claims:
            found["port claims"] = claims
    relays = [p for p in node.ns.processes() if comm(p) == "jobnet-relay"]
    if relays:
        found["relays"] = relays
    return found


def comm(pid):
    """The command name of a process; "" when it is gone."""
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return ""


# ---------------------------------------------------------------- the machine


def host_snapshot():
    """What a runtime test must not change in the machine: its own links and
    ruleset, the CNI directories runtimes read (/etc/cni, /opt/cni), whether
    containerd's and Docker's default directories exist (and what /etc/docker
    holds), and the names of namespaces a CRI runtime would make in
    /var/run/netns by default (cni-*)."""
    ruleset = subprocess.run(["nft", "list", "ruleset"], capture_output=True, text=True).stdout
    links = sorted(l["ifname"] for l in json.loads(subprocess.run(["ip", "-j", "link", "show"],
                                                                  capture_output=True, text=True).stdout or "[]"))
    files = {}
    for top in ("/etc/cni", "/opt/cni"):
        if os.path.exists(top):
            files[top] = sorted(os.path.join(d, f) for d, dirs, fs in os.walk(top) for f in dirs + fs)
    dirs = [d for d in ("/run/containerd", "/var/lib/containerd") if os.path.exists(d)]
    docker = [d for d in ("/run/docker", "/var/run/docker.sock", "/var/lib/docker", "/opt/containerd")
              if os.path.exists(d)]
    if os.path.isdir("/etc/docker"):
        docker += sorted(os.path.join(d, f) for d, dirs_, fs in os.walk("/etc/docker") for f in dirs_ + fs)
    netns = sorted(n for n in os.listdir("/var/run/netns") if n.startswith("cni-")) \
        if os.path.isdir("/var/run/netns") else []
    return {"ruleset": ruleset, "links": links, "CNI directories": files, "containerd directories": dirs,
            "Docker's files": docker, "cni-* namespaces": netns}


def main(packages, scenario):
    """Run scenario(env, tmp, results) with cleanup on every path; print the
    summary line; the exit status."""
    if os.geteuid() != 0:
        print("0 passed, 1 failed (needs root)")
        return 1
    try:
        ensure_packages(packages)
    except RuntimeError as e:
        print("FAIL installing what the test needs: %s\n0 passed, 1 failed" % e)
        return 1
    plugin, ctl = binaries()
    results = Results()
    before = host_snapshot()
    env = jn.Env(jn.Plugin(plugin, ctl), None)
    tmp = tempfile.mkdtemp(prefix="jobnet-runtime-")
    env.defer(shutil.rmtree, tmp, True)
    started = time.time()
    try:
        scenario(env, tmp, results)
    except Exception as e:  # the scenario broke: one failure, with the reason
        import traceback
        results.fail("scenario ran to its end", "%s\n%s" % (e, traceback.format_exc()))
    finally:
        problems = env.close()
    if problems:
        results.fail("cleanup", problems)
    after = host_snapshot()
    for key in before:
        if before[key] != after[key]:
            results.fail("the machine's own %s unchanged" % key, "before %r\nafter %r" % (before[key], after[key]))
    print("took %.0fs" % (time.time() - started))
    print("%d passed, %d failed" % (results.passed, results.failed))
    return 0 if results.failed == 0 else 1


# ---------------------------------------------------------------- sandbox

_INIT = r"""
import json, os, signal, subprocess, sys, time
spec = json.loads(sys.argv[1])
for i, (target, source) in enumerate(spec["binds"]):
    if not os.path.isdir(target):
        # The mount point is missing on the machine: lay an overlay (its
        # upper layer in the test's directory) over the nearest existing
        # ancestor and make the directory there, in this namespace only.
        top = target
        while not os.path.isdir(top):
            top = os.path.dirname(top)
        upper = os.path.join(spec["dir"], "overlay%d" % i)
        os.makedirs(upper + "/upper")
        os.makedirs(upper + "/work")
        subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                        "lowerdir=%s,upperdir=%s/upper,workdir=%s/work" % (top, upper, upper), top], check=True)
        os.makedirs(target, exist_ok=True)
    subprocess.run(["mount", "--bind", source, target], check=True)
print("ready", flush=True)
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
while True:  # init of the PID namespace: reap the orphans
    try:
        os.wait()
    except ChildProcessError:
        time.sleep(0.2)
"""


class Sandbox:
    """A private mount and PID namespace: binds maps a directory a runtime
    insists on to a temporary directory. cmd() builds the command line of a
    program run inside it (and inside a network namespace). path() names a
    file as the sandbox sees it, from outside."""

    def __init__(self, env, tmp, binds):
        self.dir = os.path.join(tmp, "sandbox")
        self.after_close = []
        os.makedirs(self.dir)
        spec = json.dumps({"binds": sorted(binds.items()), "dir": self.dir})
        self.proc = subprocess.Popen(["unshare", "--mount", "--pid", "--fork", "--mount-proc",
                                      "--propagation", "private", sys.executable, "-c", _INIT, spec],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        env.defer(self.close)
        line = self.proc.stdout.readline()
        if line.strip() != "ready":
            raise jn.TestFailure("the sandbox did not start: %s %s" % (line, self.proc.stderr.read()))
        self.init = self._child(self.proc.pid)
        self.pidns = os.stat("/proc/%d/ns/pid" % self.init).st_ino

    @staticmethod
    def _child(pid):
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return int(f.read().split()[0])

    def cmd(self, argv, net=None):
        prefix = ["nsenter", "--mount=/proc/%d/ns/mnt" % self.init, "--pid=/proc/%d/ns/pid" % self.init]
        if net is not None:
            prefix.append("--net=" + net)
        return prefix + list(argv)

    def path(self, p):
        return "/proc/%d/root%s" % (self.init, p)

    def processes(self):
        found = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.stat("/proc/%s/ns/pid" % entry).st_ino == self.pidns:
                        found.append(int(entry))
                except OSError:
                    pass
        return found

    def close(self):
        """Kill the namespace's init: the kernel kills everything in it."""
        if self.proc.poll() is None:
            try:
                os.kill(self.init, signal.SIGKILL)
            except (OSError, AttributeError):
                self.proc.kill()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if hasattr(self, "pidns") and not jn.wait_for(lambda: not self.processes(), timeout=10):
            raise RuntimeError("processes of the sandbox still run: %s" % self.processes())
        for fn in self.after_close:
            fn()


def remove_cgroups(name):
    """Remove the cgroup directories named name (and below) in every
    hierarchy; a cgroup whose processes are still exiting is retried."""
    def remove():
        left = []
        for top in os.listdir("/sys/fs/cgroup"):
            base = os.path.join("/sys/fs/cgroup", top, name)
            for d, _, _ in sorted(os.walk(base), key=lambda t: -len(t[0])):
                try:
                    os.rmdir(d)
                except OSError:
                    left.append(d)
        return left
    if not jn.wait_for(lambda: not remove(), timeout=5, interval=0.2):
        raise RuntimeError("cgroups left: %s" % remove())


# ---------------------------------------------------------------- containerd


class Containerd:
    """containerd 1.6 in a sandbox, in the node's namespace, with its own
    root, state, socket and configuration file under tmp. extra is TOML
    appended to the configuration (the CRI plugin's section)."""

    def __init__(self, env, sandbox, node, tmp, cri=None, cgroup="jobnet-rt"):
        self.sandbox = sandbox
        self.node = node
        self.dir = os.path.join(tmp, "containerd")
        os.makedirs(os.path.join(self.dir, "tmp"))
        self.address = os.path.join(self.dir, "containerd.sock")
        self.cgroup = "%s-%d" % (cgroup, os.getpid())
        disabled = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.btrfs",
                    "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs",
                    "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp",
                    "io.containerd.internal.v1.tracing"]
        if cri is None:
            disabled.append("io.containerd.grpc.v1.cri")
        conf = ['version = 2', 'root = "%s/root"' % self.dir, 'state = "%s/state"' % self.dir,
                'temp = "%s/tmp"' % self.dir, 'disabled_plugins = %s' % json.dumps(disabled),
                '[grpc]', '  address = "%s"' % self.address,
                '[ttrpc]', '  address = "%s.ttrpc"' % self.address,
                '[debug]', '  address = ""', '  level = "info"', '[metrics]', '  address = ""']
        if cri is not None:
            conf.append(cri)
        self.config = os.path.join(self.dir, "config.toml")
        with open(self.config, "w") as f:
            f.write("\n".join(conf) + "\n")
        self.log_path = os.path.join(self.dir, "containerd.log")
        self.log = open(self.log_path, "w")
        sandbox.after_close.append(lambda: remove_cgroups(self.cgroup))
        env.defer(self.log.close)
        self.proc = subprocess.Popen(sandbox.cmd(["containerd", "--config", self.config], net=node.ns.path),
                                     stdout=self.log, stderr=subprocess.STDOUT)
        if not jn.wait_for(lambda: self.ctr("version", check=False).returncode == 0 or self.proc.poll() is not None,
                           timeout=30, interval=0.2) or self.proc.poll() is not None:
            raise jn.TestFailure("containerd did not start:\n%s" % self.log_tail())

    def log_tail(self, lines=40):
        with open(self.log_path) as f:
            return "".join(f.readlines()[-lines:])

    def ctr(self, *args, check=True, timeout=60, namespace="jobnet"):
        proc = subprocess.run(self.sandbox.cmd(["ctr", "--address", self.address, "--namespace", namespace]
                                               + list(args), net=self.node.ns.path),
                              capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise jn.TestFailure("ctr %s: %s %s" % (" ".join(args), proc.stdout, proc.stderr))
        return proc

    def ctl(self, *args, check=True):
        """jobnetctl inside the sandbox (it sees the namespaces' paths as the plugin did)."""
        plugin = self.node.plugin
        proc = subprocess.run(self.sandbox.cmd(plugin.wrapper + [plugin.ctl, "--state-dir", self.node.state_dir]
                                               + list(args), net=self.node.ns.path),
                              capture_output=True, text=True, timeout=120)
        if check and proc.returncode != 0:
            raise jn.TestFailure("jobnetctl %s failed (%d): %s%s" % (" ".join(args), proc.returncode, proc.stdout,
                                                                      proc.stderr))
        return proc


def write_conflist(directory, name, plugin, cni_version="1.0.0", filename=None, alone=True):
    """A conflist of one plugin; alone: the only file of the directory
    (runtimes load the first one they find)."""
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, filename or "10-%s.conflist" % name)
    if alone:
        for f in os.listdir(directory):
            if os.path.join(directory, f) != path:
                os.unlink(os.path.join(directory, f))
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump({"cniVersion": cni_version, "name": name, "plugins": [plugin]}, f, indent=2)
    os.rename(tmp, path)
    return path


def shipped_conflist(which):
    """A conflist jobnet ships: "conf" (conf/10-jobnet.conflist) or
    "daemonset" (the ConfigMap of conf/kubernetes/jobnet-daemonset.yaml)."""
    if which == "conf":
        with open(os.path.join(ROOT, "conf", "10-jobnet.conflist")) as f:
            return json.load(f)
    with open(os.path.join(ROOT, "conf", "kubernetes", "jobnet-daemonset.yaml")) as f:
        text = f.read()
    start = text.index("{", text.index("10-jobnet.conflist: |"))
    return json.JSONDecoder().raw_decode(text[start:])[0]


POD_CIDR = "10.244.7.0/24"  # the node's pod CIDR, inside the DaemonSet's cluster subnet


def node_subnet(conf):
    """The conflist as the DaemonSet's install.sh fills it in on a node whose
    pod CIDR is POD_CIDR (conf/kubernetes/node-subnet.sh itself)."""
    with tempfile.TemporaryDirectory(prefix="jobnet-runtime-cidr-") as d:
        template, cidrs, out = (os.path.join(d, n) for n in ("template.conflist", "pod-cidrs", "out.conflist"))
        with open(template, "w") as f:
            json.dump(conf, f)
        with open(cidrs, "w") as f:
            f.write(POD_CIDR + "\n")
        subprocess.run(["sh", os.path.join(ROOT, "conf", "kubernetes", "node-subnet.sh"), template, cidrs, out],
                       check=True)
        with open(out) as f:
            return json.load(f)


def write_shipped(directory, which, node, log_file):
    """The shipped conflist as it is, but for what must stay in the test's
    own directories (stateDir, logFile), and the DaemonSet's with the node's
    pod CIDR filled in as it does; returns it."""
    conf = shipped_conflist(which)
    if which == "daemonset":
        conf = node_subnet(conf)
    plugin = conf["plugins"][0]
    plugin.update(stateDir=node.state_dir, logFile=log_file)
    write_conflist(directory, conf["name"], plugin, cni_version=conf["cniVersion"])
    return conf


def plugin_conf(node, **keys):
    """The jobnet entry of a conflist for this node (its state directory)."""
    conf = {"type": "jobnet", "stateDir": node.state_dir}
    conf.update(keys)
    return {k: v for k, v in conf.items() if v is not None}
