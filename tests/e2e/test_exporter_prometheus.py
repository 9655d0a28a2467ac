"""netlens exporter under a real Prometheus (Debian's package): the shipped
scrape config and alert rules pointed at an exporter serving a test
namespace; series of every collector and a doctor finding read back through
Prometheus's HTTP API, an alert pending on a full accept queue; promtool on
everything deploy/ ships; every metric the dashboard and the rules name
exists in a real scrape."""
import json
import os
import re
import shutil
import subprocess
import urllib.parse
import urllib.request

import pytest

from conftest import PY, wait_for
from test_doctor import full_listener
from test_exporter import Exporter, exporter_factory, free_port  # noqa: F401 (fixture)

TOP = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DEPLOY = os.path.join(TOP, "deploy")


def promtool(*args, cwd=DEPLOY):
    p = subprocess.run(["promtool"] + list(args), capture_output=True, text=True, cwd=cwd)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout


def test_deploy_files_pass_promtool():
    out = promtool("check", "config", "prometheus.yml")
    assert "SUCCESS" in out and "1 rule files found" in out
    assert "SUCCESS: 11 rules found" in promtool("check", "rules", "netlens-alerts.yml")
    json.load(open(os.path.join(DEPLOY, "grafana-dashboard.json")))
    unit = open(os.path.join(DEPLOY, "netlens-exporter.service")).read()
    assert "ExecStart=/usr/local/bin/netlens exporter" in unit and "DynamicUser=yes" in unit


def deploy_metrics():
    names = set()
    for f in ("grafana-dashboard.json", "netlens-alerts.yml"):
        names |= set(re.findall(r"netlens_[a-z0-9_]+", open(os.path.join(DEPLOY, f)).read()))
    return names


def test_every_metric_deploy_uses_exists(netns, exporter_factory):
    netns.exec(["ip", "link", "set", "lo", "up"])
    p, _ = full_listener(netns, 4, 5)  # so that a doctor finding is served
    try:
        # the dns collector is off by default: its panels and rules need it
        e = exporter_factory(netns, args=["--collector.dns"])
        e.metrics()
        text = e.metrics()
    finally:
        p.kill()
        p.wait()
    families = set(re.findall(r"^# TYPE (\S+) ", text, re.M))
    histograms = set(re.findall(r"^# TYPE (\S+) histogram", text, re.M))
    missing = sorted(m for m in deploy_metrics() if m not in families and
                     re.sub(r"_(bucket|sum|count)$", "", m) not in histograms)
    assert not missing, missing
    assert "netlens_doctor_finding{" in text


def prom_query(port, q):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.load(r)
    assert body["status"] == "success", body
    return body["data"]["result"]


@pytest.mark.skipif(not shutil.which("prometheus"), reason="Debian's prometheus not installed")
def test_prometheus_scrapes_the_exporter(netns, exporter_factory, tmp_path):
    netns.exec(["ip", "link", "set", "lo", "up"])
    listener, port = full_listener(netns, 4, 5)
    prom = None
    try:
        e = exporter_factory(netns)
        # five connects the tcp collector sees (the full listener's came before it)
        netns.exec([PY, "-c", "import socket\nl = socket.socket(); l.bind(('127.0.0.1', 0)); "
                    "l.listen()\ncs = [socket.create_connection(l.getsockname()) "
                    "for _ in range(5)]"])
        cfg = open(os.path.join(DEPLOY, "prometheus.yml")).read()
        cfg = cfg.replace("scrape_interval: 15s", "scrape_interval: 1s")
        cfg = cfg.replace("evaluation_interval: 15s", "evaluation_interval: 1s")
        cfg = cfg.replace('"127.0.0.1:9465"', f'"127.0.0.1:{e.port}"')
        cfg = cfg.replace("- netlens-alerts.yml", f"- {os.path.join(DEPLOY, 'netlens-alerts.yml')}")
        (tmp_path / "prometheus.yml").write_text(cfg)
        pport = free_port()
        prom = subprocess.Popen(["prometheus", f"--config.file={tmp_path / 'prometheus.yml'}",
                                 f"--storage.tsdb.path={tmp_path / 'data'}",
                                 f"--web.listen-address=127.0.0.1:{pport}"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

        def scraped():
            if prom.poll() is not None:
                raise AssertionError(prom.stderr.read())
            try:
                up = prom_query(pport, 'up{job="netlens"}')
                ok = prom_query(pport, "netlens_scrape_collector_success")
            except OSError:
                return False
            # the doctor's finding needs two scrapes: wait for every collector's series
            return up and up[0]["value"][1] == "1" and len(ok) == 11
        wait_for(scraped, timeout=60, what="prometheus scraping the exporter")
        ok = prom_query(pport, "netlens_scrape_collector_success")
        assert {r["metric"]["collector"]: r["value"][1] for r in ok} == {
            c: "1" for c in ("sockets", "listeners", "netstat", "netdev", "softnet", "qdisc",
                             "sockmem", "tables", "doctor", "tcp", "drops")}
        for q in ("netlens_sockets", "netlens_netstat_udp_no_ports_total", "netlens_network_up",
                  "netlens_softnet_processed_total", "netlens_protocol_sockets",
                  "netlens_neighbour_entries", 'netlens_network_info{device="lo"}'):
            assert prom_query(pport, q), q
        # a histogram: the listener's clients connected in the namespace
        q = prom_query(pport, 'netlens_tcp_connect_duration_seconds_count{family="ipv4"}')
        assert q and float(q[0]["value"][1]) == 5, q
        q = prom_query(pport, "histogram_quantile(0.99, sum by (le) "
                              "(netlens_tcp_connect_duration_seconds_bucket))")
        assert q and 0 < float(q[0]["value"][1]) < 1, q
        assert prom_query(pport, "netlens_packet_drops_total")
        q = prom_query(pport, f'netlens_listen_queue_length{{port="{port}"}}')
        assert [r["value"][1] for r in q] == ["5"]
        wait_for(lambda: prom_query(pport, 'netlens_doctor_finding{id="listen-overflow",'
                                           f'subject="127.0.0.1:{port}"}}'),
                 timeout=30, what="the doctor finding, with its subject, in prometheus")
        # the shipped rule sees the full queue: pending (its for: is 1m)
        wait_for(lambda: prom_query(pport, 'ALERTS{alertname="NetlensListenQueueFull"}'),
                 timeout=30, what="NetlensListenQueueFull pending")
    finally:
        listener.kill()
        listener.wait()
        if prom:
            prom.terminate()
            prom.wait(timeout=30)
