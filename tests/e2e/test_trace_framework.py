"""The tracer framework: lost events, teardown, --stats, hook choice, the
trimmed kernel BTF, option errors."""
import json
import os
import re
import signal
import subprocess

import pytest

from conftest import NETLENS, run, wait_for
from trace_util import Server, Tracer, bpf_prog_ids, events, workload

TRACERS = ["tcplife", "tcpstates", "tcpconnect", "tcpaccept", "tcpconnlat"]


def test_lost_events_counted_and_tracer_survives(netns):
    # A stopped consumer cannot drain the 4 KiB buffer: the flood must be lost
    # in part, counted in the kernel, and reported; the tracer then carries on.
    tr = Tracer(["tcpstates", "--netns", netns.name, "--ringbuf-size", "4096"])
    try:
        tr.p.send_signal(signal.SIGSTOP)
        workload(netns, "flood", "--conns", 300)
        tr.p.send_signal(signal.SIGCONT)
        # the consumer drains the full buffer in one batch: once it printed
        # some of it, there is room again (a busy machine may take a while
        # to schedule it)
        wait_for(lambda: tr._read(tr.out).count("\n") > 0, what="the tracer to drain its buffer")
        srv = Server(netns, "--conns", 1)
        workload(netns, "client", "--port", srv.port, "--conns", 1)
        srv.wait()
    finally:
        tr.p.send_signal(signal.SIGCONT)
        recs = tr.stop()
    assert recs[-1]["lost_events"] > 0
    assert any(e.get("lport") == srv.port and e["newstate"] == "LISTEN" for e in events(recs))


def test_lost_events_text_mode(netns):
    tr = Tracer(["tcpstates", "--netns", netns.name, "--ringbuf-size", "4096"], json_mode=False)
    try:
        tr.p.send_signal(signal.SIGSTOP)
        workload(netns, "flood", "--conns", 300)
    finally:
        tr.p.send_signal(signal.SIGCONT)
        tr.stop()
    assert " events lost" in tr.stderr


@pytest.mark.sanitize
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("tracer", TRACERS)
def test_no_programs_left_behind(netns, tracer, sig):
    before = bpf_prog_ids()
    tr = Tracer([tracer, "--netns", netns.name])
    mine = {i: n for i, n in bpf_prog_ids().items() if i not in before}
    assert any(n.startswith(tracer) for n in mine.values()), mine
    tr.stop(sig)
    assert wait_for(lambda: not (set(mine) & set(bpf_prog_ids())), timeout=10,
                    what="programs to be unloaded")


@pytest.mark.parametrize("tracer,progs", [
    # tcplife: no accept() hook (owners come from close()); sessions waiting
    # for their owner, and closes the state program missed, end at
    # tcp_destroy_sock
    ("tcplife", [("tcplife_state_btf", "tp_btf/inet_sock_set_state"),
                 ("tcplife_destroy_btf", "tp_btf/tcp_destroy_sock")]),
    # tcpstates: the state handler twice, primary and backup for nested runs
    ("tcpstates", [("tcpstates_state_btf", "tp_btf/inet_sock_set_state"),
                   ("tcpstates_accept4_tp", "tracepoint/syscalls/sys_exit_accept4"),
                   ("tcpstates_accept_tp", "tracepoint/syscalls/sys_exit_accept"),
                   ("tcpstates_state_btf_nest", "tp_btf/inet_sock_set_state")]),
])
def test_stats_and_duration(netns, tracer, progs):
    # -d ends the run by itself; --stats reports each attached program, the
    # backup hooks with the events they recovered
    p = run(["-j", tracer, "--netns", netns.name, "-d", "0.3", "--stats"])
    recs = [json.loads(l) for l in p.stdout.splitlines()]
    stats = [r["stats"] for r in recs if "stats" in r]
    assert [(s["prog"], s["hook"]) for s in stats] == progs
    assert all(s["run_cnt"] >= 0 and s["recursion_misses"] >= 0 and "mean_ns" in s
               for s in stats)
    assert stats[-1]["recovered"] >= 0 and all("recovered" not in s for s in stats[:-1])
    assert {"lost_events": 0} in recs


def _relocations(tracer, kernel_btf):
    """CO-RE relocation results from libbpf's debug log: local access spec ->
    the values patched in, over all programs of the object."""
    env = dict(os.environ, NETLENS_BPF_DEBUG="1")
    if kernel_btf:
        env["NETLENS_KERNEL_BTF"] = kernel_btf
    p = run([tracer, "-d", "0.01"], env=env)
    specs, out = {}, {}
    for line in p.stderr.splitlines():
        m = re.search(r"prog '(\w+)': relo #(\d+): <(\w+)> \[\d+\] (.*)$", line)
        if m:
            specs[(m[1], m[2])] = f"{m[4]} <{m[3]}>"
            continue
        m = re.search(r"prog '(\w+)': relo #(\d+): patched insn #\d+ \(.*\) (?:imm|off) "
                      r"(-?\d+) -> (-?\d+)", line)
        if m and (m[1], m[2]) in specs:
            out.setdefault(specs[(m[1], m[2])], set()).add(m[4])
    return out, p.stderr


@pytest.mark.parametrize("tracer", TRACERS)
def test_trimmed_kernel_btf_relocates_like_the_full_one(tracer):
    # netlens hands libbpf a trimmed copy of the kernel BTF (only the types
    # and members the programs read); every CO-RE relocation must come out
    # exactly as with the whole /sys/kernel/btf/vmlinux
    full, _ = _relocations(tracer, "full")
    trimmed, log = _relocations(tracer, None)
    assert "trimmed kernel BTF unavailable" not in log
    assert full and trimmed == full


@pytest.mark.parametrize("kernel_btf", ["trimmed", "full"])
def test_tp_btf_first_without_parsing_the_kernel_btf(netns, kernel_btf):
    # hooks are tried as listed, tp_btf first, in both BTF modes; with the
    # trimmed BTF, libbpf never reads /sys/kernel/btf/vmlinux itself (the
    # tp_btf attach ids come from netlens's own streaming pass)
    env = dict(os.environ, NETLENS_BPF_DEBUG="1")
    if kernel_btf == "full":
        env["NETLENS_KERNEL_BTF"] = "full"
    p = run(["-j", "tcplife", "--netns", netns.name, "-d", "0.1", "--stats"], env=env)
    hooks = [json.loads(l)["stats"]["hook"] for l in p.stdout.splitlines() if "stats" in l]
    assert hooks == ["tp_btf/inet_sock_set_state", "tp_btf/tcp_destroy_sock"]
    assert ("loading kernel BTF '/sys/kernel/btf/vmlinux'" in p.stderr) == (kernel_btf == "full")


ALL_TRACERS = TRACERS + ["tcpretrans", "tcpreset", "skbdrop", "tcpdrop", "tcpwin", "tcprtt",
                        "tcpsynbl", "tcptop"]
# those of the socket layer and DNS with tracepoints of their own (the rest
# hook syscalls:* only, which have no tp_btf twin)
ALL_TRACERS += ["sockstat", "socketio", "socksize", "sormem", "soconnlat", "so1stbyte",
                "dnssnoop"]
ALL_TRACERS += ["napistat", "stacks"]
# what a tracer runs with instead of --netns (one that takes no --netns)
RUN_ARGS = {
    "stacks": ["net:net_dev_xmit"],
}
ALL_TRACERS += ["superping"]
ALL_TRACERS += ["ipecn"]
# not ieee80211scan: it refuses to run on a kernel without cfg80211
ALL_TRACERS += ["netsize"]
ALL_TRACERS += ["skblife"]
ALL_TRACERS += ["qdisclat"]
ALL_TRACERS += ["nettxlat"]


@pytest.mark.parametrize("tracer", ALL_TRACERS)
def test_raw_tp_fallback_loads(netns, tracer):
    # tp_btf programs go first; their raw_tp twins (for kernels where tp_btf
    # does not load) must pass the verifier too: NETLENS_NO_TP_BTF=1 puts
    # tp_btf last, so every hook that has a raw_tp program runs it
    args = RUN_ARGS.get(tracer, ["--netns", netns.name])
    p = run(["-j", tracer] + args + ["-d", "0.1", "--stats"],
            env=dict(os.environ, NETLENS_NO_TP_BTF="1"))
    hooks = [json.loads(l)["stats"]["hook"] for l in p.stdout.splitlines() if "stats" in l]
    assert hooks and not any(h.startswith("tp_btf/") for h in hooks), hooks


SOCK_LENGTH_USERS = ["socketio", "socksize", "sormem", "so1stbyte", "tcpnagle", "tcptop"]


@pytest.mark.parametrize("tracer", SOCK_LENGTH_USERS)
def test_system_call_stand_ins_load(netns, tracer):
    # before kernel 6.3 (no sock_send_length/sock_recv_length) these
    # tracers run on system-call tracepoints; with the tracepoints hidden
    # every stand-in loads (raw_tp too) and the run says so
    hide = "sock_send_length,sock_recv_length"
    p = run(["-j", tracer, "--netns", netns.name, "-d", "0.1", "--stats"],
            env=dict(os.environ, NETLENS_HIDE_TRACEPOINTS=hide, NETLENS_NO_TP_BTF="1"))
    hooks = [json.loads(l)["stats"]["hook"] for l in p.stdout.splitlines() if "stats" in l]
    assert not any(h.endswith("_length") for h in hooks), hooks
    assert not any(h.startswith("tp_btf/") for h in hooks), hooks
    assert any(h.startswith("tracepoint/syscalls/sys_exit_re") for h in hooks) or \
        any(h.startswith("tracepoint/syscalls/sys_exit_se") for h in hooks), hooks
    warnings = [json.loads(l) for l in p.stderr.splitlines() if "on this kernel" in l]
    assert warnings and all(w["warning"].startswith(tracer + ": no sock_") for w in warnings), \
        p.stderr


@pytest.mark.parametrize("hide", [False, True])
def test_tracefs_is_mounted_only_for_chosen_classic_tracepoints(hide):
    # socketio's system-call stand-ins are classic tracepoints: on a fresh
    # machine (no tracefs, in a mount namespace of our own) they need it
    # mounted when they run, and nothing is mounted when the sock_*_length
    # tracepoints are there
    script = ("umount /sys/kernel/debug/tracing 2>/dev/null; umount /sys/kernel/debug 2>/dev/null;"
              " umount /sys/kernel/tracing 2>/dev/null; test ! -e /sys/kernel/tracing/events &&"
              ' "$0" socketio -d 0.2 && if test -e /sys/kernel/tracing/events; then echo mounted;'
              " else echo absent; fi")
    env = dict(os.environ)
    if hide:
        env["NETLENS_HIDE_TRACEPOINTS"] = "sock_send_length,sock_recv_length"
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, NETLENS],
                       capture_output=True, text=True, timeout=60, env=env)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[-1] == ("mounted" if hide else "absent"), (p.stdout, p.stderr)
    assert ("tracepoint/syscalls/sys_{enter,exit}_sendto" in p.stderr) == hide, p.stderr


def test_a_missing_hook_is_one_error_naming_it(netns):
    p = run(["-j", "tcprtt", "--netns", netns.name, "-d", "1"], check=False,
            env=dict(os.environ, NETLENS_HIDE_TRACEPOINTS="tcp_probe"))
    # under -j the error is the one JSON line on stdout
    assert p.returncode == 1 and p.stderr == "", p
    err = [json.loads(l) for l in p.stdout.splitlines()]
    assert len(err) == 1 and err[0]["error"].startswith(
        "tcprtt: no usable hook for tcp_probe on this kernel (tried tcprtt_probe_btf, "
        "tcprtt_probe_raw): attaching raw_tp/tcp_probe: "), err


def test_wide_text_columns(netns):
    tr = Tracer(["tcplife", "--netns", netns.name, "-w", "-t"], json_mode=False)
    try:
        srv = Server(netns, "--conns", 1, "--recv", 10, "--send", 10)
        workload(netns, "client", "--port", srv.port, "--conns", 1, "--send", 10, "--recv", 10)
        srv.wait()
    finally:
        out = tr.stop()
    lines = out.splitlines()
    assert lines[0].split() == ["TIME(s)", "PID", "COMM", "LADDR", "LPORT", "RADDR", "RPORT",
                                "TX_KB", "RX_KB", "MS", "NETNS", "CGROUP"]
    inode = str(os.stat(f"/run/netns/{netns.name}").st_ino)
    assert len(lines) == 3 and all(l.split()[10] == inode for l in lines[1:])


@pytest.mark.parametrize("args,msg", [
    (["tcplife", "-P", "0"], "-P"),
    (["tcplife", "-P", "1,2,3,4,5,6,7,8,9"], "at most"),
    (["tcplife", "--netns", "no-such-ns-xyz"], "--netns"),
    (["tcplife", "--comm", "x" * 20], "--comm"),
    (["tcplife", "--ringbuf-size", "5000"], "power of two"),
    (["tcplife", "--bogus"], "not an option of"),
    (["tcpconnlat", "--linear", "0"], "--linear"),
])
def test_option_errors(args, msg):
    p = run(args, check=False)
    assert p.returncode == 2 and msg in p.stderr, p.stderr
