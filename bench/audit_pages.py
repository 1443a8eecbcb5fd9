#!/usr/bin/env python3
"""Audit listing: how long one page of GET /api/v1/audit takes on a large log.

Everything below is measured in this one run, on the machine at hand.

A release `heartlock serve` (SQLite by default, a fresh PostgreSQL database
with --postgres) gets --events audit events (default 300,000) through batch
writes of 1,000 secrets (one audit event per secret set, a few batches in
flight). Then each listing below is requested --repeat times on a new
connection and its median ms is reported (50 events per page):

  - `all`: a server administrator (`createsuperuser`), unfiltered: page 1,
    the middle page and the last page by number (`page=`), and the middle
    and last pages by cursor (`before=`, the seq just above the page, as a
    client that walked there holds it);
  - `action_prefix`: the administrator, `action=secret.` (nearly every
    event): page 1, the middle and last page by number, the last by cursor;
  - `member`: the user who owns the seeded project (not an administrator:
    the listing is limited to the projects the user administers, nearly
    every event), same rows as `all`;
  - `outcome_denied`: the administrator, `outcome=denied` (no events): page 1.

Cursor rows need a server that knows `before`; an older server ignores the
parameter and they are left out (null). With --before BIN the same seeded
log is first measured with that binary (it seeds: an older schema), then the
measured binary migrates it and is measured: a before/after on one log.

`audit_page_rows(bin_path, postgres, events)` returns the rows as a dict,
for bench/run.py.
"""
import argparse, json, os, statistics, subprocess, sys, time, urllib.parse, uuid
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (start_server, stop_server, launch, http, get_ms: same folder)

ROOT = run.ROOT
SEED_CONCURRENCY = 4
BATCH = 1000  # the API's batch limit
PER_PAGE = 50


def seed_events(srv, events):
    """Batch writes until the log holds at least `events` events; seconds."""
    have = audit_get(srv, {"per_page": 1}, "jwt")["total"]
    missing = max(0, events - have)
    t0 = time.perf_counter()
    if missing:
        run.http("POST", srv["base"] + "/api/v1/projects", srv["jwt"], {"name": "audit"})
        url = f"{srv['base']}/api/v1/projects/audit/environments/production/secrets:batch"
        keys = [f"EVENT_{i:04d}" for i in range(BATCH)]

        def one(_):
            body = {k: (uuid.uuid4().hex * 4)[:100] for k in keys}
            run.http("POST", url, srv["jwt"], {"set": body})

        with ThreadPoolExecutor(SEED_CONCURRENCY) as pool:
            list(pool.map(one, range(-(-missing // BATCH))))
    return time.perf_counter() - t0


def audit_url(srv, params):
    return f"{srv['base']}/api/v1/audit?{urllib.parse.urlencode(params)}"


def audit_get(srv, params, who="admin"):
    return run.http("GET", audit_url(srv, params), srv[who])


def timed(srv, params, repeat, who="admin"):
    """Median ms of `repeat` GETs, each on a new connection."""
    url = audit_url(srv, params)
    return round(statistics.median(run.get_ms(url, srv[who]) for _ in range(repeat)), 2)


def make_admin(srv):
    """A server administrator through `createsuperuser`; its access token."""
    email, pw = "admin@example.com", "correct horse battery staple"
    subprocess.run([run.BIN, "createsuperuser", "--email", email, "--password-stdin", "--no-input"], cwd=srv["work"],
                   env=srv["env"], input=pw + "\n", text=True, capture_output=True, check=True)
    return run.http("POST", srv["base"] + "/api/v1/auth/login", body={"email": email, "password": pw})["access_token"]


def listing_rows(srv, repeat):
    """Times the listings of the module docstring on the running server."""
    rows = {}
    for name, who, filt in [("all", "admin", {}), ("action_prefix", "admin", {"action": "secret."}),
                            ("member", "jwt", {})]:
        first = audit_get(srv, dict(filt, per_page=PER_PAGE), who)
        # A capped total (filtered lists on a newer server) is a lower bound:
        # count the rest by walking the cursor (not timed).
        total = first["total"]
        if not first.get("total_exact", True):
            total = exact_total(srv, filt, who)
        pages = max(1, -(-total // PER_PAGE))
        mid = max(1, pages // 2)
        r = {"total": total, "total_reported": first["total"], "total_exact": first.get("total_exact", True),
             "pages": pages,
             "page_1_ms": timed(srv, dict(filt, per_page=PER_PAGE), repeat, who),
             "middle_page_ms": timed(srv, dict(filt, per_page=PER_PAGE, page=mid), repeat, who),
             "last_page_ms": timed(srv, dict(filt, per_page=PER_PAGE, page=pages), repeat, who)}
        cursor_aware = "next_before" in first
        for label, page in [("middle", mid), ("last", pages)]:
            if not cursor_aware:
                continue
            items = audit_get(srv, dict(filt, per_page=PER_PAGE, page=page), who)["items"]
            before = items[0]["seq"] + 1
            via = audit_get(srv, dict(filt, per_page=PER_PAGE, before=before), who)["items"]
            if [e["seq"] for e in via] != [e["seq"] for e in items]:
                raise RuntimeError(f"{name}: page {page} by cursor differs from by number")
            r[f"{label}_page_by_cursor_ms"] = timed(srv, dict(filt, per_page=PER_PAGE, before=before), repeat, who)
        rows[name] = r
    rows["outcome_denied"] = {"page_1_ms": timed(srv, {"outcome": "denied", "per_page": PER_PAGE}, repeat)}
    return rows


def exact_total(srv, filt, who):
    """The matching count, found by walking cursors (500 a page): only for
    picking the last page number, not timed."""
    n, before = 0, None
    while True:
        params = dict(filt, per_page=500)
        if before is not None:
            params["before"] = before
        page = audit_get(srv, params, who)
        n += len(page["items"])
        before = page.get("next_before")
        if before is None:
            return n


def audit_page_rows(bin_path, postgres, events, before_bin=None, repeat=7):
    """Seeds a fresh server's log to `events` events and times the listings;
    with `before_bin`, that binary seeds and is measured first, then
    `bin_path` migrates the same data and is measured."""
    run.BIN = before_bin or bin_path
    srv = run.start_server(postgres, [])
    out = {"database": "postgresql" if postgres else "sqlite", "per_page": PER_PAGE, "repeat": repeat}
    try:
        out["seed_s"] = round(seed_events(srv, events), 1)
        srv["admin"] = make_admin(srv)
        if before_bin:
            out["before"] = listing_rows(srv, repeat)
            run.stop_process(srv)
            run.BIN = bin_path
            subprocess.run([bin_path, "migrate"], cwd=srv["work"], env=srv["env"], capture_output=True, check=True)
            run.launch(srv)
        out["after" if before_bin else "rows"] = listing_rows(srv, repeat)
    finally:
        run.stop_server(srv)
    return out


def table(report):
    f = lambda v: "n/a" if v is None else f"{v:.1f}"
    out = [f"| {report['database']} | page 1 | middle page | last page | middle by cursor | last by cursor |",
           "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for which in ("before", "after", "rows"):
        rows = report.get(which)
        if not rows:
            continue
        for name in ("all", "action_prefix", "member"):
            r = rows[name]
            out.append(f"| {which}: {name} ({r['total']} events, {r['pages']} pages) | {f(r['page_1_ms'])} "
                       f"| {f(r['middle_page_ms'])} | {f(r['last_page_ms'])} | {f(r.get('middle_page_by_cursor_ms'))} "
                       f"| {f(r.get('last_page_by_cursor_ms'))} |")
        out.append(f"| {which}: outcome=denied | {f(rows['outcome_denied']['page_1_ms'])} | | | | |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--postgres", action="store_true", help="use a fresh database on the local PostgreSQL")
    ap.add_argument("--events", type=int, default=300_000, help="audit events to seed (at least)")
    ap.add_argument("--repeat", type=int, default=7, help="GETs per listing (the median is reported)")
    ap.add_argument("--before", metavar="BIN", help="an older heartlock binary: seeds and is measured first")
    ap.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"),
                    help="cargo's target directory (default: $CARGO_TARGET_DIR, else target/)")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "heartlock", "-q"], cwd=ROOT, check=True,
                       env=dict(os.environ, CARGO_TARGET_DIR=args.target_dir))
    report = audit_page_rows(os.path.join(args.target_dir, "release", "heartlock"), args.postgres, args.events,
                             before_bin=args.before, repeat=args.repeat)
    print(json.dumps(report, indent=2))
    print()
    print(table(report))


if __name__ == "__main__":
    main()
