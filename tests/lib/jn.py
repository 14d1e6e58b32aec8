"""Helpers for jobnet's tests on the real kernel.

Every test gets an Env. Everything it makes (namespaces, state directories,
listeners) is registered there and removed when the test ends, pass or fail.
The plugin only ever runs inside a node namespace the test made, and all
traffic goes to addresses inside namespaces the test made.
"""

import contextlib
import ctypes
import fcntl
import ipaddress
import itertools
import json
import os
import re
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

from nodestate import FINGERPRINT_PARTS, canonical, differences, element_key, element_values, fingerprint, ruleset

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/var/run/netns"
PREFIX = "jnt"  # every namespace a test makes starts with this

# The plugin's environment carries RUN_MARKER=<run id>, and so do the relays
# it forks: relays() finds this run's among those of runs beside it. A run
# started by a test (the demo) inherits the marker and extends the id, so
# its namespaces and relays count as the test's.
RUN_MARKER = "JOBNET_TEST_RUN"

_libc = ctypes.CDLL(None, use_errno=True)
_counter = itertools.count(1)
_run_id = os.environ.get(RUN_MARKER) or "%04x" % (os.getpid() & 0xFFFF)


class TestFailure(AssertionError):
    pass


def expect(condition, message):
    if not condition:
        raise TestFailure(message)


def expect_eq(actual, wanted, what):
    if actual != wanted:
        raise TestFailure("%s: got %r, want %r" % (what, actual, wanted))


def sh(*cmd, check=True, input=None, timeout=20):
    """Run a command in the runner's own namespace (only used for ip netns)."""
    proc = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise TestFailure("%s failed (%d): %s" % (" ".join(cmd), proc.returncode, proc.stderr.strip()))
    return proc


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


@contextlib.contextmanager
def entered(netns_path):
    """Run the body with this thread inside the namespace; always come back."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(netns_path, os.O_RDONLY)
    try:
        _setns(target)
        try:
            yield
        finally:
            _setns(home)
    finally:
        os.close(target)
        os.close(home)


class Netns:
    def __init__(self, role):
        self.name = "%s%s%d-%s" % (PREFIX, _run_id, next(_counter), role)
        self.name = self.name[:40]
        self.path = os.path.join(NETNS_DIR, self.name)
        sh("ip", "netns", "add", self.name)
        self.run("ip", "link", "set", "lo", "up")

    def run(self, *cmd, check=True, input=None, timeout=20):
        proc = subprocess.run(("ip", "netns", "exec", self.name) + cmd, input=input, capture_output=True,
                              text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise TestFailure("in %s: %s failed (%d): %s %s" % (self.name, " ".join(cmd), proc.returncode,
                                                                 proc.stdout.strip(), proc.stderr.strip()))
        return proc

    def ip(self, *args, check=True):
        return self.run("ip", *args, check=check)

    def ip_json(self, *args):
        out = self.run("ip", "-j", *args).stdout
        return json.loads(out) if out.strip() else []

    def sysctl(self, key, value):
        self.run("sysctl", "-q", "-w", "%s=%s" % (key, value))

    def link_exists(self, name):
        return self.ip("link", "show", "dev", name, check=False).returncode == 0

    def addresses(self, dev):
        found = []
        for link in self.ip_json("addr", "show", "dev", dev):
            for a in link.get("addr_info", []):
                found.append("%s/%d" % (a["local"], a["prefixlen"]))
        return found

    def processes(self):
        """Processes living in this namespace (relays, a runtime's children)."""
        try:
            ino = os.stat(self.path).st_ino
        except OSError:
            return []
        pids = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if os.stat("/proc/%s/ns/net" % entry).st_ino == ino:
                        pids.append(int(entry))
                except OSError:
                    pass
        return pids

    def delete(self):
        # Whatever still runs in the namespace would keep it alive.
        for pid in self.processes():
            try:
                os.kill(pid, 9)
            except OSError:
                pass
        sh("ip", "netns", "del", self.name, check=False)


class Result:
    def __init__(self, proc, command):
        self.command = command
        self.rc = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.json = None
        text = proc.stdout.strip()
        if text:
            try:
                self.json = json.loads(text)
            except ValueError:
                raise TestFailure("%s printed something that is not one JSON object: %r" % (command, text[:300]))
            expect(text.count("\n") == 0, "%s printed more than one line on stdout" % command)
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:", "UndefinedBehaviorSanitizer"):
            expect(marker not in proc.stderr, "%s: sanitizer report:\n%s" % (command, proc.stderr[-4000:]))

    @property
    def ok(self):
        return self.rc == 0

    @property
    def code(self):
        return self.json.get("code") if self.json else None

    def expect_ok(self):
        expect(self.rc == 0, "%s failed: rc=%d %s %s" % (self.command, self.rc, self.stdout.strip(),
                                                           self.stderr.strip()[-800:]))
        return self

    def expect_error(self, code, *words):
        expect(self.rc != 0, "%s succeeded, want error %d" % (self.command, code))
        expect(self.json is not None, "%s failed without an error object: %r" % (self.command, self.stderr))
        expect_eq(set(self.json), {"cniVersion", "code", "msg", "details"}, "%s error object keys" % self.command)
        expect(self.json["code"] == code, "%s: got error %r (%s), want %d" % (
            self.command, self.json.get("code"), self.json.get("msg"), code))
        text = (self.json["msg"] + " " + self.json["details"]).lower()
        for w in words:
            expect(w.lower() in text, "%s: error %r does not mention %r" % (self.command, self.json["msg"], w))
        return self


class Plugin:
    """The one way the suite runs the binaries, each in a node namespace
    through nsenter; JOBNET_WRAPPER (e.g. "valgrind -q --error-exitcode=99")
    puts a wrapper in front of them."""

    def __init__(self, path, ctl):
        self.path = path
        self.ctl = ctl
        self.wrapper = os.environ.get("JOBNET_WRAPPER", "").split()

    def environment(self, command, cid=None, ifname=None, netns=None, args=None, env=None):
        """The CNI_* environment of one run (None leaves a variable out)."""
        e = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "CNI_COMMAND": command, RUN_MARKER: _run_id}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                e[k] = os.environ[k]
        for k, v in (("CNI_CONTAINERID", cid), ("CNI_IFNAME", ifname), ("CNI_NETNS", netns), ("CNI_ARGS", args)):
            if v is not None:
                e[k] = v
        e.update(env or {})
        return e

    def command(self, node, binary=None):
        return ["nsenter", "--net=" + node.ns.path] + self.wrapper + [binary or self.path]

    def run(self, node, command, conf, cid=None, ifname=None, netns=None, args=None, env=None, stdin=None,
            timeout=60):
        data = conf if isinstance(conf, str) else json.dumps(conf)
        proc = subprocess.run(self.command(node), input=data if stdin is None else None, stdin=stdin,
                              capture_output=True, text=True, timeout=timeout,
                              env=self.environment(command, cid, ifname, netns, args, env))
        return Result(proc, "%s %s" % (command, cid or ""))

    def start(self, node, command, conf, cid=None, ifname="eth0", netns=None):
        """Start a run without waiting for it (to kill it): the Popen, its
        configuration already written to stdin, its output discarded."""
        proc = subprocess.Popen(self.command(node), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, env=self.environment(command, cid, ifname, netns))
        proc.stdin.write(json.dumps(conf).encode())
        proc.stdin.close()
        return proc

    def jobnetctl(self, node, *args, check=True, state_dir=True):
        """jobnetctl on the node's state, or (state_dir=False) on what the
        options in args name, as an operator runs it."""
        cmd = self.command(node, self.ctl) + (["--state-dir", node.state_dir] if state_dir else [])
        proc = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=120,
                              env=dict(os.environ, **{RUN_MARKER: _run_id}))
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            expect(marker not in proc.stderr, "jobnetctl: sanitizer report:\n%s" % proc.stderr[-4000:])
        if check and proc.returncode != 0:
            raise TestFailure("jobnetctl %s failed (%d): %s%s" % (" ".join(args), proc.returncode, proc.stdout,
                                                                  proc.stderr))
        return proc


def element_comments(ns):
    """(table, set, comment) of every element of jobnet's tables that has a comment."""
    found = []
    for obj in ruleset(ns):
        s = obj.get("set") or obj.get("map")
        if s is None or s["table"] != "jobnet":
            continue
        for e in s.get("elem", []):
            e = e[0] if isinstance(e, list) else e
            if isinstance(e, dict) and "elem" in e and "comment" in e["elem"]:
                found.append(("%s %s" % (s["family"], s["table"]), s["name"], e["elem"]["comment"]))
    return found


class Node:
    """A throwaway node: its own namespace and state directory."""

    def __init__(self, env, name="jobnet-test"):
        self.env = env
        self.ns = env.netns("node")
        self.state_dir = env.tempdir("state")
        self.network = name
        self.plugin = env.plugin

    def conf(self, **overrides):
        conf = {"cniVersion": "1.1.0", "name": self.network, "type": "jobnet", "subnet": "10.77.0.0/24",
                "stateDir": self.state_dir}
        conf.update(overrides)
        return {k: v for k, v in conf.items() if v is not None}

    def run(self, command, conf=None, **kw):
        return self.plugin.run(self, command, conf if conf is not None else self.conf(), **kw)

    def add(self, job, cid, ifname="eth0", conf=None, **kw):
        kw.setdefault("netns", job.path if job else None)
        return self.run("ADD", conf, cid=cid, ifname=ifname, **kw)

    def delete(self, cid, ifname="eth0", conf=None, job=None, **kw):
        return self.run("DEL", conf, cid=cid, ifname=ifname, netns=job.path if job else None, **kw)

    def check(self, job, cid, prev, ifname="eth0", conf=None, **kw):
        c = dict(conf or self.conf())
        c["prevResult"] = prev
        kw.setdefault("netns", job.path if job else None)
        return self.run("CHECK", c, cid=cid, ifname=ifname, **kw)

    def ctl(self, *args, check=True, state_dir=True):
        return self.plugin.jobnetctl(self, *args, check=check, state_dir=state_dir)

    def nft(self, *args, check=True):
        return self.ns.run("nft", *args, check=check)

    def nft_set(self, name, table="inet jobnet"):
        """Elements of a set (or map keys) as a list of strings."""
        proc = self.ns.run("nft", "-j", "list", "set", *table.split(), name, check=False)
        if proc.returncode != 0:
            return None
        for obj in json.loads(proc.stdout)["nftables"]:
            s = obj.get("set") or obj.get("map")
            if s is not None:
                return [element_key(e) for e in s.get("elem", [])]
        return []

    def records(self, network=None):
        d = os.path.join(self.state_dir, network or self.network, "attachments")
        return sorted(f for f in os.listdir(d) if not f.startswith(".")) if os.path.isdir(d) else []

    def reservations(self, network=None):
        d = os.path.join(self.state_dir, network or self.network, "ipam")
        if not os.path.isdir(d):
            return {}
        return {f: os.readlink(os.path.join(d, f)) for f in os.listdir(d) if os.path.islink(os.path.join(d, f))}

    def fingerprint(self, contents=False, parts=FINGERPRINT_PARTS):
        """The node's namespace and state directory (see fingerprint())."""
        return fingerprint(self.ns, self.state_dir, contents, parts)

    def elements(self, tables=("inet jobnet", "bridge jobnet")):
        """Every element of every set and map of these tables (None: of all
        tables) as (table, set, values, text): values are the strings the
        element's key and data are made of (addresses canonical), text is
        the element as nft writes it."""
        found = []
        for obj in ruleset(self.ns):
            s = obj.get("set") or obj.get("map")
            if s is None or (tables is not None and "%s %s" % (s["family"], s["table"]) not in tables):
                continue
            for e in s.get("elem", []):
                found.append(("%s %s" % (s["family"], s["table"]), s["name"], element_values(e), element_key(e)))
        return found

    def expect_clean(self, cid, ifname="eth0", network=None):
        """Nothing of the attachment is left: its record and the copy, its
        address reservations, its port claims and group entries, its host
        veth, and any element of any set or map of the node's ruleset that
        names its veth, MAC or addresses (pairs and mappings included)."""
        key = "%s:%s" % (cid, ifname)
        owner = "%s:%s" % (network or self.network, key)
        known = self.env.known.get(key)
        expect(known is not None, "expect_clean(%r) without env.remember(): nothing to look for" % key)
        attachments = os.path.join(self.state_dir, network or self.network, "attachments")
        files = os.listdir(attachments) if os.path.isdir(attachments) else []
        left = [f for f in files if f == key or f.startswith("." + key + ".")]
        expect(not left, "record files of %s are still there: %s" % (key, left))
        expect(key not in self.reservations(network).values(), "a reservation of %s is still there" % key)
        for root, dirs, names in os.walk(os.path.join(self.state_dir, "policy")):
            for name in names + dirs:
                path = os.path.join(root, name)
                target = os.readlink(path) if os.path.islink(path) else None
                expect(name != owner and target != owner, "%s of %s is still there" % (path, owner))
        for veth in known["veths"]:
            expect(not self.ns.link_exists(veth), "host veth %s of %s is still there" % (veth, key))
        for table, name, values, text in self.elements(tables=None):
            hit = values & known["values"]
            expect(not hit, "element { %s } of %s is still in %s %s" % (text, key, table, name))
        # Elements that hold none of its values (a loopback mapping's
        # redirect to its relay) still name the job in their comment.
        mine = re.compile(r"\bjob %s\b" % re.escape(cid[:12]))
        for table, name, comment in element_comments(self.ns):
            expect(not mine.search(comment), "an element of %s is still in %s %s: %r" % (key, table, name, comment))


def expect_same(before, after, what):
    diff = differences(before, after)
    expect(not diff, "%s changed:\n%s" % (what, "\n".join(diff)))


IP_PKTINFO = 8


def _reply_pktinfo(ancillary):
    """Ancillary data that makes a reply leave from the address asked."""
    for level, kind, data in ancillary:
        if level == socket.IPPROTO_IP and kind == IP_PKTINFO and len(data) >= 12:
            # struct in_pktinfo {ifindex; spec_dst; addr}: send from addr.
            return [(level, kind, struct.pack("=i4s4s", 0, data[8:12], b"\0" * 4))]
        if level == socket.IPPROTO_IPV6 and kind == socket.IPV6_PKTINFO and len(data) >= 20:
            return [(level, kind, data[:16] + struct.pack("=i", 0))]
    return []


class Listener:
    """TCP and UDP services inside namespaces, served by one thread."""

    def __init__(self):
        self.sel = selectors.DefaultSelector()
        self.socks = []
        self.stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def tcp(self, ns, addr, port, banner=b"hello\n"):
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        with entered(ns.path):
            s = socket.socket(fam, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port))
        s.listen(64)
        s.setblocking(False)
        self.socks.append(s)
        self.sel.register(s, selectors.EVENT_READ, ("tcp", banner))
        return s

    def udp(self, ns, addr, port):
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        with entered(ns.path):
            s = socket.socket(fam, socket.SOCK_DGRAM)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        # Answer from the address that was asked, as a multihomed DNS server
        # must: a wildcard socket would reply from the route's address.
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_RECVPKTINFO, 1)
        else:
            s.setsockopt(socket.IPPROTO_IP, IP_PKTINFO, 1)
        s.bind((addr, port))
        s.setblocking(False)
        self.socks.append(s)
        self.sel.register(s, selectors.EVENT_READ, ("udp", None))
        return s

    def sink(self, ns, addr, port):
        """A UDP socket that only records what arrives: list of (peer, data)."""
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        with entered(ns.path):
            s = socket.socket(fam, socket.SOCK_DGRAM)
        if fam == socket.AF_INET6:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        s.bind((addr, port))
        s.setblocking(False)
        received = []
        self.socks.append(s)
        self.sel.register(s, selectors.EVENT_READ, ("sink", received))
        return received

    def _serve(self):
        while not self.stop:
            for key, _ in self.sel.select(timeout=0.1):
                kind, banner = key.data
                try:
                    if kind == "sink":
                        data, peer = key.fileobj.recvfrom(2048)
                        banner.append((peer[0], data))
                    elif kind == "tcp":
                        conn, peer = key.fileobj.accept()
                        conn.settimeout(1)
                        try:
                            conn.sendall(banner + ("%s\n" % peer[0]).encode())
                        finally:
                            conn.close()
                    else:
                        sock = key.fileobj
                        data, anc, _, peer = sock.recvmsg(2048, 256)
                        reply = b"echo:" + ("%s:" % peer[0]).encode() + data
                        sock.sendmsg([reply], _reply_pktinfo(anc), 0, peer)
                except OSError:
                    pass

    def close(self):
        self.stop = True
        self.thread.join(2)
        for s in self.socks:
            try:
                self.sel.unregister(s)
            except (KeyError, ValueError):
                pass
            s.close()


def socket_in(ns, addr, kind):
    """A socket of the family of addr, created inside the namespace."""
    fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
    with entered(ns.path):
        return socket.socket(fam, kind)


def tcp_probe(ns, addr, port, timeout=0.6, src=None):
    """'reached' with the peer address the server saw, 'refused' or 'timeout'."""
    s = socket_in(ns, addr, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        if src:
            s.bind((src, 0))
        s.connect((addr, port))
        data = b""
        while not data.endswith(b"\n") or data.count(b"\n") < 2:
            chunk = s.recv(256)
            if not chunk:
                break
            data += chunk
        lines = data.decode(errors="replace").split("\n")
        return ("reached", lines[1] if len(lines) > 1 else "")
    except ConnectionRefusedError:
        return ("refused", None)
    except (socket.timeout, TimeoutError):
        return ("timeout", None)
    except OSError as e:
        return ("error:%s" % e.strerror, None)
    finally:
        s.close()


def udp_probe(ns, addr, port, timeout=0.6):
    s = socket_in(ns, addr, socket.SOCK_DGRAM)
    try:
        s.settimeout(timeout)
        s.connect((addr, port))
        s.send(b"ping")
        data = s.recv(2048)
        # "echo:<peer>:<data>"; an IPv6 peer has colons of its own.
        text = data.decode(errors="replace")
        return ("reached", text[len("echo:"):].rsplit(":", 1)[0] if text.startswith("echo:") else "")
    except ConnectionRefusedError:
        return ("refused", None)
    except (socket.timeout, TimeoutError):
        return ("timeout", None)
    except OSError as e:
        return ("error:%s" % e.strerror, None)
    finally:
        s.close()


def _checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


_icmp_ids = itertools.count(0x4A00)


def icmp_probe(ns, addr, timeout=0.6):
    """An echo request from inside ns; 'reached' when the reply comes back."""
    v6 = ":" in addr
    ident = next(_icmp_ids) & 0xFFFF
    with entered(ns.path):
        s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_RAW,
                          socket.IPPROTO_ICMPV6 if v6 else socket.IPPROTO_ICMP)
    try:
        kind, reply = (128, 129) if v6 else (8, 0)
        body = struct.pack("!BBHHH", kind, 0, 0, ident, 1) + b"jobnet-probe"
        if not v6:  # the kernel checksums ICMPv6 on raw sockets itself
            body = body[:2] + struct.pack("!H", _checksum(body)) + body[4:]
        s.sendto(body, (addr, 0))
        deadline = time.time() + timeout
        while time.time() < deadline:
            s.settimeout(max(0.01, deadline - time.time()))
            try:
                data, peer = s.recvfrom(2048)
            except (socket.timeout, TimeoutError):
                break
            icmp = data if v6 else data[(data[0] & 0x0F) * 4:]
            if len(icmp) >= 8 and icmp[0] == reply and struct.unpack("!H", icmp[4:6])[0] == ident:
                return ("reached", peer[0])
        return ("timeout", None)
    except OSError as e:
        return ("error:%s" % e.strerror, None)
    finally:
        s.close()


def run_probes(probes, workers=32):
    """Run (fn, args...) probes in parallel; the outcomes in order.

    A probe expected to get through may lose its first packet to address
    resolution; callers retry those that disagree, once, sequentially."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(p[0], *p[1:]) for p in probes]
        return [f.result()[0] for f in futures]


_PIDNS_INIT = r"""
import os, signal, time
print("ready", flush=True)
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
while True:  # init of the PID namespace: reap the orphans, so their PIDs come free
    try:
        os.wait()
    except ChildProcessError:
        time.sleep(0.05)
"""


class PidNs:
    """A private PID namespace with a /proc of its own (unshare --pid
    --mount-proc), in which a test chooses the PID a process gets by writing
    that namespace's own ns_last_pid: no process of the machine is involved.
    path(pid) is /proc/<pid>/ns/net of one of its processes as the node
    reaches it (through the namespace's init). Closing it kills its init,
    and with it every process inside."""

    def __init__(self, env):
        self.proc = subprocess.Popen(["unshare", "--pid", "--fork", "--mount", "--mount-proc", "--propagation",
                                      "private", sys.executable, "-c", _PIDNS_INIT],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        env.defer(self.close)
        expect(self.proc.stdout.readline().strip() == "ready", "the PID namespace did not start: %s" %
               self.proc.stderr.read() if self.proc.poll() is not None else "")
        with open("/proc/%d/task/%d/children" % (self.proc.pid, self.proc.pid)) as f:
            self.init = int(f.read().split()[0])

    def path(self, pid):
        return "/proc/%d/root/proc/%d/ns/net" % (self.init, pid)

    def alive(self, pid):
        return os.path.exists("/proc/%d/root/proc/%d/ns/net" % (self.init, pid))

    def _sh(self, script, netns):
        cmd = ["nsenter", "--mount=/proc/%d/ns/mnt" % self.init, "--pid=/proc/%d/ns/pid" % self.init]
        if netns is not None:
            cmd.append("--net=" + netns)
        return subprocess.run(cmd + ["sh", "-c", script], capture_output=True, text=True, timeout=20).stdout.strip()

    def spawn(self, netns=None, pid=None):
        """A sleeping process, in the namespace at the path netns or (None)
        in a new one of its own that dies with it; with pid, that PID (as
        this namespace counts) or None when another process took it."""
        run = "sleep 600" if netns is not None else "unshare --net sleep 600"
        first = "echo %d > /proc/sys/kernel/ns_last_pid; " % (pid - 1) if pid is not None else ""
        for _ in range(8):
            out = self._sh(first + run + " </dev/null >/dev/null 2>&1 & echo $!", netns)
            if pid is None or out == str(pid):
                # unshare execs sleep once it has its namespace: until then
                # the PID's namespace is the runner's own (the machine's).
                wait_for(lambda: self._comm(int(out)) == "sleep", timeout=5,
                         what="process %s in its namespace" % out)
                return int(out)
            if out.isdigit():
                self.kill(int(out))
        return None

    def _comm(self, pid):
        try:
            with open("/proc/%d/root/proc/%d/comm" % (self.init, pid)) as f:
                return f.read().strip()
        except OSError:
            return None

    def kill(self, pid):
        self._sh("kill -9 %d" % pid, None)
        wait_for(lambda: not self.alive(pid), timeout=5, what="the end of process %d" % pid)

    def close(self):
        if self.proc.poll() is None:
            try:
                os.kill(self.init, 9)
            except OSError:
                self.proc.kill()
            self.proc.wait(10)


class Env:
    """What one test made, removed in reverse order when it ends."""

    def __init__(self, plugin, options):
        self.plugin = plugin
        self.options = options
        self.cleanups = []
        self.known = {}  # "cid:ifname" -> what remember() noted
        self._listener = None

    def defer(self, fn, *args):
        self.cleanups.append((fn, args))

    def netns(self, role):
        ns = Netns(role)
        self.defer(ns.delete)
        return ns

    def tempdir(self, role):
        d = tempfile.mkdtemp(prefix="jobnet-test-%s-" % role)
        self.defer(shutil.rmtree, d, True)
        return d

    def node(self, **kw):
        return Node(self, **kw)

    def pid_namespace(self):
        return PidNs(self)

    @property
    def listener(self):
        if self._listener is None:
            self._listener = Listener()
            self.defer(self._listener.close)
        return self._listener

    def remember(self, cid, result, ifname="eth0"):
        """Note the veth, MAC and addresses ADD returned, for expect_clean."""
        key = "%s:%s" % (cid, ifname)
        ifaces = result.json.get("interfaces", []) if result.json else []
        veths = [i["name"] for i in ifaces if i["name"].startswith("jn") and "sandbox" not in i]
        macs = [i["mac"].lower() for i in ifaces if "sandbox" in i and i.get("mac")]
        addrs = [canonical(ip["address"].split("/")[0]) for ip in (result.json or {}).get("ips", [])]
        # port_nd_target holds an IPv6 address as a number.
        numbers = ["0x%032x" % int(ipaddress.ip_address(a)) for a in addrs if ":" in a]
        self.known[key] = {"veths": veths, "values": set(veths + macs + addrs + numbers)}

    def close(self):
        errors = []
        while self.cleanups:
            fn, args = self.cleanups.pop()
            try:
                fn(*args)
            except Exception as e:  # cleanup goes on whatever happens
                errors.append(repr(e))
        return errors


def hold_lock(path):
    """Take an exclusive flock on path; returns the open file (close to release)."""
    f = open(path, "a+")
    fcntl.flock(f, fcntl.LOCK_EX)
    return f


def in_parallel(fn, count):
    """fn(0..count-1) in as many threads; the results in order."""
    results = [None] * count

    def run(i):
        results[i] = fn(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def wait_for(predicate, timeout=5.0, what=None, interval=0.05):
    """Poll predicate until it is true or timeout seconds have passed; its
    last value. With what, a timeout fails the test naming what did not
    happen: how a test waits for something to happen, never with a fixed
    sleep."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() >= deadline:
            break
        time.sleep(interval)
    if not value and what is not None:
        raise TestFailure("%s: not within %.1f s" % (what, timeout))
    return value


def relays():
    """Live relay processes this run's plugin forked (see RUN_MARKER)."""
    marker = ("%s=%s" % (RUN_MARKER, _run_id)).encode()
    found = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                name, state = f.read().rsplit(")", 1)
            if not name.endswith("(jobnet-relay") or state.split()[0] == "Z":
                continue
            with open("/proc/%s/environ" % pid, "rb") as f:
                environ = f.read().split(b"\0")
        except OSError:
            continue
        if any(v.startswith(marker) for v in environ):
            found.add(int(pid))
    return found


TESTS = []


def test(fn):
    """Register a test function taking an Env."""
    TESTS.append(fn)
    return fn
