"""jobnetctl: version, list, the state directories of --conf-dir, make install, bad invocations named
and refused, JSON that stays JSON whatever the names hold, show when the elements do not list."""

import json
import os
import re
import subprocess

import jn
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
    cmd = ["make", "-s", "-C", ROOT, "install", "DESTDIR=" + dest, "PREFIX=/usr", "BUILD=" + build,
           "INSTALL_SYSTEMD=1"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    expect(proc.returncode == 0, "make install failed: %s %s" % (proc.stdout, proc.stderr))
    for path in ("opt/cni/bin/jobnet", "usr/sbin/jobnetctl", "etc/cni/net.d/10-jobnet.conflist",
                 "usr/share/doc/jobnet/README.md", "usr/share/doc/jobnet/docs/design.md"):
        expect(os.path.exists(os.path.join(dest, path)), "make install did not install %s" % path)
    unit = open(os.path.join(dest, "etc/systemd/system/jobnet-repair.service")).read()
    for path in re.findall(r"^(?:Documentation=file://|ExecStart=)(/\S+)", unit, re.M):
        expect(os.path.exists(dest + path), "the installed unit names %s, which make install did not install" % path)
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


@test
def every_bad_flag_is_named_and_changes_nothing(env):
    node = env.node()
    env.remember("kept", node.add(env.netns("kept"), "kept").expect_ok())
    before = node.fingerprint(contents=True)
    cases = [  # (arguments, what stderr quotes, whether node.ctl adds --state-dir)
        (("--state-dir",), '"--state-dir" needs a directory', False),
        (("--state-dir", "", "list"), 'invalid --state-dir ""', False),
        (("--conf-dir=", "list"), 'invalid --conf-dir ""', False),
        (("peers", "-xy", "G"), 'unknown option "-x"', True),
        (("peers", "G", "--set"), '"--set" needs a value', True),
        (("decide", "-gx"), 'unknown option "-g"', True),
        (("decide", "--gro"), '"--group" needs a value', True),
        (("decide", "--r", "x"), '"--r"', True),
        (("decide", "--config", ""), 'invalid --config ""', True),
        (("show", "-x"), 'unknown option "-x"', True),
        (("attach", "c1", "--netns"), '"--netns" needs a value', True),
        (("detach", "c1", "-q"), 'unknown option "-q"', True),
        (("gc", "--json"), '"--json"', True),
        (("--json", "repair"), '"--json"', True),
    ]
    for args, words, state_dir in cases:
        proc = node.ctl(*args, check=False, state_dir=state_dir)
        what = "jobnetctl " + " ".join(args)
        expect_eq(proc.returncode, 2, "exit code of " + what)
        expect(words in proc.stderr and "usage: jobnetctl" in proc.stderr,
               "%s: stderr %r lacks %r" % (what, proc.stderr, words))
        expect_eq(proc.stdout, "", what + ": stdout")
    # An error's details reach stderr with its message.
    path = os.path.join(env.tempdir("conf"), "old.conf")
    with open(path, "w") as f:
        json.dump(dict(node.conf(), cniVersion="0.2.0"), f)
    proc = node.ctl("decide", "--config", path, check=False)
    expect(proc.returncode != 0 and "0.2.0" in proc.stderr and "supported versions: 0.3.0" in proc.stderr,
           "decide on a config of an unsupported version: %d %r" % (proc.returncode, proc.stderr))
    jn.expect_same(before, node.fingerprint(contents=True), "the node after bad invocations")
    node.delete("kept").expect_ok()
    node.expect_clean("kept")


def plain(text):
    return all(" " <= c <= "~" or c in "\n\t" for c in text)


@test
def json_output_is_json_whatever_the_names(env):
    node = env.node()
    conf_dir = env.tempdir("netd")
    plugin = {k: v for k, v in node.conf().items() if k not in ("cniVersion", "name")}
    # A name that is UTF-8 (with a DEL), and one that is not.
    for name, shown in (("caf\u00e9\x7f", "caf\u00e9\x7f"), (os.fsdecode(b"bad\xff"), "bad\\xff")):
        path = os.path.join(conf_dir, name + ".conflist")
        with open(path, "w") as f:
            json.dump({"cniVersion": "1.0.0", "name": node.network, "plugins": [plugin]}, f)
        proc = node.ctl("--json", "decide", "--config", path)
        expect(plain(proc.stdout), "decide --json: stdout not plain ASCII: %r" % proc.stdout)
        expect_eq(json.loads(proc.stdout)["config"], os.path.join(conf_dir, shown + ".conflist"),
                  "decide --json of %r" % name)
    env.remember("c1", node.add(env.netns("c1"), "c1").expect_ok())
    attachments = os.path.join(node.state_dir, node.network, "attachments")
    for name in ("caf\u00e9", os.fsdecode(b"bad\xff")):
        with open(os.path.join(attachments, name), "w") as f:
            f.write("{}")
    proc = node.ctl("verify", "--json", check=False)
    expect_eq(proc.returncode, 1, "exit code of verify with stray records (stderr %r)" % proc.stderr)
    expect(plain(proc.stdout), "verify --json: stdout not plain ASCII: %r" % proc.stdout)
    where = sorted(d["where"] for d in json.loads(proc.stdout))
    expect_eq(where, sorted(["%s/caf\u00e9" % node.network, "%s/bad\\xff" % node.network]),
              "where verify --json finds drift")
    for name in ("caf\u00e9", os.fsdecode(b"bad\xff")):
        os.unlink(os.path.join(attachments, name))
    node.delete("c1").expect_ok()
    node.expect_clean("c1")


@test
def show_fails_when_the_elements_cannot_be_listed(env):
    node = env.node()
    env.remember("c1", node.add(env.netns("c1"), "c1").expect_ok())
    path = os.path.join(node.state_dir, node.network, "network.json")
    saved = open(path).read()
    with open(path, "w") as f:
        f.write("{garbage")
    for args in (("show", "c1"), ("show", "c1", "--json")):
        proc = node.ctl(*args, check=False)
        expect_eq(proc.returncode, 1, "exit code of jobnetctl %s (stderr %r)" % (" ".join(args), proc.stderr))
        expect("c1/eth0: cannot list its elements" in proc.stderr, "stderr %r" % proc.stderr)
    shown = json.loads(proc.stdout)
    expect_eq([(a["containerID"], a["elements"]) for a in shown], [("c1", [])], "show --json without elements")
    with open(path, "w") as f:
        f.write(saved)
    node.delete("c1").expect_ok()
    node.expect_clean("c1")


@test
def a_state_dir_that_is_not_there_removes_nothing(env):
    node = env.node()
    r = node.add(env.netns("c1"), "c1").expect_ok()
    env.remember("c1", r)
    veth = r.json["interfaces"][1]["name"]
    missing = os.path.join(env.tempdir("gone"), "state")
    before = node.fingerprint(contents=True)
    for command in ("gc", "repair", "list"):
        proc = node.ctl("--state-dir", missing, command, check=False, state_dir=False)
        expect_eq(proc.returncode, 1, "exit code of jobnetctl --state-dir MISSING %s" % command)
        expect(missing in proc.stderr and "No such file" in proc.stderr, "stderr %r" % proc.stderr)
    expect(node.ns.link_exists(veth), "gc of a missing state directory removed %s" % veth)
    expect(not os.path.exists(missing), "a command made the missing state directory")
    jn.expect_same(before, node.fingerprint(contents=True), "the node after commands on a missing state directory")
    node.delete("c1").expect_ok()
    node.expect_clean("c1")


def _peers_state(node, state_dir, network, cid):
    """A member's peers as its record says, and the elements naming them."""
    with open(os.path.join(state_dir, network, "attachments", "%s:eth0" % cid)) as f:
        peers = json.load(f)["facts"]["peers"]
    return peers, sorted(text for _, name, _, text in node.elements() if "192.0.2.7" in text)


@test
def peers_changes_no_state_directory_while_another_fails(env):
    """The group has members in two state directories (two networks of the
    conf dir). When the second cannot take the change (a record that does
    not read; a record that cannot be written), the first is left as it
    was, or put back: its record and its elements."""
    node = env.node(name="peersa")
    dir_b = env.tempdir("peers-b")
    confs = {"peersa": node.conf(bridge="jnpeersa0", subnet="10.77.0.0/24"),
             "peersb": node.conf(name="peersb", bridge="jnpeersb0", subnet="10.78.0.0/24", stateDir=dir_b)}
    conf_dir = env.tempdir("peers-netd")
    for i, (name, conf) in enumerate(sorted(confs.items())):
        plugin = {k: v for k, v in conf.items() if k not in ("cniVersion", "name")}
        with open(os.path.join(conf_dir, "%d0-%s.conflist" % (i + 1, name)), "w") as f:
            json.dump({"cniVersion": "1.1.0", "name": name, "plugins": [plugin]}, f)
    for cid, name, group in (("pa1", "peersa", "G"), ("pb1", "peersb", "G"), ("pb2", "peersb", "H")):
        conf = dict(confs[name], runtimeConfig={"jobnet": {"group": group}})
        env.remember(cid, node.add(env.netns(cid), cid, conf=conf).expect_ok())
    listing = json.loads(node.ctl("--conf-dir", conf_dir, "peers", "G", "--json", state_dir=False).stdout)
    expect_eq(sorted(m["containerID"] for m in listing), ["pa1", "pb1"], "the members through the conf dir")
    before = node.fingerprint(contents=True)
    expect_eq(_peers_state(node, node.state_dir, "peersa", "pa1"), ([], []), "pa1 before the change")
    attachments_b = os.path.join(dir_b, "peersb", "attachments")

    def refused(what):
        p = node.ctl("--conf-dir", conf_dir, "peers", "G", "--add", "192.0.2.7", check=False, state_dir=False)
        expect_eq(p.returncode, 1, "jobnetctl peers with %s: %s%s" % (what, p.stdout, p.stderr))
        expect_eq(_peers_state(node, node.state_dir, "peersa", "pa1"), ([], []), "pa1 after peers with " + what)
        expect_eq(_peers_state(node, dir_b, "peersb", "pb1")[0], [], "pb1's record after peers with " + what)
        jn.expect_same(before, node.fingerprint(contents=True), "the first directory after peers with " + what)
        return p.stderr

    # A record of the second directory (not a member's) that does not read.
    record = os.path.join(attachments_b, "pb2:eth0")
    with open(record) as f:
        saved = f.read()
    with open(record, "w") as f:
        f.write('{"containerID": ')
    stderr = refused("a record cut short in the second directory")
    expect("pb2:eth0" in stderr, "peers does not name the record that does not read: %s" % stderr)
    with open(record, "w") as f:
        f.write(saved)
    # A member's record of the second directory that cannot be written (its
    # copy, written first, is a directory): the first has changed by then.
    copy = os.path.join(attachments_b, ".pb1:eth0.copy")
    with open(copy) as f:
        saved = f.read()
    os.remove(copy)
    os.mkdir(copy)
    refused("a record that cannot be written in the second directory")
    os.rmdir(copy)
    with open(copy, "w") as f:
        f.write(saved)
    node.ctl("--conf-dir", conf_dir, "peers", "G", "--add", "192.0.2.7", state_dir=False)
    for state_dir, network, cid in ((node.state_dir, "peersa", "pa1"), (dir_b, "peersb", "pb1")):
        expect_eq(_peers_state(node, state_dir, network, cid)[0], ["192.0.2.7/32"],
                  "%s's record once both directories take the change" % cid)
    elements = _peers_state(node, node.state_dir, "peersa", "pa1")[1]
    for prefix in ("10.77.0.", "10.78.0."):
        expect(any(prefix in e for e in elements), "no peer element of the %sx member: %r" % (prefix, elements))
