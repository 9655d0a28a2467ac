"""ieee80211scan: on a kernel without cfg80211 the command names the
missing tracepoint and exits 1, in one line (JSON under -j); with
cfg80211 and mac80211_hwsim (a simulated radio), a scan triggered with
`iw` is timed, with the process that asked."""
import json
import os
import shutil
import subprocess

import pytest

from conftest import run
from so_util import check_docs_list_exactly_the_options
from trace_util import Tracer, events

TP = "cfg80211:rdev_scan"


def have_cfg80211():
    if os.path.exists("/sys/kernel/tracing/events/cfg80211/rdev_scan"):
        return True
    for path in ("/sys/kernel/btf/vmlinux", "/sys/kernel/btf/cfg80211"):
        if os.path.exists(path) and b"btf_trace_rdev_scan\0" in open(path, "rb").read():
            return True
    return False


def hwsim_radio():
    """The phy of a mac80211_hwsim radio, or None."""
    if not os.path.isdir("/sys/module/mac80211_hwsim") or not shutil.which("iw"):
        return None
    for phy in sorted(os.listdir("/sys/class/ieee80211")):
        if os.path.exists(f"/sys/class/ieee80211/{phy}/device/driver") and \
                "hwsim" in os.readlink(f"/sys/class/ieee80211/{phy}/device/driver"):
            return phy
    return None


@pytest.mark.skipif(have_cfg80211(), reason="this kernel has cfg80211: nothing to refuse")
@pytest.mark.parametrize("json_mode", [False, True])
def test_refuses_without_cfg80211(json_mode):
    p = run((["-j"] if json_mode else []) + ["ieee80211scan", "-d", "1"], check=False)
    assert p.returncode == 1, p
    if json_mode:
        (line,) = p.stdout.splitlines()
        msg = json.loads(line)["error"]
        assert p.stderr == ""
    else:
        (msg,) = p.stderr.splitlines()
        assert p.stdout == "" and msg.startswith("netlens: error: ieee80211scan: "), msg
    assert f"tracepoint {TP} not found" in msg and "no cfg80211" in msg, msg


@pytest.mark.skipif(not have_cfg80211(), reason="this kernel has no cfg80211 (no tracepoints)")
def test_scan_timed_with_hwsim():
    phy = hwsim_radio()
    if not phy:
        pytest.skip("no mac80211_hwsim radio (modprobe mac80211_hwsim) or no iw")
    devs = [d for d in os.listdir("/sys/class/net")
            if os.path.exists(f"/sys/class/net/{d}/phy80211") and
            os.path.basename(os.readlink(f"/sys/class/net/{d}/phy80211")) == phy]
    if not devs:
        pytest.skip(f"{phy} has no interface")
    subprocess.run(["ip", "link", "set", devs[0], "up"], check=True)
    tr = Tracer(["ieee80211scan"])
    try:
        subprocess.run(["iw", "dev", devs[0], "scan"], check=True, capture_output=True,
                       timeout=60)
    finally:
        recs = tr.stop()
    evs = [e for e in events(recs) if e["comm"] == "iw"]
    assert len(evs) == 1 and evs[0]["latency_ms"] > 0, recs


def test_docs():
    check_docs_list_exactly_the_options("ieee80211scan")
