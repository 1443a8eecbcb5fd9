#!/usr/bin/env python3
"""Bulk throughput: `heartlock rotate-key` and `heartlock audit verify`.

Everything below is measured in this one run, on the machine at hand.

  1. rotate-key: a release `heartlock serve` (SQLite by default, a fresh
     PostgreSQL database with --postgres) is seeded with --values secret
     values of 100 bytes through the API (batches of 1,000, the batch limit,
     a few in flight). The server is stopped and `heartlock rotate-key` runs
     with a new primary key ("new,old"): values/s = values re-encrypted /
     wall time of the command (boot, the rewrite and the re-scan included).
     The re-encrypted count is checked against what was seeded.
  2. audit verify: every value written above left one audit event. The
     server is started again (on the new key list) and more batch writes
     (1,000 sets each, one event per set) bring the log to --events events;
     the server is stopped and `heartlock audit verify` runs: events/s =
     events verified / wall time of the command.

`bulk_rows(bin_path, postgres, values, events)` returns both rows as a dict,
for bench/run.py.
"""
import argparse, json, os, re, subprocess, sys, time, urllib.request, uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (start_server, stop_server, launch, http: same folder)

ROOT = run.ROOT
# Batch writes in flight while seeding: keeps the server busy without
# turning the seeding into a measurement of its own.
SEED_CONCURRENCY = 4
BATCH = 1000  # the API's batch limit


def batch_writes(srv, project, keys, rounds=1):
    """Sets every key of `keys` `rounds` times, in API batches of 1,000 with a
    few in flight; each set is one secret version and one audit event."""
    url = f"{srv['base']}/api/v1/projects/{project}/environments/production/secrets:batch"
    jwt = srv["jwt"]

    def one(chunk):
        body = json.dumps({"set": {k: (uuid.uuid4().hex * 4)[:100] for k in chunk}}).encode()
        req = urllib.request.Request(url, data=body, method="POST")
        req.add_header("content-type", "application/json")
        req.add_header("authorization", f"Bearer {jwt}")
        # A loaded machine can take well over run.http's 30 s for 1,000 sets.
        with urllib.request.urlopen(req, timeout=600) as r:
            r.read()

    chunks = [keys[i:i + BATCH] for i in range(0, len(keys), BATCH)] * rounds
    with ThreadPoolExecutor(SEED_CONCURRENCY) as pool:
        list(pool.map(one, chunks))
    return sum(len(c) for c in chunks)


def cli(srv, *args):
    """Runs a `heartlock` command on the server's data (server stopped); returns
    (wall seconds, stdout)."""
    t0 = time.perf_counter()
    out = subprocess.run([run.BIN, *args], cwd=srv["work"], env=srv["env"], capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if out.returncode != 0:
        raise RuntimeError(f"heartlock {' '.join(args)} exited {out.returncode}: {out.stdout[-2000:]} {out.stderr[-2000:]}")
    return wall, out.stdout


def rotate_row(srv, values):
    """Seeds `values` values, then times `rotate-key` onto a new primary key."""
    http_project = "bulk"
    run.http("POST", srv["base"] + "/api/v1/projects", srv["jwt"], {"name": http_project})
    t0 = time.perf_counter()
    batch_writes(srv, http_project, [f"BULK_{i:07d}" for i in range(values)])
    seed_s = time.perf_counter() - t0
    run.stop_process(srv)
    new = subprocess.run([run.BIN, "gen-key"], capture_output=True, text=True, check=True).stdout.strip()
    srv["env"]["HEARTLOCK_ENCRYPTION_KEY"] = f"{new},{srv['env']['HEARTLOCK_ENCRYPTION_KEY']}"
    wall, out = cli(srv, "rotate-key")
    columns = {}
    for line in out.splitlines():
        m = re.match(r"(.+?)\s+scanned\s+(\d+)\s+re-encrypted\s+(\d+)\s+still under old keys\s+(\d+)\s+unreadable\s+(\d+)", line)
        if m:
            columns[m.group(1).strip()] = dict(zip(("scanned", "rotated", "remaining_old", "unreadable"), map(int, m.groups()[1:])))
    secret_values = columns.get("secret values", {})
    # start_server seeded 50 values of its own beside ours.
    expected = values + 50
    if secret_values.get("rotated") != expected or secret_values.get("remaining_old") != 0:
        raise RuntimeError(f"rotate-key: expected {expected} secret values re-encrypted, got {columns}")
    rotated = sum(c["rotated"] for c in columns.values())
    return {"values": rotated, "seed_s": round(seed_s, 1), "wall_s": round(wall, 3),
            "values_per_s": round(rotated / wall), "columns": columns}


def verify_row(srv, events):
    """Brings the log to at least `events` events, then times `audit verify`."""
    run.launch(srv)
    have = int(run.http("GET", srv["base"] + "/api/v1/audit?limit=1", srv["jwt"]).get("total", 0))
    missing = max(0, events - have)
    t0 = time.perf_counter()
    if missing:
        rounds = -(-missing // BATCH)
        run.http("POST", srv["base"] + "/api/v1/projects", srv["jwt"], {"name": "audit"})
        batch_writes(srv, "audit", [f"EVENT_{i:04d}" for i in range(BATCH)], rounds)
    seed_s = time.perf_counter() - t0
    run.stop_process(srv)
    wall, out = cli(srv, "audit", "verify")
    m = re.search(r"audit log intact: (\d+) event", out)
    if not m:
        raise RuntimeError(f"audit verify: {out.strip()}")
    verified = int(m.group(1))
    if verified < events:
        raise RuntimeError(f"audit verify: {verified} events verified, wanted at least {events}")
    return {"events": verified, "seed_s": round(seed_s, 1), "wall_s": round(wall, 3),
            "events_per_s": round(verified / wall)}


def bulk_rows(bin_path, postgres, values, events):
    """Both rows on one fresh server's data; see the module docstring."""
    run.BIN = bin_path
    srv = run.start_server(postgres, [])
    try:
        rotate = rotate_row(srv, values)
        # Shown at once: the event seeding below can take a while.
        print(f"rotate-key: {rotate['values']} values in {rotate['wall_s']} s = {rotate['values_per_s']}/s", file=sys.stderr)
        verify = verify_row(srv, events)
    finally:
        run.stop_server(srv)
    return {"database": "postgresql" if postgres else "sqlite", "rotate_key": rotate, "audit_verify": verify}


def table(report):
    r, v = report["rotate_key"], report["audit_verify"]
    return "\n".join([
        f"| {report['database']} | count | wall s | per second | target/s | seeding s |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| rotate-key (values) | {r['values']} | {r['wall_s']:.2f} | {r['values_per_s']} | 100000 | {r['seed_s']} |",
        f"| audit verify (events) | {v['events']} | {v['wall_s']:.2f} | {v['events_per_s']} | 300000 | {v['seed_s']} |",
    ])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--postgres", action="store_true", help="use a fresh database on the local PostgreSQL")
    ap.add_argument("--values", type=int, default=100_000, help="secret values to seed and rotate")
    ap.add_argument("--events", type=int, default=300_000, help="audit events to verify (at least)")
    ap.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"),
                    help="cargo's target directory (default: $CARGO_TARGET_DIR, else target/)")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--bin", help="the heartlock binary to measure (default: release/heartlock of --target-dir; implies --no-build)")
    args = ap.parse_args()
    if args.bin:
        args.no_build = True
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "heartlock", "-q"], cwd=ROOT, check=True,
                       env=dict(os.environ, CARGO_TARGET_DIR=args.target_dir))
    bin_path = args.bin or os.path.join(args.target_dir, "release", "heartlock")
    report = bulk_rows(os.path.abspath(bin_path), args.postgres, args.values, args.events)
    print(json.dumps(report, indent=2))
    print()
    print(table(report))


if __name__ == "__main__":
    main()
