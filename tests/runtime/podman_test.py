#!/usr/bin/env python3
"""make test-runtime: two containers through podman's CNI backend on a
jobnet network, inside a throwaway node namespace.

Podman (with runc) runs in the node namespace through nsenter, with its
storage, configuration and CNI directory in temporary directories; the
image is a busybox rootfs imported from a tarball. Checked: the two
containers cannot reach each other (no group), the node reaches them, a port
mapping on a node address and one on every address reach the container (and
the container itself, hairpin), DEL leaves nothing. Podman reserves mapped
host ports by binding them itself after ADD, so jobnet's loopback mappings
(whose relay binds 127.0.0.1) are not used with podman. Ends with
"N passed, N failed".
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))

import jn  # noqa: E402

PACKAGES = ["podman", "runc", "busybox-static"]


def ensure_packages():
    missing = [p for p in PACKAGES if subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True,
                                                     text=True).stdout.find("ok installed") < 0]
    if missing:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing, check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def make_rootfs_tar(tmp):
    rootfs = os.path.join(tmp, "rootfs")
    os.makedirs(os.path.join(rootfs, "bin"))
    for d in ("etc", "proc", "sys", "dev", "tmp", "www"):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
    shutil.copy("/bin/busybox", os.path.join(rootfs, "bin", "busybox"))
    for applet in ("sh", "httpd", "nc", "sleep", "ip", "cat", "echo", "ifconfig"):
        os.symlink("busybox", os.path.join(rootfs, "bin", applet))
    with open(os.path.join(rootfs, "www", "index.html"), "w") as f:
        f.write("hello from jobnet\n")
    path = os.path.join(tmp, "busybox.tar")
    with tarfile.open(path, "w") as tar:
        tar.add(rootfs, arcname=".")
    return path


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


def container_ip(podman, name):
    data = json.loads(podman.run("inspect", name).stdout)[0]
    nets = data["NetworkSettings"]["Networks"]
    return list(nets.values())[0]["IPAddress"]


def scenario(env, tmp):
    node = env.node(name="jobnet-rt")
    cni_dir = os.path.join(tmp, "net.d")
    os.makedirs(cni_dir)
    conf = node.conf(name="jobnet-rt", subnet="10.93.0.0/24",
                     capabilities={"portMappings": True, "ips": True})
    plugin = {k: v for k, v in conf.items() if k not in ("cniVersion", "name")}
    with open(os.path.join(cni_dir, "10-jobnet-rt.conflist"), "w") as f:
        json.dump({"cniVersion": "1.0.0", "name": "jobnet-rt", "plugins": [plugin]}, f)
    podman = Podman(node, tmp, cni_dir, os.path.dirname(env.plugin.path))
    podman.run("import", make_rootfs_tar(tmp), "localhost/jobnet-busybox")
    # Registered before the first container starts, so a failing start
    # leaves nothing running.
    env.defer(lambda: podman.run("rm", "-f", "-a", check=False))
    limits = ["--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024"]
    run = ["run", "-d", "--network", "jobnet-rt"] + limits
    podman.run(*(run + ["--name", "web", "-p", "10.93.0.1:18081:80", "-p", "18082:80", "localhost/jobnet-busybox",
                        "httpd", "-f", "-p", "80", "-h", "/www"]))
    podman.run(*(run + ["--name", "other", "localhost/jobnet-busybox", "httpd", "-f", "-p", "80", "-h", "/www"]))
    web, other = container_ip(podman, "web"), container_ip(podman, "other")
    results = []

    def fetch(via, host, port):
        """GET / from the node (via a namespace) or from a container (via exec args)."""
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
                return b"hello from jobnet" in data
            except OSError:
                return False
            finally:
                s.close()
        cmd = "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 2 %s %d" % (host, port)
        proc = subprocess.run(via + ["sh", "-c", cmd], capture_output=True, text=True, timeout=30)
        return "hello from jobnet" in proc.stdout

    def check(label, got, want):
        results.append((label, got == want))
        print("%-4s %s" % ("ok" if got == want else "FAIL", label), flush=True)

    node_sh = node.ns
    in_web = podman.base + ["exec", "web"]
    # httpd starts in the background of podman run.
    jn.wait_for(lambda: fetch(node_sh, web, 80), timeout=10)
    check("the node reaches web directly", fetch(node_sh, web, 80), True)
    check("the node reaches web through the address its mapping names", fetch(node_sh, "10.93.0.1", 18081), True)
    check("the node reaches web through an every-address mapping", fetch(node_sh, "10.93.0.1", 18082), True)
    check("other is not reached from web", fetch(in_web, other, 80), False)
    check("web reaches itself (the exec path works)", fetch(in_web, web, 80), True)
    check("web reaches itself through its mapping (hairpin)", fetch(in_web, "10.93.0.1", 18081), True)
    rec = json.loads(node.ctl("list", "--json").stdout)
    check("jobnetctl lists both containers", len(rec), 2)
    podman.run("rm", "-f", "-a")
    check("no attachment left after podman rm", node.records(), [])
    check("no veth left", [l["ifname"] for l in node.ns.ip_json("link", "show") if l["ifname"].startswith("jn")], [])
    return results


def main():
    if os.geteuid() != 0:
        print("0 passed, 1 failed (needs root)")
        return 1
    ensure_packages()
    root = os.path.dirname(os.path.dirname(HERE))
    build = os.environ.get("BUILD", os.path.join(root, "build"))
    env = jn.Env(jn.Plugin(os.path.join(build, "jobnet"), os.path.join(build, "jobnetctl")), None)
    tmp = tempfile.mkdtemp(prefix="jobnet-runtime-")
    env.defer(shutil.rmtree, tmp, True)
    try:
        results = scenario(env, tmp)
    except Exception as e:  # the scenario itself broke: one failure, with the reason
        print("FAIL %s" % e)
        results = [("scenario", False)]
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
