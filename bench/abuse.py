#!/usr/bin/env python3
"""Abuse benchmark: pathological imports must not stall the server.

Starts a release `heartlock serve` on SQLite (like run.py), signs up one user
with a project, then for --seconds sends 1 MiB imports of deeply nested YAML
(`A: [[[[...]]]]`, the shape that once took ~40 s of CPU) from --senders
threads at once, while another thread asks /healthz every 10 ms. Reports how
long each refusal took and how long /healthz took meanwhile (p50/p99/max).
Targets: refusal < 100 ms, /healthz < 50 ms throughout. Compare within one
run; the machine is shared.
"""
import argparse, json, os, statistics, subprocess, sys, threading, time, urllib.error, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as common  # noqa: E402  (same folder: server start helpers)


def timed(req):
    t0 = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        e.read()
        status = e.code
    return status, (time.perf_counter() - t0) * 1000


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))] if values else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--senders", type=int, default=4)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "heartlock", "-q"], cwd=common.ROOT, check=True)

    srv = common.start_server(postgres=False)
    try:
        base, jwt = srv["base"], srv["jwt"]
        url = base + "/api/v1/projects/bench/environments/production/secrets:import"
        # Just under the 1 MiB body limit once wrapped in JSON.
        depth = (1_048_576 - 200) // 2
        body = json.dumps({"format": "yaml", "content": "A: " + "[" * depth + "]" * depth}).encode()
        refusals, health = [], []
        stop = time.time() + args.seconds

        def sender():
            while time.time() < stop:
                req = urllib.request.Request(url, data=body, method="POST")
                req.add_header("content-type", "application/json")
                req.add_header("authorization", f"Bearer {jwt}")
                refusals.append(timed(req))

        def prober():
            while time.time() < stop:
                health.append(timed(urllib.request.Request(base + "/healthz")))
                time.sleep(0.01)

        threads = [threading.Thread(target=sender) for _ in range(args.senders)] + [threading.Thread(target=prober)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        common.stop_server(srv)

    statuses = sorted({s for s, _ in refusals})
    r_ms = [ms for _, ms in refusals]
    h_ms = [ms for _, ms in health]
    report = {
        "body_bytes": len(body), "senders": args.senders, "seconds": args.seconds,
        "imports": len(refusals), "import_statuses": statuses,
        "refusal_ms": {"p50": round(pct(r_ms, 50), 2), "p99": round(pct(r_ms, 99), 2), "max": round(max(r_ms, default=0), 2)},
        "healthz_probes": len(health), "healthz_statuses": sorted({s for s, _ in health}),
        "healthz_ms": {"p50": round(pct(h_ms, 50), 2), "p99": round(pct(h_ms, 99), 2), "max": round(max(h_ms, default=0), 2),
                       "mean": round(statistics.fmean(h_ms), 2) if h_ms else 0},
    }
    print(json.dumps(report, indent=2))
    print(f"\n{len(refusals)} nested-YAML imports of {len(body)} bytes: statuses {statuses}, "
          f"refused in max {report['refusal_ms']['max']} ms (target < 100); "
          f"/healthz max {report['healthz_ms']['max']} ms over {len(health)} probes (target < 50)")


if __name__ == "__main__":
    main()
