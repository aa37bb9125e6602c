#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""table.py - the RESULT lines of frontdesk-bench (compare.sh's results.txt) as one table,
frontdesk's ratio to each peer, and the goals of issues 8 and 20 checked against the numbers.

Repeated runs of a scenario (compare.sh runs scenario a three times, in turn) are reduced to
the median run by the scenario's headline figure. `--half-rate FILE` prints half of Redis's
saturated message rate on scenario a (the open-loop rate of scenario d-half).

The cluster scenario (labels cluster-off, cluster-1, cluster-2) gets a table of its own: each
process's CPU per delivery, their sum, Redis's CPU per message, the goals of the cluster issue,
and how many nodes one Redis could feed. So does the desk-cluster scenario (desk-cluster-off,
-1, -2): conversations/s, round trips, each process's CPU per message relayed and their sum.
The web scenario (web-d100-tcp/-ws, web-a-tcp/-ws) gets the members over TCP frames against
the same members over WebSocket, and issue 18's goal (CPU per delivery at most 1.20x). The
files scenario (files-none, files-1s, files-max) gets d-100's chat beside file traffic, with
file-share's FILES lines (files shared, MiB/s fetched, how long one share took, and the chat's
p99 as the fetching members received it)."""

import math
import statistics
import sys

SERVERS = {"frontdesk": "frontdeskd", "redis": "redis-server", "irc": "ngircd"}
# scenario: (headline key, higher is better, what it measures)
HEADLINE = {
    "a": ("deliveries_per_s", True, "1,000 members, 10 senders, 100 B, closed loop"),
    "a-slow": ("deliveries_per_s", True, "as a, 10 members (1%) not reading"),
    "b": ("rss_per_conn_b", False, "10,000 idle members"),
    "c": ("deliveries_per_s", True, "desk relay, 1,000 queued (round trips/s)"),
    "d-100": ("p99_us", False, "100 members, 1,000 msg/s open loop"),
    "d-half": ("p99_us", False, "as a, open loop at half Redis's rate"),
    "churn": ("p99_us", False, "100 members at 100 msg/s, 1,000 connects/s come and go"),
    "a-churn": ("deliveries_per_s", True, "as a, 100 connects/s come and go"),
}


def load(path):
    runs = {}
    with open(path) as f:
        for line in f:
            if not line.startswith(("RESULT ", "FILES ")):
                continue
            r = dict(kv.split("=", 1) for kv in line.split()[1:])
            if line.startswith("FILES "):
                r["server"] = "file-share"  # the files scenario's file traffic
            if "failed" not in r:
                for k, v in r.items():
                    try:
                        r[k] = float(v)
                    except ValueError:
                        pass
            runs.setdefault((r["label"], r["server"]), []).append(r)
    return runs


def median_run(rs, key):
    ok = [r for r in rs if "failed" not in r]
    if not ok:
        return rs[0]
    ok.sort(key=lambda r: r[key])
    return ok[(len(ok) - 1) // 2]


def pick(runs):
    best = {}
    for (label, server), rs in runs.items():
        if label.startswith(("team", "desk-cluster")) or server == "file-share":
            continue  # team_table(), desk_cluster_table(), files_table(): their own figures
        key = HEADLINE.get(label, ("deliveries_per_s",))[0]
        best[(label, server)] = median_run(rs, key)
    return best


def fmt_rate(v):
    return "%.2fM" % (v / 1e6) if v >= 1e6 else "%.0fk" % (v / 1e3) if v >= 1e4 else "%.0f" % v


def fmt_us(v):
    return "%.0f us" % v if v < 10000 else "%.1f ms" % (v / 1000)


def ratio(best, label, peer):
    key, higher, _ = HEADLINE[label]
    fd, other = best.get((label, "frontdesk")), best.get((label, peer))
    if not fd or not other or "failed" in fd or "failed" in other or not fd[key] or not other[key]:
        return "-"
    return "%.2fx" % (fd[key] / other[key] if higher else other[key] / fd[key])


def table(best):
    head = ("scenario", "server", "deliveries/s", "p50", "p99", "RSS/conn", "CPU ns/deliv",
            "deliv/write", "server CPU", "gen CPU", "fd vs redis", "fd vs ngircd")
    rows = [head]
    for label in HEADLINE:
        for server in SERVERS:
            r = best.get((label, server))
            if not r:
                continue
            if "failed" in r:
                rows.append((label, SERVERS[server], "failed") + ("",) * 9)
                continue
            idle = label == "b"
            rows.append((
                label, SERVERS[server],
                "-" if idle else fmt_rate(r["deliveries_per_s"]),
                "-" if idle else fmt_us(r["p50_us"]),
                "-" if idle else fmt_us(r["p99_us"]),
                "%.0f B" % r["rss_per_conn_b"] if idle or label == "a" else "-",
                "-" if idle else "%.0f" % r["cpu_ns_per_delivery"],
                "-" if idle or label == "c" else "%.1f" % r["frames_per_write"],
                "-" if idle else "%.0f%%" % r["server_cpu_pct"],
                "-" if idle else "%.0f%%" % r["gen_cpu_pct"],
                ratio(best, label, "redis") if server == "frontdesk" else "",
                ratio(best, label, "irc") if server == "frontdesk" else "",
            ))
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(head))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |")
        if n == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print("\n".join(lines))
    print()
    for label, (key, higher, what) in HEADLINE.items():
        print("%-7s %s; ratio: %s (%s is better)" % (label, what, key,
                                                    "higher" if higher else "lower"))
    for label in ("churn", "a-churn"):
        r = best.get((label, "frontdesk"))
        if r and "failed" not in r:
            print("%-7s %.0f connections/s, %.0f deliveries/s in all, %.0f page faults/s; RSS "
                  "%.1f MiB idle, %.1f MiB at the end of the load, %.1f MiB 3 s later" % (
                      label, r["churn_per_s"], r["deliveries_per_s"] + r["plain_deliveries_per_s"],
                      r["minflt_per_s"], r["rss_idle_b"] / 2**20, r["rss_load_b"] / 2**20,
                      r["rss_end_b"] / 2**20))


def print_rows(title, rows):
    """A markdown table under @title: rows[0] is the header."""
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    print()
    print(title)
    for n, row in enumerate(rows):
        print("| " + " | ".join(str(c).ljust(w) for c, w in zip(row, widths)) + " |")
        if n == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")


def medians(runs, label, extra, server="frontdesk"):
    """The median of each figure of @label's runs that did not fail, each on its own, plus
    extra[NAME](run) for each NAME, and "runs"; None when none succeeded."""
    ok = [r for r in runs.get((label, server), []) if "failed" not in r]
    if not ok:
        return None
    m = {k: statistics.median(r[k] for r in ok)
         for k in ok[0] if isinstance(ok[0][k], float) and all(k in r for r in ok)}
    for name, f in extra.items():
        m[name] = statistics.median(f(r) for r in ok)
    m["runs"] = len(ok)
    return m


def team_table(runs):
    """The desk with several agents (labels team-TURNS-STORE): the median of each figure over
    the rounds, each taken on its own (so a row may mix rounds)."""
    labels = sorted(l for (l, srv) in runs if l.startswith("team"))
    if not labels:
        return
    cols = (("conv_per_s", "conversations/s", "%.0f"), ("wait_p50_us", "wait p50", "ms"),
            ("wait_p99_us", "wait p99", "ms"), ("rtt_p50_us", "round trip p50", "us"),
            ("rtt_p99_us", "round trip p99", "us"), ("cpu_ns_per_msg", "CPU ns/msg", "%.0f"),
            ("cpu_us_per_conv", "CPU us/conv", "%.0f"),
            ("writes_per_conv", "writes/conv", "%.0f"), ("server_cpu_pct", "server CPU", "%"),
            ("rss_peak_b", "peak RSS", "MiB"), ("gen_cpu_pct", "gen CPU", "%"))
    rows = [("turns", "store", "runs") + tuple(c[1] for c in cols)]
    for label in labels:
        ok = [r for r in runs[(label, "frontdesk")] if "failed" not in r]
        _, turns, store = (label.split("-", 2) + ["", ""])[:3]
        row = [turns, store, "%d" % len(ok)]
        for key, _, how in cols:
            if not ok:
                row.append("failed")
                continue
            v = statistics.median(r[key] for r in ok)
            row.append("%.0f ms" % (v / 1000) if how == "ms" and v >= 10000 else
                       "%.1f ms" % (v / 1000) if how == "ms" else fmt_us(v) if how == "us" else
                       "%.0f%%" % v if how == "%" else "%.1f MiB" % (v / 2**20)
                       if how == "MiB" else how % v)
        rows.append(tuple(row))
    print_rows("The desk with several agents (10 agents x 3 chats, 1,000 customers x 5 round "
               "trips; medians):", rows)


def goals(best):
    def get(label, server, key):
        r = best.get((label, server))
        return None if not r or "failed" in r else r.get(key)

    def line(ok, text):
        print("%-4s %s" % ("-" if ok is None else "met" if ok else "MISS", text))

    print()
    print("Goals of issue 8:")
    fd, rd = get("a", "frontdesk", "deliveries_per_s"), get("a", "redis", "deliveries_per_s")
    line(None if fd is None or rd is None else fd >= rd,
         "fan-out >= 1.0x Redis on a: %s vs %s deliveries/s" % (fd and fmt_rate(fd), rd and fmt_rate(rd)))
    fc, rc = get("a", "frontdesk", "cpu_ns_per_delivery"), get("a", "redis", "cpu_ns_per_delivery")
    line(None if fc is None or rc is None else fc <= rc,
         "server CPU per delivery <= Redis's on a: %s vs %s ns" % (fc and "%.0f" % fc, rc and "%.0f" % rc))
    p = get("d-100", "frontdesk", "p99_us")
    line(None if p is None else p <= 1000,
         "p99 <= 1 ms, 100 members at 1,000 msg/s: %s" % (p and fmt_us(p)))
    fp, rp = get("d-half", "frontdesk", "p99_us"), get("d-half", "redis", "p99_us")
    line(None if fp is None or rp is None else fp <= rp,
         "p99 <= Redis's on a at half its rate: %s vs %s" % (fp and fmt_us(fp), rp and fmt_us(rp)))
    m = get("b", "frontdesk", "rss_per_conn_b")
    line(None if m is None else m <= 2048, "RSS per idle member <= 2 KiB: %s" % (m and "%.0f B" % m))
    s, c = get("a-slow", "frontdesk", "msgs_per_s"), get("a", "frontdesk", "msgs_per_s")
    line(None if s is None or not c else s >= 0.95 * c,
         "1%% not reading keeps >= 95%% of clean messages/s: %s" % (
             s and c and "%.0f%% (%.0f vs %.0f msg/s)" % (100 * s / c, s, c)))
    w = get("a", "frontdesk", "frames_per_write")
    line(None if w is None else w >= 2, "frames per write call at saturation >= 2: %s" % (w and "%.1f" % w))
    g = max((r.get("gen_cpu_pct", 0) for r in best.values() if "failed" not in r), default=0)
    line(g < 90, "the generator is not the bottleneck: at most %.0f%% of its core" % g)


def goals_perf(best):
    """Issue 20's goals: ratios against Redis in the same run (medians of the runs in the file)."""
    def get(label, server, key):
        r = best.get((label, server))
        return None if not r or "failed" in r else r.get(key)

    def check(ok, text, figures):
        print("%-4s %s: %s" % ("-" if ok is None else "met" if ok else "MISS", text, figures))

    def pair(label, key):
        return get(label, "frontdesk", key), get(label, "redis", key)

    print()
    print("Goals of issue 20 (against Redis in the same run):")
    f, r = pair("a", "deliveries_per_s")
    check(f and r and f >= 1.5 * r, "a: deliveries/s >= 1.5x Redis's",
          f and r and "%.2fx (%s vs %s)" % (f / r, fmt_rate(f), fmt_rate(r)))
    for label in ("a", "d-100"):
        f, r = pair(label, "cpu_ns_per_delivery")
        check(f and r and f <= 0.6 * r, "%s: CPU per delivery <= 0.6x Redis's" % label,
              f and r and "%.2fx (%.0f vs %.0f ns)" % (f / r, f, r))
    f, r = pair("d-100", "p99_us")
    check(f and r and f <= r, "d-100: p99 <= Redis's", f and r and "%s vs %s" % (fmt_us(f), fmt_us(r)))
    f, r = pair("c", "deliveries_per_s")
    check(f and r and f >= 1.3 * r, "c: round trips/s >= 1.3x Redis's",
          f and r and "%.2fx (%.0f vs %.0f/s)" % (f / r, f, r))
    m = get("b", "frontdesk", "rss_per_conn_b")
    check(m and m <= 1024, "b: RSS per idle member <= 1,024 B", m and "%.0f B" % m)
    s, c = get("a-slow", "frontdesk", "deliveries_per_s"), get("a", "frontdesk", "deliveries_per_s")
    check(s and c and s >= 0.95 * c, "a-slow: >= 95% of the clean run's deliveries/s",
          s and c and "%.0f%% (%s vs %s)" % (100 * s / c, fmt_rate(s), fmt_rate(c)))
    s, c = get("a-slow", "frontdesk", "cpu_ns_per_delivery"), get("a", "frontdesk", "cpu_ns_per_delivery")
    check(s and c and c >= 0.95 * s, "a-slow: >= 95% of the clean run's deliveries per CPU second",
          s and c and "%.0f%% (%.0f vs %.0f ns per delivery)" % (100 * c / s, s, c))


CLUSTER = (("cluster-off", "1 node, cluster off"), ("cluster-1", "1 node through Redis"),
           ("cluster-2", "2 nodes through Redis"))


def servers_ns(r):
    """CPU ns per delivery of every server process of a run: the nodes and Redis."""
    return r["cpu_ns_per_delivery"] + r.get("cpu_node2_ns_per_delivery", 0) + \
        r.get("cpu_redis_ns_per_delivery", 0)


def cluster_table(runs):
    """The cluster scenario: the median of each figure over the rounds, each on its own."""
    med = {label: medians(runs, label, {"servers_ns": servers_ns}) for label, _ in CLUSTER}
    med = {label: m for label, m in med.items() if m}
    if not med:
        return
    cols = ("run", "runs", "deliveries/s", "p50", "p99", "cross-node p99", "node1 ns/deliv",
            "node2 ns/deliv", "Redis ns/deliv", "servers ns/deliv", "gen ns/deliv",
            "Redis ns/msg", "CPU node1/node2/Redis/gen", "send lag p99")
    rows = [cols]
    for label, what in CLUSTER:
        m = med.get(label)
        if not m:
            rows.append((what, "0") + ("failed",) + ("",) * (len(cols) - 3))
            continue
        opt = lambda k, f: f % m[k] if k in m else "-"
        rows.append((
            what, "%d" % m["runs"], fmt_rate(m["deliveries_per_s"]), fmt_us(m["p50_us"]),
            fmt_us(m["p99_us"]), fmt_us(m["cross_p99_us"]) if "cross_p99_us" in m else "-",
            "%.0f" % m["cpu_ns_per_delivery"], opt("cpu_node2_ns_per_delivery", "%.0f"),
            opt("cpu_redis_ns_per_delivery", "%.0f"), "%.0f" % m["servers_ns"],
            "%.0f" % m["gen_ns_per_delivery"], opt("cpu_redis_ns_per_msg", "%.0f"),
            "/".join(opt(k, "%.0f%%") for k in ("server_cpu_pct", "cpu_node2_pct",
                                                "cpu_redis_pct", "gen_cpu_pct")),
            fmt_us(m["send_lag_p99_us"])))
    print_rows("Several nodes (100 members, 10 senders, 1,000 msg/s open loop; medians of each "
               "figure):", rows)

    def line(ok, text):
        print("%-4s %s" % ("-" if ok is None else "met" if ok else "MISS", text))

    print()
    print("Goals of the cluster issue:")
    off = med.get("cluster-off")
    for label, what in CLUSTER[1:]:
        m = med.get(label)
        if off and m:
            ratio = m["servers_ns"] / off["servers_ns"]
            line(ratio <= 1.3, "%s: servers' CPU per delivery <= 1.3x one node's: %.0f vs %.0f "
                 "ns (%.2fx)" % (what, m["servers_ns"], off["servers_ns"], ratio))
    two = med.get("cluster-2")
    if off and two and "cross_p99_us" in two:
        ratio = two["cross_p99_us"] / off["p99_us"]
        line(ratio <= 2, "cross-node p99 <= 2x one node's p99: %s vs %s (%.2fx)" % (
            fmt_us(two["cross_p99_us"]), fmt_us(off["p99_us"]), ratio))
    one = med.get("cluster-1")
    if one and two and "cpu_redis_ns_per_msg" in one and "cpu_redis_ns_per_msg" in two:
        # Redis's cost of one message with N subscribed nodes: a + b N (two points, a line).
        r1, r2 = one["cpu_redis_ns_per_msg"], two["cpu_redis_ns_per_msg"]
        b = max(r2 - r1, 0)
        a = r1 - b
        # N nodes at 1,000 msg/s each fill one core when N x 1,000 x (a + b N) = 1e9 ns.
        n = (math.sqrt(a * a + 4e6 * b) - a) / (2 * b) if b > 0 else 1e6 / a
        print("Redis: %.0f ns of CPU per message with 1 node, %.0f with 2 (a + b N: a = %.0f, "
              "b = %.0f ns per subscribed node); one core takes %.0f messages/s from 2 nodes; "
              "at 1,000 msg/s per node it feeds about %.0f nodes (N x 1,000 x (a + b N) = 1 s/s)"
              % (r1, r2, a, b, 1e9 / r2, n))


DESK_CLUSTER = (("desk-cluster-off", "1 node, cluster off"),
                ("desk-cluster-1", "1 node through Redis"),
                ("desk-cluster-2", "2 nodes through Redis (agents on n1, customers on n2)"))


def desk_servers_ns(r):
    """CPU ns per message relayed of every server process of a desk run: nodes and Redis."""
    return r["cpu_ns_per_msg"] + r.get("cpu_node2_ns_per_msg", 0) + \
        r.get("cpu_redis_ns_per_msg", 0)


def desk_cluster_table(runs):
    """The desk-cluster scenario: the median of each figure over the rounds, each on its own."""
    med = {label: medians(runs, label, {"servers_ns": desk_servers_ns})
           for label, _ in DESK_CLUSTER}
    some = next((m for m in med.values() if m), None)
    if not some:
        return
    off = med.get("desk-cluster-off")
    cols = ("run", "runs", "conversations/s", "wait p50", "round trip p50", "p99",
            "node1 ns/msg", "node2 ns/msg", "Redis ns/msg", "servers ns/msg", "vs off",
            "servers us/conv", "CPU node1/node2/Redis/gen")
    rows = [cols]
    for label, what in DESK_CLUSTER:
        m = med.get(label)
        if not m:
            rows.append((what, "0", "failed") + ("",) * (len(cols) - 3))
            continue
        opt = lambda k, f: f % m[k] if k in m else "-"
        rows.append((
            what, "%d" % m["runs"], "%.0f" % m["conv_per_s"], fmt_us(m["wait_p50_us"]),
            fmt_us(m["rtt_p50_us"]), fmt_us(m["rtt_p99_us"]), "%.0f" % m["cpu_ns_per_msg"],
            opt("cpu_node2_ns_per_msg", "%.0f"), opt("cpu_redis_ns_per_msg", "%.0f"),
            "%.0f" % m["servers_ns"],
            "%.2fx" % (m["servers_ns"] / off["servers_ns"]) if off else "-",
            # a conversation relays 2 messages a round trip
            "%.0f" % (m["servers_ns"] * 2 * m["round_trips"] / 1000),
            "/".join(opt(k, "%.0f%%") for k in ("server_cpu_pct", "cpu_node2_pct",
                                                "cpu_redis_pct", "gen_cpu_pct"))))
    print_rows("The desk across nodes (%.0f agents x 3 chats, %.0f customers at %.0f/s x %.0f "
               "round trips; medians of each figure; CPU per message relayed):" % (
                   some["agents"], some["customers"], some["arrive"], some["round_trips"]), rows)
    for label, what in DESK_CLUSTER[1:]:
        m = med.get(label)
        if m and "cpu_redis_ns_per_msg" in m:
            # Redis runs commands on one core: what one conversation costs it bounds the cluster.
            conv = m["cpu_redis_ns_per_msg"] * 2 * m["round_trips"] / 1000
            print("Redis, %s: %.0f us of CPU per conversation (%.0f per message relayed, the "
                  "line's scripts included); one core carries about %.0f conversations/s of "
                  "this kind" % (what, conv, m["cpu_redis_ns_per_msg"] / 1000, 1e6 / conv))


WEB = (("web-d100", "d-100: 100 members, 1,000 msg/s open loop"),
       ("web-a", "a: 1,000 members, 10 senders, closed loop"))


def web_table(runs):
    """The web scenario: each load with the members over TCP frames, then over WebSocket;
    the median of each figure over the rounds, each on its own."""
    med = {}
    for label, _ in WEB:
        med[label + "-tcp"] = medians(runs, label + "-tcp", {})
        med[label + "-ws"] = medians(runs, label + "-ws", {}, "frontdesk-ws")
    if not any(med.values()):
        return
    cols = ("load", "members over", "runs", "deliveries/s", "p50", "p99", "CPU ns/deliv",
            "ws/tcp CPU", "deliv/write", "RSS/conn", "server CPU", "gen CPU")
    rows = [cols]
    for label, what in WEB:
        tcp = med[label + "-tcp"]
        for how in ("tcp", "ws"):
            m = med[label + "-" + how]
            name = "TCP frames" if how == "tcp" else "WebSocket"
            if not m:
                rows.append((what, name, "0", "failed") + ("",) * (len(cols) - 4))
                continue
            rows.append((
                what, name, "%d" % m["runs"], fmt_rate(m["deliveries_per_s"]),
                fmt_us(m["p50_us"]), fmt_us(m["p99_us"]), "%.0f" % m["cpu_ns_per_delivery"],
                "%.2fx" % (m["cpu_ns_per_delivery"] / tcp["cpu_ns_per_delivery"])
                if tcp and how == "ws" else "-",
                "%.1f" % m["frames_per_write"], "%.0f B" % m["rss_per_conn_b"],
                "%.0f%%" % m["server_cpu_pct"], "%.0f%%" % m["gen_cpu_pct"]))
    print_rows("Members over WebSocket against TCP frames (frontdeskd, web_listen on; medians of "
               "each figure):", rows)
    print()
    print("Goal of issue 18: WebSocket framing costs at most 20% (CPU per delivery, WebSocket "
          "over TCP, at most 1.20x)")
    for label, what in WEB:
        tcp, ws = med[label + "-tcp"], med[label + "-ws"]
        if not tcp or not ws:
            print("-    %s: no figures" % what)
            continue
        r = ws["cpu_ns_per_delivery"] / tcp["cpu_ns_per_delivery"]
        print("%-4s %s: %.0f against %.0f ns per delivery (%.2fx); deliveries/s %.2fx, p99 "
              "%s against %s" % ("PASS" if r <= 1.2 else "MISS", what,
                                 ws["cpu_ns_per_delivery"], tcp["cpu_ns_per_delivery"], r,
                                 ws["deliveries_per_s"] / tcp["deliveries_per_s"],
                                 fmt_us(ws["p99_us"]), fmt_us(tcp["p99_us"])))


FILES = (("files-none", "none (11 more members, idle)"),
         ("files-1s", "10 MiB to 10 members once a second"),
         ("files-max", "10 MiB to 10 members, back to back"))


def files_table(runs):
    """The files scenario: d-100's chat beside no file traffic, a 10 MiB file shared with 10
    members once a second, and such files back to back; medians of each figure over the rounds."""
    chat = {label: medians(runs, label, {}) for label, _ in FILES}
    share = {label: medians(runs, label, {}, "file-share") for label, _ in FILES}
    if not any(chat.values()):
        return
    cols = ("file traffic", "runs", "deliveries/s", "p50", "p99", "server CPU", "files shared",
            "MiB/s fetched", "one share", "p99 at fetchers")
    rows = [cols]
    for label, what in FILES:
        m, f = chat[label], share[label]
        if not m:
            rows.append((what, "0", "failed") + ("",) * (len(cols) - 3))
            continue
        rows.append((
            what, "%d" % m["runs"], fmt_rate(m["deliveries_per_s"]), fmt_us(m["p50_us"]),
            fmt_us(m["p99_us"]), "%.0f%%" % m["server_cpu_pct"],
            "%.0f" % f["rounds"] if f else "failed",
            "%.0f" % f["down_mib_per_s"] if f else "-",
            "%.0f ms" % f["round_ms_median"] if f and f["rounds"] else "-",
            fmt_us(f["chat_p99_us"]) if f and f.get("chat_n") else "-"))
    print_rows("Chat while files are shared (frontdeskd; d-100's load: 100 members, 1,000 msg/s "
               "open loop; medians of each figure):", rows)


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--half-rate":
        best = pick(load(sys.argv[2]))
        r = best.get(("a", "redis"))
        print("%.0f" % (r["msgs_per_s"] / 2 if r and "failed" not in r else 1000))
        return
    runs = load(sys.argv[1])
    best = pick(runs)
    if any(label in HEADLINE for (label, _) in runs):
        table(best)
        goals(best)
        goals_perf(best)
    team_table(runs)
    cluster_table(runs)
    desk_cluster_table(runs)
    web_table(runs)
    files_table(runs)


main()
