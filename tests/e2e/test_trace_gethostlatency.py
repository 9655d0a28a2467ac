"""gethostlatency: name resolution through libc, timed by uprobes on the libc
FILES processes map. Each test gives its namespace its own resolver (the DNS
responder of dns_responder.py, with known delays and rcodes), resolves known
names from known processes, and checks the tracer saw exactly those calls:
the name, the PID, the function, the result (EAI_* / h_errno names) and a
latency no shorter than the responder's delay and bounded above."""
import json
import os
import shutil
import subprocess
import time

import pytest

from conftest import PY, run, wait_for
from dns_responder import DnsResponder, ns_resolver
from trace_util import Tracer, events

DELAY = 0.3  # the responder holds slow.test's answers this long
ZONE = {
    "slow.test": {"a": ["192.0.2.2"], "aaaa": ["2001:db8::2"], "delay": DELAY},
    "fast.test": {"a": ["192.0.2.1"]},
    "fail.test": {"rcode": "SERVFAIL"},
}
SLACK_MS = 1500  # the upper bound: the delay plus this

# A client that prints its pid, optionally waits for a line on stdin, then
# makes the calls asked ([["getaddrinfo"|"gethostbyname", name], ...]), in
# a thread started then with "thread", and prints what libc returned.
CLIENT = r"""
import ctypes, json, os, socket, sys, threading
calls = json.loads(sys.argv[1])
print(json.dumps({"pid": os.getpid()}), flush=True)
if "wait" in sys.argv[2:]:
    sys.stdin.readline()
libc = ctypes.CDLL(None)
libc.gethostbyname.restype = ctypes.c_void_p
out = []
def resolve():
    for fn, name in calls:
        if fn == "getaddrinfo":
            try:  # name None: a NULL node (the wildcard address)
                socket.getaddrinfo(name, 80, socket.AF_INET, socket.SOCK_STREAM)
                out.append(0)
            except socket.gaierror as e:
                out.append(e.errno)
        elif fn == "gethostbyname":
            out.append(bool(libc.gethostbyname(name.encode())))
        else:  # the _r calls: [ret, found, h_errno]
            he, buf = ctypes.create_string_buffer(64), ctypes.create_string_buffer(4096)
            res, herr = ctypes.c_void_p(), ctypes.c_int(0)
            args = (ctypes.byref(he), buf, len(buf), ctypes.byref(res), ctypes.byref(herr))
            if fn == "gethostbyname2_r":
                args = (socket.AF_INET,) + args
            ret = getattr(libc, fn)(name.encode(), *args)
            out.append([ret, bool(res.value), herr.value])
if "thread" in sys.argv[2:]:
    t = threading.Thread(target=resolve)
    t.start()
    t.join()
else:
    resolve()
print(json.dumps({"done": out, "tid": threading.get_native_id()}), flush=True)
"""


def libc_path():
    """The libc this Python maps (as /proc/self/maps names it)."""
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if os.path.basename(path) == "libc.so.6":
                return path
    raise AssertionError("this Python maps no libc.so.6")


class Client:
    """CLIENT in namespace ns (argv: a command prefix, e.g. unshare), waiting
    for go() when wait is set."""

    def __init__(self, ns, calls, wait=False, prefix=(), thread=False):
        cmd = (list(prefix) + [PY, "-c", CLIENT, json.dumps(calls)] + (["wait"] if wait else []) +
               (["thread"] if thread else []))
        self.p = ns.popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid = json.loads(self.p.stdout.readline())["pid"]

    def go(self):
        self.p.stdin.write("go\n")
        self.p.stdin.flush()
        return self.done()

    def done(self):
        line = self.p.stdout.readline()
        assert line, "the client died"
        self.p.wait(timeout=30)
        return json.loads(line)["done"]


def tracer(ns, *args):
    return Tracer(["gethostlatency", "--netns", ns.name] + list(args))


def stop(tr):
    recs = tr.stop()
    assert recs[-1] == {"lost_events": 0}, recs[-3:]
    return events(recs)


def of(evs, pid):
    return [(e["func"], e["host"], e["result"]) for e in evs if e["pid"] == pid]


def check_latency(e, delay=DELAY):
    assert delay * 1000 <= e["latency_ms"] < delay * 1000 + SLACK_MS, e


@pytest.fixture
def resolver(netns):
    with DnsResponder(netns, ZONE) as srv, ns_resolver(netns, "127.0.0.1"):
        yield srv


def test_getaddrinfo_name_pid_result_and_latency(netns, resolver):
    tr = tracer(netns)
    c = Client(netns, [["getaddrinfo", "slow.test"], ["getaddrinfo", "nope.test"],
                       ["getaddrinfo", "fail.test"], ["getaddrinfo", None]])
    assert c.done() == [0, -2, -3, 0]
    evs = stop(tr)
    mine = [e for e in evs if e["pid"] == c.pid]
    assert of(evs, c.pid) == [("getaddrinfo", "slow.test", "OK"),
                              ("getaddrinfo", "nope.test", "EAI_NONAME"),
                              ("getaddrinfo", "fail.test", "EAI_AGAIN"),
                              ("getaddrinfo", "-", "OK")]
    check_latency(mine[0])
    assert mine[0]["ok"] and mine[0]["ret"] == 0 and mine[0]["comm"] == "python3"
    assert not mine[1]["ok"] and mine[1]["ret"] == -2
    assert not mine[2]["ok"] and mine[2]["ret"] == -3
    assert not any("h_errno" in e for e in mine)  # getaddrinfo's EAI_* says it all
    assert mine[1]["latency_ms"] < SLACK_MS and mine[2]["latency_ms"] < SLACK_MS
    # the responder answered exactly what the tracer says was asked
    assert {q["name"] for q in resolver.queries()} == {"slow.test", "nope.test", "fail.test"}


def test_getent_ahosts(netns, resolver):
    tr = tracer(netns, "-T")
    p = netns.popen(["getent", "ahosts", "slow.test"], stdout=subprocess.PIPE, text=True)
    out, _ = p.communicate(timeout=30)
    assert "192.0.2.2" in out and "2001:db8::2" in out, out
    evs = stop(tr)
    (e,) = [e for e in evs if e["pid"] == p.pid]
    assert (e["comm"], e["func"], e["host"], e["result"]) == ("getent", "getaddrinfo",
                                                               "slow.test", "OK")
    check_latency(e)


def test_gethostbyname_reported_once_with_h_errno(netns, resolver):
    """glibc's gethostbyname calls gethostbyname_r, which is probed too: one
    resolution is one event, and the failure's h_errno comes from the inner
    call's h_errnop."""
    tr = tracer(netns)
    c = Client(netns, [["gethostbyname", "slow.test"], ["gethostbyname", "nope.test"]])
    assert c.done() == [True, False]
    evs = stop(tr)
    assert of(evs, c.pid) == [("gethostbyname", "slow.test", "OK"),
                              ("gethostbyname", "nope.test", "HOST_NOT_FOUND")]
    mine = [e for e in evs if e["pid"] == c.pid]
    check_latency(mine[0])
    assert mine[1]["h_errno"] == 1 and not mine[1]["ok"]


def test_reentrant_variants_result_and_h_errnop(netns, resolver):
    """gethostbyname_r (h_errnop: the sixth argument) and gethostbyname2_r
    (the seventh, on the stack on x86-64): found, and not found (0 with a
    NULL result and *h_errnop = HOST_NOT_FOUND)."""
    tr = tracer(netns)
    c = Client(netns, [["gethostbyname_r", "slow.test"], ["gethostbyname_r", "nope.test"],
                       ["gethostbyname2_r", "fast.test"], ["gethostbyname2_r", "nope.test"]])
    assert c.done() == [[0, True, 0], [0, False, 1], [0, True, 0], [0, False, 1]]
    evs = stop(tr)
    assert of(evs, c.pid) == [("gethostbyname_r", "slow.test", "OK"),
                              ("gethostbyname_r", "nope.test", "HOST_NOT_FOUND"),
                              ("gethostbyname2_r", "fast.test", "OK"),
                              ("gethostbyname2_r", "nope.test", "HOST_NOT_FOUND")]
    mine = [e for e in evs if e["pid"] == c.pid]
    check_latency(mine[0])
    assert [(e["ok"], e["ret"], e.get("h_errno")) for e in mine] == [
        (True, 0, None), (False, 0, 1), (True, 0, None), (False, 0, 1)]


def test_getaddrinfo_from_hosts_file_is_one_event(netns, resolver):
    """glibc's getaddrinfo calls gethostbyname2_r (probed too) for a name
    from /etc/hosts: each program runs twice a call (-p: the probes fire in
    that process only), and each call is still one event, as getaddrinfo."""
    c = Client(netns, [["getaddrinfo", "localhost"]] * 3, wait=True)
    tr = tracer(netns, "-p", str(c.pid), "--stats")
    assert c.go() == [0, 0, 0]
    recs = tr.stop()
    runs = {r["stats"]["prog"]: r["stats"]["run_cnt"] for r in recs if "stats" in r}
    assert runs == {"ghl_enter": 6, "ghl_exit": 6}, runs
    assert of(events(recs), c.pid) == [("getaddrinfo", "localhost", "OK")] * 3


def test_process_started_after_the_tracer_is_covered(netns, resolver):
    """Attached by file: a process that did not exist at the start, mapping
    the same libc, is seen without any rescan."""
    tr = tracer(netns)
    t0 = time.monotonic()
    c = Client(netns, [["getaddrinfo", "fast.test"]])
    assert c.done() == [0]
    assert time.monotonic() - t0 < 1.9  # before any rescan could have helped
    evs = stop(tr)
    assert of(evs, c.pid) == [("getaddrinfo", "fast.test", "OK")]


def bind_libc_copy(tmp_path):
    """The command prefix that runs a process in its own mount namespace
    with a COPY of libc mounted over the libc path: its libc is another
    inode than the host's, reachable only through /proc/PID/root."""
    libc = libc_path()
    copy = tmp_path / "libc.so.6"
    shutil.copy(libc, copy)
    script = f'mount --bind {copy} {libc} && exec "$@"'
    return ["unshare", "-m", "sh", "-c", script, "sh"], libc


def check_own_libc(pid, libc):
    mine, host = os.stat(f"/proc/{pid}/root{libc}"), os.stat(libc)
    assert (mine.st_dev, mine.st_ino) != (host.st_dev, host.st_ino)


def test_libc_through_proc_pid_root_found_at_start(netns, resolver, tmp_path):
    prefix, libc = bind_libc_copy(tmp_path)
    c = Client(netns, [["getaddrinfo", "slow.test"]], wait=True, prefix=prefix)
    check_own_libc(c.pid, libc)
    tr = tracer(netns)
    assert c.go() == [0]
    evs = stop(tr)
    assert f"/proc/{c.pid}/root{libc}" in tr.stderr, tr.stderr
    (e,) = [e for e in evs if e["pid"] == c.pid]
    assert (e["func"], e["host"], e["result"]) == ("getaddrinfo", "slow.test", "OK")
    check_latency(e)


def test_deleted_libc_through_map_files(netns, resolver, tmp_path):
    """A libc deleted since the process mapped it (an upgrade under a running
    program): no path names it any more, /proc/PID/map_files does."""
    prefix, libc = bind_libc_copy(tmp_path)
    c = Client(netns, [["getaddrinfo", "slow.test"]], wait=True, prefix=prefix)
    os.unlink(tmp_path / "libc.so.6")
    with open(f"/proc/{c.pid}/maps") as f:
        assert any(l.rstrip().endswith("libc.so.6 (deleted)") for l in f)
    tr = tracer(netns, "-p", str(c.pid))
    assert f"/proc/{c.pid}/map_files/" in tr._read(tr.err), tr._read(tr.err)
    assert c.go() == [0]
    evs = stop(tr)
    assert of(evs, c.pid) == [("getaddrinfo", "slow.test", "OK")]
    check_latency(evs[0])


def test_libc_through_proc_pid_root_found_by_rescan(netns, resolver, tmp_path):
    """A libc that appears after the start (a new container's) is found by
    the rescan of /proc (every 2 s) and probed."""
    prefix, libc = bind_libc_copy(tmp_path)
    tr = tracer(netns)
    c = Client(netns, [["getaddrinfo", "slow.test"], ["getaddrinfo", "nope.test"]], wait=True,
               prefix=prefix)
    check_own_libc(c.pid, libc)
    want = f"probing /proc/{c.pid}/root{libc} (5 functions), mapped by pid {c.pid}"
    wait_for(lambda: want in tr._read(tr.err), timeout=10, what="the rescan to probe the copy")
    assert c.go() == [0, -2]
    evs = stop(tr)
    mine = [e for e in evs if e["pid"] == c.pid]
    assert of(evs, c.pid) == [("getaddrinfo", "slow.test", "OK"),
                              ("getaddrinfo", "nope.test", "EAI_NONAME")]
    check_latency(mine[0])


def test_pid_filter(netns, resolver):
    """-p: that process only, including a thread it starts after the tracer
    attached (the probes follow the process, not its threads at the start)."""
    a = Client(netns, [["getaddrinfo", "slow.test"]], wait=True, thread=True)
    b = Client(netns, [["getaddrinfo", "fast.test"]], wait=True)
    tr = tracer(netns, "-p", str(a.pid))
    assert b.go() == [0]
    assert a.go() == [0]
    evs = stop(tr)
    assert [(e["pid"], e["host"]) for e in evs] == [(a.pid, "slow.test")]
    assert evs[0]["tid"] != a.pid
    check_latency(evs[0])


def test_comm_filter(netns, resolver):
    tr = tracer(netns, "--comm", "getent")
    c = Client(netns, [["getaddrinfo", "fast.test"]])
    assert c.done() == [0]
    p = netns.popen(["getent", "ahostsv4", "slow.test"], stdout=subprocess.PIPE, text=True)
    p.communicate(timeout=30)
    evs = stop(tr)
    assert [(e["pid"], e["comm"], e["host"]) for e in evs] == [(p.pid, "getent", "slow.test")]


def test_netns_filter(netns, resolver, netns_factory):
    """--netns: a process in another namespace, same libc, is not reported."""
    other = netns_factory()
    tr = tracer(netns)
    o = Client(other, [["getaddrinfo", "localhost"]])
    assert o.done() == [0]
    c = Client(netns, [["getaddrinfo", "localhost"]])
    assert c.done() == [0]
    evs = stop(tr)
    assert [(e["pid"], e["host"]) for e in evs] == [(c.pid, "localhost")]


def test_hist_by_name(netns, resolver):
    tr = Tracer(["gethostlatency", "--netns", netns.name, "--by", "name"])
    c = Client(netns, [["getaddrinfo", "slow.test"]] * 3 + [["getaddrinfo", "nope.test"]])
    assert c.done() == [0, 0, 0, -2]
    recs = tr.stop()
    assert recs[-1] == {"lost_events": 0} and recs[-2] == {"dropped_keys": 0}, recs[-3:]
    hists = {r["histogram"]["host"]: r["histogram"] for r in recs if "histogram" in r}
    slow, nope = hists["slow.test"], hists["nope.test"]
    assert (slow["count"], slow["failed"], nope["count"], nope["failed"]) == (3, 0, 1, 1)
    assert sum(b["count"] for b in slow["buckets"]) == 3
    # every call in a bucket at or above the delay
    assert all(b["to"] >= DELAY * 1e6 for b in slow["buckets"] if b["count"]), slow
    assert DELAY * 1000 <= slow["mean_ms"] <= slow["max_ms"] < DELAY * 1000 + SLACK_MS


def messages(stderr):
    """stderr without valgrind's own lines (NETLENS_VALGRIND=1)."""
    return [l for l in stderr.splitlines() if not l.startswith(("--", "=="))]


def test_errors(tmp_path):
    p = run(["gethostlatency", "-p", "999999999"], check=False)
    assert p.returncode != 0 and messages(p.stderr) == [
        "netlens: error: gethostlatency: -p 999999999: no such process"], p.stderr
    src = tmp_path / "static.c"
    src.write_text("#include <unistd.h>\nint main(void) { pause(); return 0; }\n")
    exe = tmp_path / "static"
    subprocess.run(["gcc", "-static", "-o", str(exe), str(src)], check=True)
    s = subprocess.Popen([str(exe)])
    try:
        p = run(["gethostlatency", "-p", str(s.pid)], check=False)
        assert p.returncode != 0, p
        (line,) = messages(p.stderr)
        assert line.startswith(f"netlens: error: gethostlatency: -p {s.pid}: the process maps no libc"), line
        p = run(["-j", "gethostlatency", "-p", str(s.pid)], check=False)
        assert p.returncode != 0 and "maps no libc" in json.loads(p.stdout)["error"], p
    finally:
        s.kill()
        s.wait()


def test_library_without_the_functions_is_a_warning(netns, resolver, tmp_path):
    """A file named like a libc that exports none of the functions (here
    libm, renamed) is named in a warning; the real libc of the same process
    is probed and its calls seen."""
    libm = os.path.join(os.path.dirname(libc_path()), "libm.so.6")
    fake = tmp_path / "libc.so.6"
    shutil.copy(libm, fake)
    code = (f"import ctypes, os, socket, sys; ctypes.CDLL({str(fake)!r}); print(os.getpid(), flush=True); "
            "sys.stdin.readline(); socket.getaddrinfo('fast.test', 80, socket.AF_INET)")
    p = netns.popen([PY, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    pid = int(p.stdout.readline())
    tr = tracer(netns, "-p", str(pid))
    p.stdin.write("go\n")
    p.stdin.flush()
    assert p.wait(timeout=30) == 0
    evs = stop(tr)
    assert of(evs, pid) == [("getaddrinfo", "fast.test", "OK")]
    warn = [json.loads(l)["warning"] for l in tr.stderr.splitlines() if "warning" in l]
    assert warn == [f"gethostlatency: not probing {fake} (mapped by pid {pid}): exports none of "
                    "getaddrinfo, gethostbyname, gethostbyname2, gethostbyname_r, "
                    "gethostbyname2_r"], tr.stderr


MUSL_CLIENT = r"""
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* prints its pid, waits for a line, then: getaddrinfo NAME | gethostbyname NAME ... */
int main(int argc, char **argv)
{
	char line[8];

	printf("%d\n", (int)getpid());
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "getaddrinfo") == 0) {
			struct addrinfo h = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM }, *r;
			int e = getaddrinfo(argv[i + 1], "80", &h, &r);
			if (!e)
				freeaddrinfo(r);
			printf("%d\n", e);
		} else {
			struct hostent *he = gethostbyname(argv[i + 1]);
			printf("%d %d\n", he != NULL, he ? 0 : h_errno);
		}
	}
	return 0;
}
"""


def test_musl(netns, resolver, tmp_path):
    """A program linked against musl: its libc (another file, another
    name) is probed, its EAI values are the same, and its gethostbyname
    (a tail call to gethostbyname2, which calls gethostbyname2_r) is one
    event with the h_errno of the innermost call."""
    if not shutil.which("musl-gcc"):
        pytest.skip("musl-gcc missing: scripts/install-deps.sh installs musl-tools")
    src, exe = tmp_path / "musl_client.c", tmp_path / "musl_client"
    src.write_text(MUSL_CLIENT)
    subprocess.run(["musl-gcc", "-O2", "-o", str(exe), str(src)], check=True)
    p = netns.popen([str(exe), "getaddrinfo", "slow.test", "getaddrinfo", "nope.test",
                     "gethostbyname", "nope.test", "gethostbyname", "fast.test"],
                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    pid = int(p.stdout.readline())
    with open(f"/proc/{pid}/maps") as f:
        musl = [l.split()[-1] for l in f if " r-xp " in l and (
            "-linux-musl/" in l or os.path.basename(l.split()[-1]).startswith("ld-musl"))]
    assert musl, "the client maps no musl libc"
    tr = tracer(netns)
    assert musl[0] in tr._read(tr.err), tr._read(tr.err)
    out, _ = p.communicate("go\n", timeout=30)
    assert out.split("\n")[:4] == ["0", "-2", "0 1", "1 0"], out
    evs = stop(tr)
    assert of(evs, pid) == [("getaddrinfo", "slow.test", "OK"),
                            ("getaddrinfo", "nope.test", "EAI_NONAME"),
                            ("gethostbyname", "nope.test", "HOST_NOT_FOUND"),
                            ("gethostbyname", "fast.test", "OK")]
    mine = [e for e in evs if e["pid"] == pid]
    check_latency(mine[0])
    assert mine[2]["h_errno"] == 1


def test_uprobe_refused_names_the_cause(tmp_path):
    """A library the kernel will not probe (its getaddrinfo starts with an
    int3): the one error line says what was refused and why."""
    (tmp_path / "bad.c").write_text(
        '__attribute__((naked)) void getaddrinfo(void) { __asm__("int3; ret"); }\n')
    lib = tmp_path / "libc.so.6"
    subprocess.run(["gcc", "-shared", "-fPIC", "-o", str(lib), str(tmp_path / "bad.c")], check=True)
    # a static program that maps only that file, executable
    (tmp_path / "mapper.c").write_text(r"""
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	struct stat st;
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st) || mmap(NULL, st.st_size, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0) == MAP_FAILED)
		return 1;
	puts("mapped");
	fflush(stdout);
	pause();
	return 0;
}
""")
    exe = tmp_path / "mapper"
    subprocess.run(["gcc", "-static", "-o", str(exe), str(tmp_path / "mapper.c")], check=True)
    m = subprocess.Popen([str(exe), str(lib)], stdout=subprocess.PIPE, text=True)
    try:
        assert m.stdout.readline() == "mapped\n"
        p = run(["gethostlatency", "-p", str(m.pid)], check=False)
        assert p.returncode == 1, p
        (line,) = messages(p.stderr)
        assert line.startswith(f"netlens: error: gethostlatency: {lib} (mapped by pid {m.pid}): "
                               "attaching a uretprobe to getaddrinfo at 0x"), line
        assert line.endswith(": ENOTSUPP: the instruction there cannot be probed (an int3, or "
                             "one uprobes do not handle)"), line
    finally:
        m.kill()
        m.wait()
