"""netlens doctor's input: --config files (only regular files root or the
caller owns and nobody else can write, opened without waiting, bounded in
size and lines, never echoed), --set values (finite, not negative), and
--only/--skip lists that must leave something to check. Every refusal is
one line, JSON under -j, status 3 like every misuse of doctor."""
import json
import os
import subprocess

import pytest

from conftest import run

SECRET = "root:$y$j9T$S3CR3THASHxyz:19000:0:99999:7:::"


def refused(args, msg, timeout=10):
    """doctor with args is refused at once with msg, in one line, either mode."""
    p = run(["doctor", "-i", "0"] + args, check=False, timeout=timeout)
    assert p.returncode == 3 and p.stdout == "", p.stdout + p.stderr
    assert len(p.stderr.splitlines()) == 1 and p.stderr.startswith("netlens: error: "), p.stderr
    assert msg in p.stderr, p.stderr
    j = run(["-j", "doctor", "-i", "0"] + args, check=False, timeout=timeout)
    assert j.returncode == 3 and j.stderr == "" and len(j.stdout.splitlines()) == 1
    assert msg in json.loads(j.stdout)["error"]
    return p.stderr


def conf(tmp_path, text, mode=0o600, name="netlens.conf"):
    path = tmp_path / name
    path.write_text(text) if isinstance(text, str) else path.write_bytes(text)
    os.chmod(path, mode)
    return str(path)


def test_error_never_echoes_file_content(tmp_path):
    err = refused(["--config", conf(tmp_path, SECRET + "\n")], ":1: expected ID.NAME = VALUE")
    assert "S3CR3T" not in err and "19000" not in err
    # a key that looks like one quotes only that key
    err = refused(["--config", conf(tmp_path, "db.password = S3CR3T\n")], ":1: no rule 'db'")
    assert "S3CR3T" not in err and "password" not in err


def test_shadow_is_not_echoed():
    if not os.path.exists("/etc/shadow"):
        pytest.skip("no /etc/shadow")
    with open("/etc/shadow") as f:
        first = f.readline().strip()
    p = run(["doctor", "-i", "0", "--config", "/etc/shadow"], check=False, timeout=10)
    assert p.returncode == 3 and len(p.stderr.splitlines()) == 1
    for part in first.split(":")[1:]:
        if len(part) > 3:
            assert part not in p.stderr


def test_fifo_is_refused_without_waiting(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o600)
    refused(["--config", str(fifo)], f"{fifo} is a FIFO: give a regular file")


def test_devices_and_directories_are_refused(tmp_path):
    refused(["--config", "/dev/zero"], "/dev/zero is a character device: give a regular file")
    refused(["--config", str(tmp_path)], f"{tmp_path} is a directory: give a regular file")
    link = tmp_path / "zero"
    os.symlink("/dev/zero", link)
    refused(["--config", str(link)], "is a character device")


def test_symlink_to_a_good_file_is_followed(tmp_path, netns):
    target = conf(tmp_path, "tcp-retrans.warning_pct = 2\n")
    link = tmp_path / "link.conf"
    os.symlink(target, link)
    p = run(["doctor", "-i", "0", "--only", "tcp-retrans", "--config", str(link)], ns=netns.name,
            check=False)
    assert p.returncode == 0, p.stderr


def test_owner_and_mode_are_checked(tmp_path):
    other = conf(tmp_path, "tcp-retrans.warning_pct = 2\n", name="other.conf")
    os.chown(other, 65534, 65534)
    refused(["--config", other], "is owned by uid 65534, neither root nor you")
    for mode, who in ((0o620, "its group"), (0o602, "everyone")):
        path = conf(tmp_path, "tcp-retrans.warning_pct = 2\n", mode=mode, name=f"m{mode:o}.conf")
        refused(["--config", path], f"is writable by {who} (mode 0{mode:o}): chmod go-w it")


def test_size_and_lines_are_bounded(tmp_path):
    refused(["--config", conf(tmp_path, b"#" * (1 << 20) + b"\n")],
            "is larger than 1048576 bytes: not a config file")
    refused(["--config", conf(tmp_path, "\n" * 65537, name="lines.conf")],
            "has more than 65536 lines: not a config file")


def test_long_comment_keeps_line_numbers(tmp_path, netns):
    text = "#" + "x" * 600 + "\ntcp-retrans.warning_pct = 2\nbogus.x = 1\n"
    refused(["--config", conf(tmp_path, text)], ":3: no rule 'bogus'")
    path = conf(tmp_path, "#" + "x" * 600 + "\ntcp-retrans.warning_pct = 2\n", name="ok.conf")
    p = run(["doctor", "-i", "0", "--only", "tcp-retrans", "--config", path], ns=netns.name,
            check=False)
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize("value,why", [
    ("nan", "'nan' is not a decimal number"),
    ("inf", "'inf' is not a decimal number"),
    ("1e999", "'1e999' is out of range"),
    ("-5", "'-5' is negative"),
])
def test_set_refuses_non_finite_and_negative(value, why):
    refused(["--set", f"listen-overflow.critical_per_s={value}"],
            f"--set: listen-overflow.critical_per_s: {why}")


@pytest.mark.parametrize("args,msg", [
    (["--only", ""], "--only: '' has an empty item"),
    (["--only", ","], "--only: ',' has an empty item"),
    (["--only", "tcp,,udp"], "--only: 'tcp,,udp' has an empty item"),
    (["--skip", ""], "--skip: '' has an empty item"),
    (["--only", "nosuch"], "--only: no rule or area 'nosuch'"),
    (["--only", "hardening", "--skip", "hardening"], "--skip leaves no rule to run"),
])
def test_empty_rule_set_is_a_usage_error(args, msg):
    """No false all-clear: a selection that checks nothing is refused."""
    refused(args, msg)


def test_skip_of_every_area_is_refused():
    areas = {r["area"] for r in (json.loads(l) for l in run(["-j", "doctor", "--list"]).stdout.splitlines())}
    refused(["--skip", ",".join(sorted(areas))], "--skip leaves no rule to run")
