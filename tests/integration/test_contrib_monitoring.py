# SPDX-License-Identifier: ISC
"""contrib/prometheus.yml and contrib/grafana/frontdesk.json against the real daemon.

The dashboard may only ask for metrics that frontdeskd exports: every name in its queries is
looked up in the /metrics of a desk and of a room. Its queries must be PromQL, and the scrape
example a configuration Prometheus takes: promtool checks both (Debian's package prometheus;
those checks are skipped without it).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from fdtest import DEADLINE, find_promtool, main  # noqa: E402
from grouptest import GROUP  # noqa: E402
from test_ctl_status import MetricsDaemon  # noqa: E402

SOURCE_ROOT = os.environ.get("FRONTDESK_SOURCE_ROOT",
                             os.path.join(os.path.dirname(__file__), "..", ".."))
DASHBOARD = os.path.join(SOURCE_ROOT, "contrib", "grafana", "frontdesk.json")
SCRAPE = os.path.join(SOURCE_ROOT, "contrib", "prometheus.yml")
PROMTOOL = find_promtool()
# What Prometheus adds itself, and the series a histogram's name stands for.
NOT_EXPORTED = {"up"}
HISTOGRAM_SERIES = ("_bucket", "_count", "_sum")


def exported(config=""):
    """The metric names (# TYPE lines) of a daemon's /metrics."""
    with MetricsDaemon(config) as d:
        with urllib.request.urlopen(d.url + "/metrics", timeout=DEADLINE) as r:
            text = r.read().decode()
    return set(re.findall(r"^# TYPE (\S+) ", text, re.M))


def queries(dashboard):
    """The panels' PromQL."""
    return [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]


def variable_queries(dashboard):
    """The variables' Grafana queries: label_values(METRIC, LABEL)."""
    return [v["query"]["query"] for v in dashboard["templating"]["list"]]


class Dashboard(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        with open(DASHBOARD) as f:
            cls.dashboard = json.load(f)

    def test_importable(self):
        d = self.dashboard
        self.assertEqual(d["__inputs"][0]["name"], "DS_PROMETHEUS")
        self.assertGreaterEqual(d["schemaVersion"], 36)
        ids = [p["id"] for p in d["panels"]]
        self.assertEqual(len(ids), len(set(ids)))
        for p in d["panels"]:
            if p["type"] != "row":
                self.assertEqual(p["datasource"]["uid"], "${DS_PROMETHEUS}", p["title"])

    def test_asks_only_for_exported_metrics(self):
        have = exported() | exported(GROUP)
        for expr in queries(self.dashboard) + variable_queries(self.dashboard):
            for name in re.findall(r"\b((?:frontdesk|process)_\w+|up)\b(?!\s*\()", expr):
                base = name
                for suffix in HISTOGRAM_SERIES:
                    if name.endswith(suffix) and name[:-len(suffix)] in have:
                        base = name[:-len(suffix)]
                if base not in NOT_EXPORTED:
                    self.assertIn(base, have, expr)

    @unittest.skipUnless(PROMTOOL, "promtool not installed (Debian package prometheus; ./contrib/test.sh provides it)")
    def test_queries_are_promql(self):
        # Grafana's variables stand in as Prometheus would see them after substitution.
        rules = {"groups": [{"name": "dashboard", "rules": [
            {"record": "dashboard:query:%d" % i,
             "expr": e.replace("$__rate_interval", "1m").replace("$instance", ".+")}
            for i, e in enumerate(queries(self.dashboard))]}]}
        with tempfile.NamedTemporaryFile("w", suffix=".yml") as f:
            json.dump(rules, f)  # JSON is YAML
            f.flush()
            r = subprocess.run([PROMTOOL, "check", "rules", f.name], capture_output=True,
                               text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


class Scrape(unittest.TestCase):
    @unittest.skipUnless(PROMTOOL, "promtool not installed (Debian package prometheus; ./contrib/test.sh provides it)")
    def test_promtool_takes_it(self):
        r = subprocess.run([PROMTOOL, "check", "config", SCRAPE], capture_output=True,
                           text=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_port_and_job(self):
        with open(SCRAPE) as f:
            text = f.read()
        self.assertRegex(text, r"job_name: frontdesk\n")
        self.assertRegex(text, r"scrape_interval: 15s")
        self.assertIn(":9167", text)


if __name__ == "__main__":
    main()
