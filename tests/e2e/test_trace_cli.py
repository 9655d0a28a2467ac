"""The tracers' command line: each tracer accepts exactly the options its -h
lists (its own and the shared groups it takes), -c is --counts only where a
count mode exists, -n/--count stops after N events or N intervals, misuse
is one line (JSON under -j), summaries end with the lost_events record and
interval records carry their time ("time", as main names it)."""
import json
import re
import time

import pytest

from conftest import HERE, run, wait_for
from trace_util import Server, Tracer, cgroup2_root, events, workload

ALL = ["tcplife", "tcpstates", "tcpconnect", "tcpaccept", "tcpconnlat", "tcpretrans",
       "tcpreset", "skbdrop", "tcpdrop", "tcpwin", "tcprtt", "tcpsynbl", "tcptop"]
# the socket layer and name resolution (issues 12 and 13)
ALL += ["sockstat", "sofamily", "soprotocol", "soconnect", "udpconnect", "solisten", "soaccept",
        "socketio", "socksize", "sormem", "soconnlat", "so1stbyte", "sofdsnoop",
        "gethostlatency", "dnssnoop"]
ALL += ["napistat", "stacks"]
ALL += ["superping"]
ALL += ["ipecn"]
# not ieee80211scan: it takes no --netns (these tests end on a bad one) and
# refuses to run without cfg80211; test_trace_ieee80211scan.py checks its -h

# the tracers whose -c is --counts (a count mode)
COUNTS = {"tcpconnect", "tcpaccept", "tcpretrans", "tcpreset"}
COUNTS |= {"soconnect", "udpconnect", "soaccept", "dnssnoop"}
COUNTS |= {"superping"}
ALL += ["netsize"]
ALL += ["skblife"]
ALL += ["qdisclat"]
ALL += ["nettxlat"]

# every shared option, with a valid argument when it takes one
COMMON = {
    "--pid": ["1"], "--comm": ["x"], "--port": ["80"], "--lport": ["80"], "--rport": ["80"],
    "--ipv4": [], "--ipv6": [], "--cgroup": [cgroup2_root()], "--timestamp": [],
    "--wallclock": [], "--wide": [], "--ringbuf-size": ["4096"], "--duration": ["1"],
    "--count": ["1"], "--stats": [], "--interval": ["1"], "--counts": [], "--max-keys": ["16"],
}

# what each tracer must not take (the rest of COMMON it must)
REFUSED = {
    "tcplife": {"--interval", "--counts"},
    "tcpstates": {"--interval", "--counts"},
    "tcpconnlat": {"--counts"},
    "tcpwin": {"--pid", "--comm", "--interval", "--counts", "--max-keys"},
    "tcprtt": {"--pid", "--comm", "--timestamp", "--wallclock", "--wide", "--ringbuf-size",
               "--counts"},
    "tcpsynbl": {"--pid", "--comm", "--timestamp", "--wallclock", "--wide", "--ringbuf-size",
                 "--counts"},
    "tcptop": {"--timestamp", "--wallclock", "--wide", "--ringbuf-size", "--counts"},
    "skbdrop": {"--pid", "--comm", "--counts"},
    "tcpdrop": {"--pid", "--comm", "--counts"},
    # per-interval counters and histograms: no event columns, no per-port
    # filter where the count is not per socket
    "sockstat": {"--wallclock", "--max-keys", "--ringbuf-size", "--rport", "--ipv4", "--wide",
                 "--counts", "--timestamp", "--lport", "--port", "--ipv6"},
    "sofamily": {"--wallclock", "--ringbuf-size", "--rport", "--ipv4", "--wide", "--counts",
                 "--timestamp", "--lport", "--port", "--ipv6"},
    "soprotocol": {"--wallclock", "--ringbuf-size", "--rport", "--ipv4", "--wide", "--counts",
                   "--timestamp", "--lport", "--port", "--ipv6"},
    "soconnect": {"--lport", "--max-keys", "--rport"},
    "udpconnect": {"--lport", "--max-keys", "--rport"},
    "solisten": {"--max-keys", "--interval", "--rport", "--counts", "--lport"},
    "soaccept": {"--max-keys"},
    "socketio": {"--wallclock", "--ringbuf-size", "--wide", "--counts", "--timestamp"},
    "socksize": {"--wallclock", "--ringbuf-size", "--wide", "--counts", "--timestamp"},
    "sormem": {"--wallclock", "--ringbuf-size", "--wide", "--counts", "--timestamp"},
    "soconnlat": {"--lport", "--counts", "--rport"},
    "so1stbyte": {"--lport", "--counts", "--rport"},
    "sofdsnoop": {"--interval", "--rport", "--ipv4", "--counts", "--lport", "--port", "--ipv6"},
    "gethostlatency": {"--rport", "--ipv4", "--counts", "--lport", "--port", "--ipv6"},
    "dnssnoop": {"--lport", "--cgroup", "--rport"},
    "napistat": {"--pid", "--comm", "--port", "--lport", "--rport", "--ipv4", "--ipv6", "--cgroup",
                 "--timestamp", "--wallclock", "--wide", "--ringbuf-size", "--counts"},
    "stacks": {"--pid", "--comm", "--port", "--lport", "--rport", "--ipv4", "--ipv6", "--cgroup",
               "--timestamp", "--wallclock", "--wide", "--ringbuf-size", "--counts"},
    "superping": {"--port", "--lport", "--rport", "--cgroup"},
    "ipecn": {"--pid", "--comm", "--lport", "--rport", "--cgroup", "--timestamp", "--wallclock",
              "--wide", "--ringbuf-size", "--counts"},
    "netsize": {"--pid", "--comm", "--port", "--lport", "--rport", "--ipv4", "--ipv6",
                "--cgroup", "--timestamp", "--wallclock", "--wide", "--ringbuf-size", "--counts"},
    "skblife": {"--pid", "--comm", "--port", "--lport", "--rport", "--ipv4", "--ipv6",
                "--cgroup", "--timestamp", "--wallclock", "--wide", "--ringbuf-size", "--counts"},
    # timed per device: no socket or process filters, no event stream
    "qdisclat": {"--pid", "--comm", "--port", "--lport", "--rport", "--ipv4", "--ipv6",
                 "--cgroup", "--timestamp", "--wallclock", "--wide", "--ringbuf-size",
                 "--counts"},
    "nettxlat": {"--pid", "--comm", "--port", "--lport", "--rport", "--ipv4", "--ipv6",
                 "--cgroup", "--timestamp", "--wallclock", "--wide", "--ringbuf-size",
                 "--counts"},
}


def help_options(tracer):
    out = run([tracer, "-h"]).stdout
    return set(re.findall(r"^\s+(?:-\S, )?(--[\w-]+)", out, re.M)), out


@pytest.mark.parametrize("tracer", ALL)
def test_accepts_exactly_what_help_lists(tracer):
    listed, text = help_options(tracer)
    refused = REFUSED.get(tracer, set())
    for opt, arg in COMMON.items():
        assert (opt in listed) == (opt not in refused), (opt, text)
        # an option the parser accepts gets as far as the bad --netns after it
        p = run([tracer, opt] + arg + ["--netns", "/nonexistent-nlt"], check=False)
        assert p.returncode == 2, p
        lines = p.stderr.splitlines()
        assert len(lines) == 1, p.stderr
        if opt in listed:
            assert lines[0].startswith("netlens: error: --netns: "), (opt, p.stderr)
        else:
            assert f"{opt}: not an option of '{tracer}'" in lines[0], (opt, p.stderr)
    # -c is --counts, in the tracers that count, and nothing else anywhere
    assert ("-c, --counts" in text) == (tracer in COUNTS), text
    assert "-n, --count N" in text and "--rounds" not in text


@pytest.mark.parametrize("json_mode", [False, True])
def test_tcplife_c_refused_in_one_line(json_mode):
    # -c used to be --counts here and --count there: tcplife -c 3 did nothing
    p = run((["-j"] if json_mode else []) + ["tcplife", "-c", "3"], check=False)
    assert p.returncode == 2
    msg = "-c: not an option of 'tcplife': see 'netlens tcplife -h'"
    if json_mode:
        assert p.stderr == "" and [json.loads(l) for l in p.stdout.splitlines()] == \
            [{"error": msg}], p
    else:
        assert p.stdout == "" and p.stderr == f"netlens: error: {msg}\n", p


@pytest.mark.parametrize("args,msg", [
    (["tcplife", "--netns", "no-such-ns-xyz"], "--netns: /run/netns/no-such-ns-xyz"),
    (["tcplife", "-P", "0"], "-P: expected PORT"),
    (["tcplife", "--ringbuf-size", "5000"], "--ringbuf-size: 5000 is not a power of two"),
    (["tcpconnlat", "--linear", "0"], "--linear: '0' is not a whole number"),
    (["tcptop", "--sort", "up"], "--sort: expected tx, rx or total"),
    (["tcprtt", "--by", "x"], "--by: expected raddr or rport"),
    (["skbdrop", "--by", "x"], "--by: expected reason, location or flow"),
    (["tcpwin", "--csv"], "--csv and -j exclude each other"),
    (["tcpconnect", "-i", "1"], "-i: tcpconnect prints events as they come"),
    (["tcpconnect", "-c", "-n", "2"], "-n: a summary is printed once"),
    (["tcplife", "--pid"], "--pid: needs an argument (PID)"),
    (["tcplife", "x"], "unexpected argument 'x'"),
    # numbers are decimal, in range; empty or wrong kinds of paths are refused,
    # never turned into a filter that matches nothing (or everything)
    (["tcplife", "-p", "0x10"], "-p: '0x10' is not a whole number from 1"),
    (["tcplife", "-p", "0"], "-p: '0' is not a whole number from 1"),
    (["tcplife", "-P", "0x50"], "-P: expected PORT"),
    (["tcplife", "-P", "65536"], "-P: expected PORT"),
    (["tcplife", "--netns", ""], "--netns: empty"),
    (["tcplife", "--netns", "/etc/passwd"], "--netns: /etc/passwd: it is a regular file, not a namespace"),
    (["tcplife", "--netns", "/proc/self/ns/mnt"], "--netns: /proc/self/ns/mnt: it is a namespace of another type"),
    (["tcplife", "-P", "22,,80"], "-P: '22,,80' has an empty item"),
    (["tcplife", "--cgroup", ""], "--cgroup: empty"),
    (["tcplife", "--cgroup", "/tmp"], "--cgroup: /tmp is not a cgroup v2 directory"),
    (["tcplife", "--comm", ""], "--comm: empty"),
    (["tcplife", "-4", "-6"], "-6: -4 and -6 exclude each other"),
    (["tcptop", "--ipv6", "--ipv4"], "--ipv4: -4 and -6 exclude each other"),
])
def test_misuse_is_one_json_line(args, msg):
    p = run(["-j"] + args, check=False)
    assert p.returncode == 2 and p.stderr == "", p
    (rec,) = [json.loads(l) for l in p.stdout.splitlines()]
    assert list(rec) == ["error"] and msg in rec["error"] and "\n" not in rec["error"], rec


def test_count_stops_after_n_events(netns):
    tr = Tracer(["tcpstates", "--netns", netns.name, "--count", "2"])
    try:
        srv = Server(netns, "--conns", 2)
        workload(netns, "client", "--port", srv.port, "--conns", 2)
        srv.wait()
        # it ends by itself
        wait_for(lambda: tr.p.poll() is not None, timeout=20, what="tcpstates -n 2 to exit")
    finally:
        recs = tr.stop()
    assert len(events(recs)) == 2 and recs[-1] == {"lost_events": 0}, recs


def test_count_intervals_with_timestamps():
    # -i 0.2 -n 3: three histograms, each stamped, then the closing record
    t0 = time.time()
    p = run(["-j", "tcpconnlat", "--hist", "-i", "0.2", "-n", "3", "--netns", "1"])
    recs = [json.loads(l) for l in p.stdout.splitlines()]
    hists = [r for r in recs if "histogram" in r]
    assert len(hists) == 3 and recs[-1] == {"lost_events": 0}, recs
    ts = [h["time"] for h in hists]
    assert t0 < ts[0] < ts[1] < ts[2] < time.time() and ts[2] - ts[0] >= 0.3, ts
    # text: the time (HH:MM:SS) before each histogram
    p = run(["tcprtt", "-i", "0.2", "-n", "2", "--netns", "1"])
    assert len(re.findall(r"^\d\d:\d\d:\d\d$", p.stdout, re.M)) == 2, p.stdout


@pytest.mark.parametrize("json_mode", [True, False])
def test_interval_table_rows_carry_the_time(netns, json_mode):
    tr = Tracer(["tcpconnect", "-c", "-i", "0.3", "--netns", netns.name], json_mode=json_mode)
    try:
        srv = Server(netns, "--conns", 1)
        workload(netns, "client", "--port", srv.port, "--conns", 1)
        srv.wait()
        wait_for(lambda: str(srv.port) in tr._read(tr.out), timeout=10, what="a count row")
    finally:
        out = tr.stop()
    if json_mode:
        rows = [r for r in events(out) if r.get("rport") == srv.port]
        assert rows and all(abs(r["time"] - time.time()) < 30 for r in rows), rows
        assert out[-1] == {"lost_events": 0}
    else:
        lines = [l for l in out.splitlines() if l.strip()]
        assert lines[0].split() == ["TIME", "RADDR", "RPORT", "COUNT", "FAILED"], out
        row = [l for l in lines if f" {srv.port} " in l][0]
        assert re.match(r"\d\d:\d\d:\d\d +127\.0\.0\.1 ", row), row


@pytest.mark.parametrize("args", [
    ["tcpconnect", "-c"], ["tcpretrans", "-c"], ["tcpreset", "-c"], ["skbdrop", "-s"],
    ["tcpconnlat", "--hist"], ["tcprtt"], ["tcpsynbl"], ["tcptop"],
])
def test_summaries_end_with_lost_events(args):
    p = run(["-j"] + args + ["--netns", "1", "-d", "0.2"])
    recs = [json.loads(l) for l in p.stdout.splitlines()]
    assert recs and recs[-1] == {"lost_events": 0}, p.stdout


def test_banner_lists_each_hook_once(netns):
    # tcpstates attaches inet_sock_set_state twice (the primary and the
    # backup for nested runs): one hook for the user
    tr = Tracer(["tcpstates", "--netns", netns.name])
    tr.stop()
    (banner,) = [l for l in tr.stderr.splitlines() if l.startswith("Tracing ")]
    hooks = re.search(r"\((.*)\)\.\.\.", banner)[1].split(", ")
    assert len(hooks) == len(set(hooks)) and any("inet_sock_set_state" in h for h in hooks), \
        banner


def _man_options(tracer):
    with open(f"{HERE}/../../docs/man/netlens-{tracer}.8") as f:
        s = f.read()
    if s.startswith(".so "):
        return _man_options(re.search(r"netlens-(\w+)\.8", s)[1])
    secs = re.findall(r"^\.SH (?:COMMON )?OPTIONS\n(.*?)(?=^\.SH )", s, re.M | re.S)
    return {"--" + o.replace("\\-", "-") for o in
            re.findall(r"^\.TP\n\.B[IR]? .*?\\-\\-((?:[a-z0-9]|\\-)+)", "".join(secs), re.M)}


@pytest.mark.parametrize("tracer", ALL)
def test_docs_list_exactly_the_options(tracer):
    listed, text = help_options(tracer)
    listed -= {"--help"}
    assert _man_options(tracer) == listed
    # the tracer's page shows the option list as -h prints it
    with open(f"{HERE}/../../docs/tracers/{tracer}.md") as f:
        md = f.read()
    block = re.search(r"^Options:\n.*?(?=\nStops on)", text, re.M | re.S)[0].rstrip("\n")
    assert "```\n" + block + "\n```" in md


def test_numbers_are_decimal():
    # -p 010 is PID 10 (not 8), and runs; leading zeros are not octal
    p = run(["-j", "tcplife", "-p", "010", "-P", "010", "--netns", "1", "-d", "0.1"])
    assert p.stdout.splitlines()[-1] == '{"lost_events":0}', p


@pytest.mark.parametrize("json_mode", [False, True])
def test_refusals_are_one_line_in_text_too(json_mode):
    for args in (["-p", "abc"], ["-P", "abc"], ["--netns", ""], ["--cgroup", "/tmp"],
                 ["-4", "-6"], ["--comm", ""]):
        p = run((["-j"] if json_mode else []) + ["tcpstates"] + args, check=False)
        out = p.stdout if json_mode else p.stderr
        assert p.returncode == 2 and len(out.splitlines()) == 1, (args, p)
