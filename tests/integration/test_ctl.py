"""jobnetctl: version, list, and clear errors for bad invocations."""

import json
import os
import subprocess

from jn import expect, expect_eq, test

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


@test
def version_and_usage(env):
    node = env.node()
    out = node.ctl("version")
    expect(out.stdout.startswith("jobnet ") and "1.1.0" in out.stdout, "version output %r" % out.stdout)
    data = json.loads(node.ctl("version", "--json").stdout)
    expect("version" in data, "version --json: %r" % data)
    for args, word in [((), "usage"), (("frobnicate",), "unknown command"), (("--bogus", "list"), "unknown option"),
                       (("list", "extra"), "unexpected argument"), (("version", "x"), "unexpected argument")]:
        proc = node.ctl(*args, check=False)
        expect_eq(proc.returncode, 2, "exit code of jobnetctl %s" % " ".join(args))
        expect(word in proc.stderr, "jobnetctl %s: stderr %r lacks %r" % (" ".join(args), proc.stderr, word))
    expect_eq(node.ctl("--help").returncode, 0, "--help exit code")


@test
def list_shows_every_attachment(env):
    node = env.node()
    out = node.ctl("list")
    expect_eq(out.stdout.strip().splitlines()[1:], [], "list with no state")
    jobs = {}
    for cid in ("alpha", "beta"):
        jobs[cid] = env.netns(cid)
        env.remember(cid, node.add(jobs[cid], cid, conf=node.conf(subnet6="fd77::/64")).expect_ok())
    out = node.ctl("list").stdout
    lines = out.strip().splitlines()
    expect(lines[0].split()[:4] == ["CONTAINER", "IFNAME", "NETWORK", "MODE"], "header %r" % lines[0])
    rows = {l.split()[0]: l for l in lines[1:]}
    expect_eq(sorted(rows), ["alpha", "beta"], "listed containers")
    expect("10.77.0.2/24" in rows["alpha"] and "fd77::2/64" in rows["alpha"], "alpha row %r" % rows["alpha"])
    expect("bridge" in rows["beta"], "beta row %r" % rows["beta"])
    data = json.loads(node.ctl("list", "--json").stdout)
    expect_eq(sorted(a["containerID"] for a in data), ["alpha", "beta"], "list --json containers")
    expect(all(a["hostVeth"].startswith("jn") for a in data), "list --json veths")
    node.delete("alpha").expect_ok()
    data = json.loads(node.ctl("--json", "list").stdout)
    expect_eq([a["containerID"] for a in data], ["beta"], "list after DEL")
    node.delete("beta").expect_ok()


@test
def make_install_honours_destdir_and_keeps_conf(env):
    dest = env.tempdir("install")
    build = os.path.dirname(env.plugin.path)
    cmd = ["make", "-s", "-C", ROOT, "install", "DESTDIR=" + dest, "PREFIX=/usr", "BUILD=" + build]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    expect(proc.returncode == 0, "make install failed: %s %s" % (proc.stdout, proc.stderr))
    for path in ("opt/cni/bin/jobnet", "usr/sbin/jobnetctl", "etc/cni/net.d/10-jobnet.conflist"):
        expect(os.path.exists(os.path.join(dest, path)), "make install did not install %s" % path)
    conflist = os.path.join(dest, "etc/cni/net.d/10-jobnet.conflist")
    json.load(open(conflist))  # valid JSON
    with open(conflist, "w") as f:
        f.write("operator's own\n")
    proc = subprocess.run(cmd, capture_output=True, text=True)
    expect(proc.returncode == 0, "second make install failed: %s" % proc.stderr)
    expect_eq(open(conflist).read(), "operator's own\n", "conflist after a second install")


@test
def the_conf_dir_names_the_state_dirs(env):
    node = env.node()
    other = env.node(name="other")  # a second network with a state directory of its own
    conf_dir = env.tempdir("netd")
    for n, cid, subnet in ((node, "confd1", "10.77.0.0/24"), (other, "confd2", "10.78.0.0/24")):
        env.remember(cid, n.add(env.netns(cid), cid, conf=n.conf(subnet=subnet)).expect_ok())
        plugin = {k: v for k, v in n.conf(subnet=subnet).items() if k not in ("cniVersion", "name")}
        with open(os.path.join(conf_dir, "10-%s.conflist" % n.network), "w") as f:
            json.dump({"cniVersion": "1.1.0", "name": n.network, "plugins": [plugin]}, f)
    with open(os.path.join(conf_dir, "20-bridge.conflist"), "w") as f:
        json.dump({"cniVersion": "1.0.0", "name": "b", "plugins": [{"type": "bridge", "stateDir": "/nonexistent"}]}, f)
    proc = node.ctl("--conf-dir", conf_dir, "list", "--json", check=False, state_dir=False)
    expect_eq(proc.returncode, 0, "exit code of list with --conf-dir (stderr %r)" % proc.stderr)
    expect_eq(sorted((a["containerID"], a["network"]) for a in json.loads(proc.stdout)),
              [("confd1", node.network), ("confd2", "other")], "attachments listed through the conf dir")
    proc = node.ctl("--conf-dir", conf_dir, "--state-dir", other.state_dir, "list", "--json", state_dir=False)
    expect_eq([a["containerID"] for a in json.loads(proc.stdout)], ["confd2"], "--state-dir overrides --conf-dir")
    expect("--conf-dir" in node.ctl("--help").stdout, "the usage does not mention --conf-dir")
    decided = json.loads(node.ctl("--conf-dir", conf_dir, "decide", "--json", state_dir=False).stdout)
    expect(decided["config"].endswith("/10-%s.conflist" % node.network), "decide read %r" % decided["config"])
    node.delete("confd1").expect_ok()
    other.delete("confd2", conf=other.conf(subnet="10.78.0.0/24")).expect_ok()
