#!/usr/bin/env python3
"""make bench: jobnet beside the reference CNI plugins, every figure measured
in one run and given as a ratio. Everything happens in node namespaces this
script makes and removes; traffic stays between namespaces it made.

The reference stack is Debian's containernetworking-plugins chained as a
runtime chains them: bridge (with host-local) + portmap + firewall
(ingressPolicy same-bridge). Both stacks get one port mapping per job and
their isolation; jobnet's jobs are in groups, as dstack's are.

Time is the wall time of the plugin processes (fork to exit, summed over a
chain), memory their peak RSS, both from wait4() in tests/bench/spawnstat.c.
Both stacks keep their state (jobnet's stateDir, host-local's dataDir) on a
tmpfs the script mounts: jobnet's default stateDir, /run/jobnet, is on one on
Debian.
Environment:
  BENCH_SAMPLES  ADD/DEL pairs per latency figure (default 100)
  BENCH_BIG      jobs attached for the growth and data-path figures (1000)
  BENCH_SECONDS  length of one throughput or connection-rate run (2)
  BENCH_ROUNDS   runs per data-path figure, the median is kept (5)
  BENCH_SETTLE   seconds to wait after attaching jobs, before measuring (15)
  BENCH_ONLY     "cross": only the path between members on two nodes
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import cluster  # noqa: E402
import jn  # noqa: E402

REFERENCE_DIR = "/usr/lib/cni"
SAMPLES = int(os.environ.get("BENCH_SAMPLES", "100"))
BIG = int(os.environ.get("BENCH_BIG", "1000"))
SECONDS = float(os.environ.get("BENCH_SECONDS", "2"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
SETTLE = float(os.environ.get("BENCH_SETTLE", "15"))
ONLY = os.environ.get("BENCH_ONLY", "")
PARALLEL = 64
BASE = 10
GROUP_BIG = 125
PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
SPAWNSTAT = None  # build/tests/spawnstat, set in main


class Run:
    """One plugin process: wall seconds, peak RSS in KiB, exit status, output."""

    def __init__(self, wall, maxrss, status, stdout):
        self.wall, self.maxrss, self.status, self.stdout = wall, maxrss, status, stdout

    @property
    def json(self):
        return json.loads(self.stdout) if self.stdout.strip() else None


def spawn(binary, env, stdin_text):
    """Run the plugin through spawnstat from this thread (already in the
    node namespace): its wall time, peak RSS and exit status from wait4.
    Not through jn.Plugin, which the tests use: its nsenter (or wrapper)
    would be timed with the plugin, and the reference plugins run the same
    way here."""
    stdin_fd = os.memfd_create("stdin")
    stdout_fd = os.memfd_create("stdout")
    stats_fd = os.memfd_create("stats")
    devnull = os.open("/dev/null", os.O_WRONLY)
    try:
        os.write(stdin_fd, stdin_text.encode())
        os.lseek(stdin_fd, 0, os.SEEK_SET)
        actions = [(os.POSIX_SPAWN_DUP2, stdin_fd, 0), (os.POSIX_SPAWN_DUP2, stdout_fd, 1),
                   (os.POSIX_SPAWN_DUP2, devnull, 2), (os.POSIX_SPAWN_DUP2, stats_fd, 3)]
        pid = os.posix_spawn(SPAWNSTAT, [SPAWNSTAT, binary], env, file_actions=actions)
        _, status = os.waitpid(pid, 0)
        if os.waitstatus_to_exitcode(status) != 0:
            raise jn.TestFailure("spawnstat %s failed" % binary)
        wall_ns, maxrss, code = (int(x) for x in read_all(stats_fd).split())
        return Run(wall_ns / 1e9, maxrss, code, read_all(stdout_fd))
    finally:
        for fd in (stdin_fd, stdout_fd, stats_fd, devnull):
            os.close(fd)


def read_all(fd):
    os.lseek(fd, 0, os.SEEK_SET)
    out = b""
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return out.decode(errors="replace")
        out += chunk


def cni_env(command, cid, netns, extra=None):
    env = {"PATH": PATH, "CNI_COMMAND": command, "CNI_CONTAINERID": cid, "CNI_IFNAME": "eth0",
           "CNI_NETNS": netns, "CNI_PATH": REFERENCE_DIR}
    env.update(extra or {})
    return env


class Stack:
    """A node namespace and the plugins that attach jobs to it."""

    def __init__(self, env, name):
        self.env = env
        self.node = env.node(name=name)
        self.jobs = {}  # cid -> Netns path
        self.results = {}

    def mapping(self, i):
        return [{"hostPort": 20000 + i, "containerPort": 80, "protocol": "tcp"}]

    def in_node(self, fn, *args):
        with jn.entered(self.node.ns.path):
            return fn(*args)

    def address(self, cid):
        return self.results[cid]["ips"][0]["address"].split("/")[0]


def state_tmpfs(env):
    """A tmpfs for both stacks' state, unmounted when the run ends."""
    d = tempfile.mkdtemp(prefix="jobnet-bench-state-")
    env.defer(os.rmdir, d)
    jn.sh("mount", "-t", "tmpfs", "-o", "size=256m,mode=0700", "jobnet-bench", d)
    env.defer(jn.sh, "umount", d)
    return d


class Jobnet(Stack):
    def __init__(self, env, plugin, state):
        super().__init__(env, "bench")
        self.plugin = plugin
        self.node.state_dir = os.path.join(state, "jobnet")

    def conf(self, i):
        return self.node.conf(subnet="10.90.0.0/20", capabilities={"portMappings": True},
                              runtimeConfig={"jobnet": {"group": group_of(i), "blocks": 1, "totalBlocks": 8},
                                             "portMappings": self.mapping(i)})

    def add(self, i, cid, netns):
        runs = [spawn(self.plugin, cni_env("ADD", cid, netns), json.dumps(self.conf(i)))]
        self.results[cid] = runs[0].json
        return runs

    def delete(self, i, cid, netns):
        return [spawn(self.plugin, cni_env("DEL", cid, netns), json.dumps(self.conf(i)))]



def group_of(i):
    """Jobs 0-6 and every measured job are in one group, "probe-run", so a
    measured ADD always pairs with the same 6-7 members; the other jobs are
    in groups of 8, as the jobs of multinode runs sharing a node would be.
    A job's ADD and DEL touch one element per member of its group on the
    node (see README); GROUP_BIG measures that separately."""
    return "probe-run" if i < 7 or i >= 5000 else "run-%d" % (i // 8)


class Reference(Stack):
    """bridge + host-local, portmap, firewall: ADD in order, each given the
    previous result; DEL in reverse, each given the cached result (libcni)."""

    def __init__(self, env, state):
        super().__init__(env, "ref")
        self.data_dir = os.path.join(state, "host-local")
        self.plugins = [
            {"type": "bridge", "bridge": "cni-bench0", "isGateway": True, "ipMasq": True, "hairpinMode": True,
             "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.91.0.0/20"}]],
                      "routes": [{"dst": "0.0.0.0/0"}], "dataDir": self.data_dir}},
            {"type": "portmap", "capabilities": {"portMappings": True}, "snat": True},
            {"type": "firewall", "backend": "iptables", "ingressPolicy": "same-bridge"},
        ]

    def conf(self, plugin, i, prev):
        c = dict(plugin, cniVersion="1.0.0", name="ref")
        if plugin["type"] == "portmap":
            c["runtimeConfig"] = {"portMappings": self.mapping(i)}
        if prev is not None:
            c["prevResult"] = prev
        return c

    def add(self, i, cid, netns):
        runs, prev = [], None
        for plugin in self.plugins:
            run = spawn(os.path.join(REFERENCE_DIR, plugin["type"]), cni_env("ADD", cid, netns),
                        json.dumps(self.conf(plugin, i, prev)))
            runs.append(run)
            if run.status != 0:
                break
            prev = run.json
        self.results[cid] = prev
        return runs

    def delete(self, i, cid, netns):
        prev = self.results.get(cid)
        return [spawn(os.path.join(REFERENCE_DIR, p["type"]), cni_env("DEL", cid, netns),
                      json.dumps(self.conf(p, i, prev))) for p in reversed(self.plugins)]



class Namespaces:
    """Many job namespaces at once (ip -batch), removed at the end."""

    def __init__(self, env, prefix):
        self.env = env
        self.prefix = "%s%s%s" % (jn.PREFIX, jn._run_id, prefix)
        self.names = []
        env.defer(self.remove_all)

    def make(self, count):
        start = len(self.names)
        new = ["%s%d" % (self.prefix, i) for i in range(start, start + count)]
        jn.sh("ip", "-batch", "-", input="".join("netns add %s\n" % n for n in new))
        self.names += new
        return [os.path.join(jn.NETNS_DIR, n) for n in new]

    def remove_all(self):
        if self.names:
            jn.sh("ip", "-force", "-batch", "-", input="".join("netns del %s\n" % n for n in self.names),
                  check=False)


def expect_ok(runs, what):
    for r in runs:
        if r.status != 0:
            raise jn.TestFailure("%s failed (%d): %s" % (what, r.status, r.stdout[:400]))


def pct(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


class Latency:
    def __init__(self):
        self.add, self.delete, self.rss = [], [], []

    def record(self, kind, runs):
        getattr(self, kind).append(sum(r.wall for r in runs))
        self.rss.append(max(r.maxrss for r in runs))

    def summary(self):
        return {"add_median": statistics.median(self.add), "add_p90": pct(self.add, 0.9),
                "del_median": statistics.median(self.delete), "del_p90": pct(self.delete, 0.9)}


def settle():
    """For some seconds after an interface comes up, the kernel of each new
    job's namespace is busy on its own (IPv6 duplicate address detection,
    router solicitations, MLD reports), taking the kernel's rtnl lock, which
    every ADD and DEL needs too. Measuring starts SETTLE seconds after the
    last attach: the figures are for a node at rest, not for one still busy
    with the burst before."""
    time.sleep(SETTLE)


def attach(stack, namespaces, count, first):
    """Attach count more jobs (not measured)."""
    paths = namespaces.make(count)
    for k, path in enumerate(paths):
        i = first + k
        cid = "job%d" % i
        expect_ok(stack.in_node(stack.add, i, cid, path), "ADD %s" % cid)
        stack.jobs[cid] = (i, path)


def regroup(stack, namespaces, count, first):
    """Replace count jobs of other groups by as many members of probe-run
    (numbered from first, >= 5000), so as many jobs stay attached: a bridge
    takes at most 1023 ports."""
    others = sorted((i, cid) for cid, (i, _) in stack.jobs.items() if group_of(i) != "probe-run")[:count]
    for i, cid in others:
        expect_ok(stack.in_node(stack.delete, i, cid, stack.jobs.pop(cid)[1]), "DEL %s" % cid)
    attach(stack, namespaces, count, first)


def measure_pairs(stack, namespaces, samples, first):
    """ADD then DEL one more job, samples times, with what is attached."""
    lat = Latency()
    paths = namespaces.make(samples)
    for k, path in enumerate(paths):
        i = first + k
        cid = "probe%d" % i

        def pair():
            runs = stack.add(i, cid, path)
            expect_ok(runs, "ADD %s" % cid)
            lat.record("add", runs)
            runs = stack.delete(i, cid, path)
            expect_ok(runs, "DEL %s" % cid)
            lat.record("delete", runs)
        stack.in_node(pair)
    return lat


def parallel(stack, namespaces, first):
    """PARALLEL ADDs at once, then as many DELs: failures, distinct
    addresses, wall time of each wave."""
    paths = namespaces.make(PARALLEL)
    outcome = {}

    def wave(kind):
        runs = [None] * PARALLEL

        def one(k):
            i, cid = first + k, "par%d" % (first + k)
            with jn.entered(stack.node.ns.path):
                runs[k] = (stack.add if kind == "ADD" else stack.delete)(i, cid, paths[k])
        start = time.perf_counter()
        threads = [threading.Thread(target=one, args=(k,)) for k in range(PARALLEL)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        outcome[kind] = time.perf_counter() - start
        outcome[kind + " failures"] = sum(1 for r in runs if r is None or any(x.status != 0 for x in r))
    wave("ADD")
    addrs = [stack.address("par%d" % (first + k)) for k in range(PARALLEL)
             if stack.results.get("par%d" % (first + k))]
    outcome["distinct"] = len(set(addrs)) == len(addrs) == PARALLEL
    wave("DEL")
    return outcome


def iperf_once(client_ns, server_ns, addr):
    """One iperf3 run: bits/s, or None when it did not run (the server was
    not listening yet, or the client hung)."""
    server = subprocess.Popen(["ip", "netns", "exec", server_ns, "iperf3", "-s", "-1", "-B", addr],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            try:
                out = subprocess.run(["ip", "netns", "exec", client_ns, "iperf3", "-c", addr, "-t",
                                      str(max(1, round(SECONDS))), "-J"], capture_output=True, text=True,
                                     timeout=SECONDS + 30)
            except subprocess.TimeoutExpired:
                print("  iperf3 client hung; running it again", flush=True)
                return None
            data = json.loads(out.stdout) if out.stdout.strip() else {}
            if out.returncode == 0 and "sum_received" in data.get("end", {}):
                return data["end"]["sum_received"]["bits_per_second"]
            time.sleep(0.1)
        raise jn.TestFailure("iperf3 did not run: %s" % data.get("error", out.stdout[-300:]))
    finally:
        server.kill()
        server.wait()


def iperf(client_ns, server_ns, addr):
    for _ in range(3):
        bits = iperf_once(client_ns, server_ns, addr)
        if bits is not None:
            return bits
    raise jn.TestFailure("iperf3 hung three times")


def conn_rate(connrate, client_ns, server_ns, addr):
    server = subprocess.Popen(["ip", "netns", "exec", server_ns, connrate, "server", addr, "5201"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        server.stdout.readline()
        out = subprocess.run(["ip", "netns", "exec", client_ns, connrate, "client", addr, "5201", str(SECONDS)],
                             capture_output=True, text=True, timeout=SECONDS + 30)
        if out.returncode != 0:
            raise jn.TestFailure("connrate: %s %s" % (out.stdout, out.stderr))
        done, seconds, _ = out.stdout.split()
        return int(done) / float(seconds)
    finally:
        server.kill()
        server.wait()


CONNTRACK_ONLY = ("add table inet jobnet_bench; add chain inet jobnet_bench forward "
                  "{ type filter hook forward priority 0; ct state established accept; }")


def data_path(stack, connrate):
    """Throughput and connection rate between two jobs of one group with
    jobnet's tables, with no ruleset at all, and with connection tracking
    alone (which jobnet needs for replies and NAT: it tells the cost of
    conntrack from that of jobnet's rules). The three alternate, ROUNDS
    times, and the median of each is kept: on a small, shared machine the
    noise between runs is larger than the differences."""
    a, b = "job0", "job1"  # both in group probe-run
    ns = {cid: os.path.basename(stack.jobs[cid][1]) for cid in (a, b)}
    addr = stack.address(a)
    saved = stack.node.nft("list", "ruleset").stdout
    runs = {label: {"throughput": [], "connections": []} for label in ("rules", "none", "conntrack")}

    def load(text):
        stack.node.nft("flush", "ruleset")
        if text:
            stack.node.ns.run("nft", "-f", "-", input=text)
    for _ in range(ROUNDS):
        for label, text in (("rules", saved), ("none", ""), ("conntrack", CONNTRACK_ONLY)):
            load(text)
            runs[label]["throughput"].append(iperf(ns[b], ns[a], addr))
            runs[label]["connections"].append(conn_rate(connrate, ns[b], ns[a], addr))
    load("")
    stack.node.ctl("repair")
    # The connection-rate runs leave up to a million closed flows behind:
    # later DELs, which flush a job's flows, must not pay for them.
    stack.node.ns.run("conntrack", "-F", check=False)
    return {label: {k: statistics.median(v) for k, v in figures.items()} for label, figures in runs.items()}


def cross_node(plugin, connrate, br_netfilter):
    """Throughput and connection rate between two members of one group on
    two nodes (one underlay bridge between them, cluster routes), with
    jobnet's tables on both nodes and with no ruleset on either; the two
    alternate, ROUNDS times, and the median of each is kept."""
    env = jn.Env(plugin, None)
    try:
        return measure_across(env, connrate, br_netfilter)
    finally:
        problems = env.close()
        if problems:
            print("cleanup: %s" % problems)


def measure_across(env, connrate, br_netfilter):
    c = cluster.Cluster(env, nodes=2, br_netfilter=br_netfilter, listen=False)
    peers = lambda k: [cluster.host_prefix(cluster.job_addr(k, 11, fam)) for fam in (4, 6)]
    m1 = c.node(1).add("m1", 11, {"group": "probe-run", "peers": peers(2)})
    m2 = c.node(2).add("m2", 11, {"group": "probe-run", "peers": peers(1)})
    saved = {k: n.node.nft("list", "ruleset").stdout for k, n in c.nodes.items()}
    runs = {label: {"throughput": [], "connections": []} for label in ("rules", "none")}

    def load(with_rules):
        for k, n in c.nodes.items():
            n.node.nft("flush", "ruleset")
            if with_rules:
                n.ns.run("nft", "-f", "-", input=saved[k])
    for _ in range(ROUNDS):
        for label in ("rules", "none"):
            load(label == "rules")
            runs[label]["throughput"].append(iperf(m2.ns.name, m1.ns.name, m1.addr[4]))
            runs[label]["connections"].append(conn_rate(connrate, m2.ns.name, m1.ns.name, m1.addr[4]))
    load(False)
    for n in c.nodes.values():
        n.ctl("repair")
        n.ns.run("conntrack", "-F", check=False)
    return {label: {k: statistics.median(v) for k, v in figures.items()} for label, figures in runs.items()}


def ensure_packages():
    missing = [p for p in ("iperf3", "iptables", "containernetworking-plugins")
               if subprocess.run(["dpkg-query", "-W", "-f=${Status}", p], capture_output=True,
                                 text=True).stdout.find("ok installed") < 0]
    if missing:
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends"] + missing, check=True,
                       env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))


def ratio(a, b):
    return a / b if b else float("inf")


def measure_one_node(env, plugin, connrate, report):
    state = state_tmpfs(env)
    jobnet, ref = Jobnet(env, plugin, state), Reference(env, state)
    jns, rns = Namespaces(env, "j"), Namespaces(env, "r")
    print("attaching %d jobs to each stack" % BASE, flush=True)
    attach(jobnet, jns, BASE, 0)
    attach(ref, rns, BASE, 0)
    settle()
    print("ADD/DEL latency, %d pairs each" % SAMPLES, flush=True)
    report["jobnet"] = measure_pairs(jobnet, jns, SAMPLES, 5000)
    report["reference"] = measure_pairs(ref, rns, SAMPLES, 5000)
    print("%d parallel ADDs and DELs" % PARALLEL, flush=True)
    report["parallel jobnet"] = parallel(jobnet, jns, 8000)
    report["parallel reference"] = parallel(ref, rns, 8000)
    print("data path with %d jobs" % BASE, flush=True)
    report["data %d" % BASE] = data_path(jobnet, connrate)
    print("attaching %d more jobs to jobnet" % (BIG - BASE), flush=True)
    t = time.perf_counter()
    attach(jobnet, jns, BIG - BASE, BASE)
    report["attach big"] = time.perf_counter() - t
    settle()
    print("ADD/DEL latency with %d jobs" % BIG, flush=True)
    report["jobnet big"] = measure_pairs(jobnet, jns, SAMPLES, 6000)
    print("data path with %d jobs" % BIG, flush=True)
    report["data %d" % BIG] = data_path(jobnet, connrate)
    print("ADD/DEL latency in a group of %d on the node, %d jobs attached" % (GROUP_BIG, BIG), flush=True)
    regroup(jobnet, jns, GROUP_BIG - 7, 7000)
    settle()
    report["jobnet group"] = measure_pairs(jobnet, jns, SAMPLES, 9000)


def main():
    if os.geteuid() != 0:
        print("make bench needs root")
        return 1
    ensure_packages()
    build = os.environ.get("BUILD", os.path.join(HERE, "..", "..", "build"))
    plugin, ctl = os.path.join(build, "jobnet"), os.path.join(build, "jobnetctl")
    connrate = os.path.join(build, "tests", "connrate")
    global SPAWNSTAT
    SPAWNSTAT = os.path.join(build, "tests", "spawnstat")
    env = jn.Env(jn.Plugin(plugin, ctl), None)
    report = {}
    try:
        if ONLY != "cross":
            measure_one_node(env, plugin, connrate, report)
        for br_netfilter in (False, True):
            print("data path across nodes, br_netfilter %d" % br_netfilter, flush=True)
            report["cross %d" % br_netfilter] = cross_node(env.plugin, connrate, br_netfilter)
    finally:
        problems = env.close()
    if problems:
        print("cleanup: %s" % problems)
    print_report(report)
    return 0


def ms(s):
    return "%.1f ms" % (s * 1000)


def table(rows):
    widths = [max(len(row[c]) for row in rows) for c in range(len(rows[0]))]
    for k, row in enumerate(rows):
        print("| " + " | ".join(cell.ljust(widths[c]) for c, cell in enumerate(row)) + " |")
        if k == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print()


def print_cross(r):
    rows = [("members on two nodes: jobnet's rules / no ruleset", "rules", "no ruleset", "ratio")]
    for br_netfilter in (0, 1):
        d = r["cross %d" % br_netfilter]
        rows.append(("TCP throughput, br_netfilter %d" % br_netfilter, "%.2f Gbit/s" % (d["rules"]["throughput"] / 1e9),
                     "%.2f Gbit/s" % (d["none"]["throughput"] / 1e9),
                     "%.3f" % ratio(d["rules"]["throughput"], d["none"]["throughput"])))
        rows.append(("connections/s, br_netfilter %d" % br_netfilter, "%.0f" % d["rules"]["connections"],
                     "%.0f" % d["none"]["connections"],
                     "%.3f" % ratio(d["rules"]["connections"], d["none"]["connections"])))
    table(rows)
    print("across nodes: median of %d runs of %g s each way, target 0.95" % (ROUNDS, SECONDS))


def print_report(r):
    if "cross 0" in r:
        print_cross(r)
    if "jobnet" not in r:
        return
    j, ref, big, grp = (r[k].summary() for k in ("jobnet", "reference", "jobnet big", "jobnet group"))
    rows = [("jobnet beside the reference plugins", "jobnet", "reference", "ratio")]
    for key, label in (("add_median", "ADD median"), ("add_p90", "ADD p90"), ("del_median", "DEL median"),
                       ("del_p90", "DEL p90")):
        rows.append((label, ms(j[key]), ms(ref[key]), "%.1fx faster" % ratio(ref[key], j[key])))
    rows.append(("peak RSS of one plugin process", "%d KiB" % max(r["jobnet"].rss),
                 "%d KiB" % max(r["reference"].rss),
                 "%.2fx as much" % ratio(max(r["jobnet"].rss), max(r["reference"].rss))))
    pj, pr = r["parallel jobnet"], r["parallel reference"]
    for kind in ("ADD", "DEL"):
        rows.append(("%d parallel %ss, wall" % (PARALLEL, kind),
                     "%s, %d failed" % (ms(pj[kind]), pj[kind + " failures"]),
                     "%s, %d failed" % (ms(pr[kind]), pr[kind + " failures"]),
                     "%.1fx faster" % ratio(pr[kind], pj[kind])))
    rows.append(("%d parallel ADDs: distinct addresses" % PARALLEL, "yes" if pj["distinct"] else "NO",
                 "yes" if pr["distinct"] else "NO", ""))
    table(rows)
    rows = [("jobnet at scale", "measured", "baseline", "ratio")]
    for key, label in (("add_median", "ADD median"), ("del_median", "DEL median")):
        rows.append(("%s, %d jobs attached / %d" % (label, BIG, BASE), ms(big[key]), ms(j[key]),
                     "%.2f" % ratio(big[key], j[key])))
    for key, label in (("add_median", "ADD median"), ("del_median", "DEL median")):
        rows.append(("%s, %d jobs, group of %d on the node / of 7" % (label, BIG, GROUP_BIG), ms(grp[key]),
                     ms(big[key]),
                     "%.2f" % ratio(grp[key], big[key])))
    for n in (BASE, BIG):
        d = r["data %d" % n]
        rows.append(("TCP throughput, %d jobs: rules / no ruleset" % n,
                     "%.2f Gbit/s" % (d["rules"]["throughput"] / 1e9), "%.2f Gbit/s" % (d["none"]["throughput"] / 1e9),
                     "%.3f" % ratio(d["rules"]["throughput"], d["none"]["throughput"])))
        rows.append(("connections/s, %d jobs: rules / no ruleset" % n, "%.0f" % d["rules"]["connections"],
                     "%.0f" % d["none"]["connections"],
                     "%.3f" % ratio(d["rules"]["connections"], d["none"]["connections"])))
        rows.append(("TCP throughput, %d jobs: rules / conntrack alone" % n,
                     "%.2f Gbit/s" % (d["rules"]["throughput"] / 1e9),
                     "%.2f Gbit/s" % (d["conntrack"]["throughput"] / 1e9),
                     "%.3f" % ratio(d["rules"]["throughput"], d["conntrack"]["throughput"])))
        rows.append(("connections/s, %d jobs: rules / conntrack alone" % n, "%.0f" % d["rules"]["connections"],
                     "%.0f" % d["conntrack"]["connections"],
                     "%.3f" % ratio(d["rules"]["connections"], d["conntrack"]["connections"])))
    table(rows)
    print("%d ADD/DEL pairs per latency figure, %d jobs attached unless said, measured %g s after the last "
          "attach; data path: median of %d runs of %g s; attaching %d jobs took %.1f s"
          % (SAMPLES, BASE, SETTLE, ROUNDS, SECONDS, BIG - BASE, r["attach big"]))


if __name__ == "__main__":
    sys.exit(main())
