"""The command line: help, version, dispatch, errors, JSON well-formedness."""
import json
import os
import subprocess

import pytest

from conftest import NETLENS, run


@pytest.mark.sanitize
def test_help_lists_commands():
    out = run(["help"]).stdout
    assert "usage: netlens" in out and "\n  ss " in out


def test_version():
    assert run(["--version"]).stdout.startswith("netlens ")


def test_command_help_goes_to_stdout():
    p = run(["ss", "-h"])
    assert p.stdout.startswith("netlens ss:") and "FILTER" in p.stdout and p.stderr == ""
    assert run(["help", "ss"]).stdout == p.stdout


def test_unknown_command():
    p = run(["frobnicate"], check=False)
    assert p.returncode == 2 and "unknown command 'frobnicate'" in p.stderr


def test_unknown_global_option():
    p = run(["--frob"], check=False)
    assert p.returncode == 2 and "unknown global option '--frob'" in p.stderr


def test_busybox_dispatch(tmp_path):
    link = tmp_path / "ss"
    os.symlink(os.path.abspath(NETLENS), link)
    a = subprocess.run([str(link), "-h"], capture_output=True, text=True)
    assert a.returncode == 0 and a.stdout.startswith("netlens ss:")


def test_unique_prefix_names_a_command():
    assert run(["lin", "-h"]).stdout.startswith("netlens links:")
    p = run(["s", "-h"], check=False)  # ss, snapshot, sockmem, ...
    assert p.returncode == 2 and "unknown command 's'" in p.stderr


@pytest.mark.parametrize("args", [["nosuch"], ["--frob"], ["nstat", "-x"], ["nstat", "-i"],
                                  ["nstat", "--count", "0", "-i", "1"], ["sysctl", "--bogus"],
                                  ["snapshot"], ["sockmem", "extra"], ["ifstat", "-x"],
                                  ["ifstat", "--count", "2"], ["ifstat", "-i", "0"]])
def test_misuse_is_one_line_in_either_mode(args):
    """Every misuse is one line naming the cause, JSON under -j, exit 2."""
    p = run(args, check=False)
    assert p.returncode == 2 and p.stdout == ""
    assert len(p.stderr.splitlines()) == 1 and p.stderr.startswith("netlens: error: ")
    j = run(["-j"] + args, check=False)
    assert j.returncode == 2 and j.stderr == ""
    assert list(json.loads(j.stdout)) == ["error"] and len(j.stdout.splitlines()) == 1
    assert json.loads(j.stdout)["error"] == p.stderr[len("netlens: error: "):].strip()


def test_json_after_the_command_also_reports_misuse_as_json():
    j = run(["nstat", "--bogus", "-j"], check=False)
    assert j.returncode == 2 and "--bogus" in json.loads(j.stdout)["error"]


def test_json_is_valid_and_typed(netns):
    rows = [json.loads(l) for l in run(["-j", "ss", "-a"], ns=netns.name).stdout.splitlines()]
    for r in rows:
        assert isinstance(r["recv_q"], int) and isinstance(r["state"], str)


def test_json_escapes_strings(netns):
    # an abstract UNIX name with a quote, a backslash and a control byte
    name = '\0nlt"q\\t\x01x'
    code = ("import socket,sys;s=socket.socket(socket.AF_UNIX);s.bind(%r);s.listen(1);"
            "print('ok',flush=True);sys.stdin.read()" % name)
    p = netns.popen(["/usr/bin/python3", "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ok"
    rows = [json.loads(l) for l in run(["-j", "ss", "-xl"], ns=netns.name).stdout.splitlines()]
    assert any(r.get("path") == "@" + name[1:] for r in rows)


def test_write_error_is_reported():
    # /dev/full makes every write fail with ENOSPC
    with open("/dev/full", "w") as full:
        p = subprocess.run([NETLENS, "help"], stdout=full, stderr=subprocess.PIPE, text=True)
    assert p.returncode != 0 and "writing output" in p.stderr


def test_every_command_help_comes_from_its_option_table():
    """-h is generated: a usage line, the options (with the implicit -j/-h)."""
    names = run(["help", "--aliases"]).stdout.split() + ["ss", "nstat", "ifstat", "links",
                                                          "routes", "sockmem", "sysctl", "snapshot",
                                                          "doctor", "help"]
    for name in names:
        out = run([name, "-h"]).stdout
        assert out.startswith(f"netlens {name}: "), name
        assert f"\nusage: netlens {name} " in out, name
        assert "\nOptions:\n" in out and "  -j, --json " in out and "  -h, --help " in out, name


# --- what a source option is given: a FIFO never hangs, a wrong file is named ---

@pytest.mark.parametrize("args", [["ss", "--from"], ["ifstat", "--from"], ["doctor", "--from"]],
                         ids=lambda a: " ".join(a))
def test_from_a_fifo_is_refused_at_once(tmp_path, args):
    """Opening a FIFO for reading waits for a writer: --from opens without
    waiting and refuses anything but a regular file, naming what it is."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    p = run(args + [str(fifo)], check=False, timeout=10)
    assert p.returncode != 0 and p.stdout == ""
    assert len(p.stderr.splitlines()) == 1
    assert "it is a FIFO, not a regular file" in p.stderr


@pytest.mark.parametrize("cmd", [["ss"], ["links"], ["nstat", "-as"], ["snapshot", "-i", "0", "-o", "SNAP"]],
                         ids=lambda a: a[0])
@pytest.mark.parametrize("path,why", [("FIFO", "it is a FIFO, not a namespace file"),
                                      ("", "an empty path names no namespace"),
                                      ("/etc/passwd", "it is a regular file, not a namespace file"),
                                      ("/proc/self/ns/mnt", "not a network namespace")],
                         ids=["fifo", "empty", "regular", "mntns"])
def test_netns_must_be_a_network_namespace_file(tmp_path, cmd, path, why):
    """--netns takes an nsfs file of a network namespace; anything else is
    refused at once with the reason (and a FIFO does not hang the open)."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    path = str(fifo) if path == "FIFO" else path
    cmd = [str(tmp_path / "snap") if a == "SNAP" else a for a in cmd]
    p = run(cmd + ["--netns", path], check=False, timeout=10)
    assert p.returncode == 1 and p.stdout == ""
    assert len(p.stderr.splitlines()) == 1 and why in p.stderr
    assert f"cannot enter network namespace '{path}'" in p.stderr
    assert sorted(os.listdir(tmp_path)) == ["fifo"]  # snapshot wrote nothing


@pytest.mark.parametrize("cmd", [["ss"], ["links"], ["nstat", "-as"], ["snapshot", "-i", "0", "-o", "SNAP"]],
                         ids=lambda a: a[0])
def test_netns_without_cap_sys_admin_names_the_capability(netns, tmp_path, cmd):
    """-N NAME as an unprivileged user: one line naming CAP_SYS_ADMIN (what
    setns() needs) and the fix, not "needs root" or a bare EPERM."""
    os.chmod(tmp_path, 0o777)
    cmd = [str(tmp_path / "snap") if a == "SNAP" else a for a in cmd]
    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    for opt in (["-N", netns.name], ["--netns", f"/run/netns/{netns.name}"]):
        p = subprocess.run(nobody + [NETLENS] + cmd + opt, capture_output=True, text=True, timeout=10)
        assert p.returncode == 1 and p.stdout == "", p.stderr
        assert len(p.stderr.splitlines()) == 1
        assert "setns() needs CAP_SYS_ADMIN" in p.stderr and "run it as root" in p.stderr
        j = subprocess.run(nobody + [NETLENS, "-j"] + cmd + opt, capture_output=True, text=True, timeout=10)
        assert "CAP_SYS_ADMIN" in json.loads(j.stdout)["error"]
    assert os.listdir(tmp_path) == []
