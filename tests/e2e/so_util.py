"""Helpers for the socket-layer tracer tests (soconnect, udpconnect,
solisten, soaccept): the so_workload.py runner and the docs check every
tracer file repeats."""
import json
import os
import subprocess

from conftest import HERE, PY
# imported under a name pytest does not collect (its parameters are test_trace_cli's)
from test_trace_cli import test_docs_list_exactly_the_options as _docs_check

SO_WORKLOAD = os.path.join(HERE, "so_workload.py")


def so_workload(ns, *args, cgroup=None):
    """Runs so_workload.py to completion in ns (in cgroup v2 directory
    `cgroup` if given); returns its JSON line."""
    cmd = ["ip", "netns", "exec", ns.name, PY, SO_WORKLOAD] + [str(a) for a in args]
    if cgroup:
        cmd = ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroup] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(p.stdout.strip().splitlines()[-1])


def check_docs_list_exactly_the_options(tracer):
    """The man page and docs/tracers page list exactly what -h lists."""
    _docs_check(tracer)
