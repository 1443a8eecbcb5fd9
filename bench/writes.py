#!/usr/bin/env python3
"""Write-path benchmark: PUT of distinct keys (100 B values) with a
read-write service token, driven by wrk with a Lua script that makes every
request's key unique (one insert plus its audit event per request).

Rows (each --seconds long, on a fresh server seeded by bench/run.py):
  SQLite:      one instance, --connections (16) client connections.
  PostgreSQL:  the same; then one instance with 1 and with 2 client
               connections against two instances on the same database
               with 1 connection each (key spaces split, both loaded at the
               same time, writes/s summed), and two instances at 8 each.
               During every PostgreSQL row pg_stat_activity is sampled
               every 100 ms (one psql session) and the top wait events of
               the database's busy backends are printed, with the lock each
               Lock wait is queued on.

A client connection carries one request at a time (wrk is closed-loop), so
an instance driven by one connection runs at most one write at a time: the
pool size (fixed by the store, there is no setting for it) does not matter
for the 1- and 2-connection rows.

  python3 bench/writes.py [--postgres] [--sqlite] [--seconds 10]

write_rows(bin_path, postgres) returns the same rows as a dict, for run.py.
"""
import argparse, collections, json, os, re, subprocess, sys, tempfile, threading, time, uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402  (the shared server helpers)

VALUE = (uuid.uuid4().hex * 4)[:100]

# Keys: <prefix>_<wrk thread>_<counter>, unique per run and per instance.
LUA = r"""
local threads = {}
local counter = 0
function setup(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
function init(args)
  base = args[1]
  prefix = args[2]
  token = args[3]
  body = args[4]
  hdrs = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
end
function request()
  counter = counter + 1
  return wrk.format("PUT", base .. prefix .. "_" .. tid .. "_" .. counter, hdrs, body)
end
"""


def _ms(v, unit):
    v = float(v)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v


def parse_wrk(out):
    """Requests/s, p50/p99 (ms), errors (non-2xx + socket errors), total."""
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {p: _ms(*re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)\b", out).groups()) for p in (50, 99)}
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"writes_per_s": rps, "p50_ms": round(lat[50], 2), "p99_ms": round(lat[99], 2),
            "errors": errors, "requests": total}


def wrk_put(base, token, prefix, seconds, conns, script):
    """Starts wrk PUTting distinct keys under `prefix`; returns the process."""
    url = f"{base}/api/v1/projects/bench/environments/production/secrets/"
    body = json.dumps({"value": VALUE})
    cmd = ["wrk", f"-t{min(2, conns)}", f"-c{conns}", f"-d{seconds}s", "--latency", "-s", script,
           base, "--", url.removeprefix(base), prefix, token, body]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wrk_done(proc):
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed: {err.strip()[:500]}")
    return parse_wrk(out)


class WaitSampler:
    """pg_stat_activity of one database every 100 ms, through one psql
    session (a psql process per sample would steal the CPU being measured)."""

    QUERY = (
        "SELECT a.state, coalesce(a.wait_event_type, 'CPU'), coalesce(a.wait_event, 'running'), "
        "coalesce((SELECT string_agg(DISTINCT l.locktype || ' ' || coalesce(l.relation::regclass::text, '') "
        "|| ' ' || l.mode, ',') FROM pg_locks l WHERE l.pid = a.pid AND NOT l.granted), '') "
        "FROM pg_stat_activity a WHERE a.datname = current_database() AND a.backend_type = 'client backend' "
        "AND a.pid <> pg_backend_pid() AND a.state <> 'idle';\n\\echo ---\n"
    )

    def __init__(self, url):
        self.out = tempfile.TemporaryFile(mode="w+")
        self.proc = subprocess.Popen(["psql", url, "-qAtX", "-F", "|"], stdin=subprocess.PIPE,
                                     stdout=self.out, stderr=subprocess.DEVNULL, text=True)
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done.is_set():
            self.proc.stdin.write(self.QUERY)
            self.proc.stdin.flush()
            time.sleep(0.1)

    def stop(self):
        """Top wait events: share of busy-backend samples, and the locks waited on."""
        self.done.set()
        self.thread.join()
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self.out.seek(0)
        samples, events, locks = 0, collections.Counter(), collections.Counter()
        for line in self.out.read().splitlines():
            if line == "---":
                samples += 1
                continue
            parts = line.split("|")
            if len(parts) != 4:
                continue
            state, typ, event, lock = parts
            key = f"{typ}:{event}" + (" (idle in transaction)" if state.startswith("idle in") else "")
            events[key] += 1
            if lock:
                locks[lock] += 1
        busy = sum(events.values())
        return {
            "samples": samples,
            "avg_busy_backends": round(busy / max(samples, 1), 2),
            "top": [{"event": k, "share": round(n / busy, 3)} for k, n in events.most_common(8)] if busy else [],
            "locks_waited": [{"lock": k, "samples": n} for k, n in locks.most_common(5)],
        }


def rw_token(srv):
    return run.http("POST", f"{srv['base']}/api/v1/projects/bench/tokens", srv["jwt"],
                    {"name": "writes", "environments": ["production"], "access": "read_write"})["token"]


def second_instance(srv):
    """Another `serve` on the same database and keys (its own port)."""
    port = run.free_port()
    work = tempfile.mkdtemp(prefix="hl-bench-b-")
    env = dict(srv["env"], HEARTLOCK_BIND=f"127.0.0.1:{port}", HOME=work)
    other = {"proc": None, "work": work, "pg_db": None, "env": env, "base": f"http://127.0.0.1:{port}"}
    run.launch(other)
    return other


def load(targets, seconds, script, sample_url=None):
    """Runs one wrk per (base, token, prefix, conns) at the same time; the
    summed row, each instance's row and, on PostgreSQL, the wait events."""
    sampler = WaitSampler(sample_url) if sample_url else None
    procs = [wrk_put(base, tok, prefix, seconds, conns, script) for base, tok, prefix, conns in targets]
    try:
        parts = [wrk_done(p) for p in procs]
    finally:
        waits = sampler.stop() if sampler else None
    row = {"writes_per_s": round(sum(p["writes_per_s"] for p in parts), 1),
           "p50_ms": max(p["p50_ms"] for p in parts), "p99_ms": max(p["p99_ms"] for p in parts),
           "errors": sum(p["errors"] for p in parts), "requests": sum(p["requests"] for p in parts)}
    if len(parts) > 1:
        row["instances"] = parts
    if waits:
        row["wait_events"] = waits
    return row


def write_rows(bin_path, postgres, seconds=10, connections=16):
    """The write rows on SQLite (postgres=False) or a fresh PostgreSQL
    database: {row name: {writes_per_s, p50_ms, p99_ms, errors, ...}}."""
    run.BIN = bin_path
    fd, script = tempfile.mkstemp(suffix=".lua")
    with os.fdopen(fd, "w") as f:
        f.write(LUA)
    srv = run.start_server(postgres, [])
    other = None
    rows = {}
    try:
        tok = rw_token(srv)
        a = srv["base"]
        pg_url = None
        if postgres:
            pg_url = run.PG_ADMIN.rsplit("/", 1)[0] + "/" + srv["pg_db"]
        db = "postgresql" if postgres else "sqlite"
        rows[f"{db}: 1 instance, {connections} connections"] = load(
            [(a, tok, "R16", connections)], seconds, script, pg_url)
        if postgres:
            rows["postgresql: 1 instance, 1 connection"] = load([(a, tok, "S1", 1)], seconds, script, pg_url)
            rows["postgresql: 1 instance, 2 connections"] = load([(a, tok, "S2", 2)], seconds, script, pg_url)
            other = second_instance(srv)
            b = other["base"]
            rows["postgresql: 2 instances, 1 connection each"] = load(
                [(a, tok, "TA", 1), (b, tok, "TB", 1)], seconds, script, pg_url)
            half = max(1, connections // 2)
            rows[f"postgresql: 2 instances, {half} connections each"] = load(
                [(a, tok, "UA", half), (b, tok, "UB", half)], seconds, script, pg_url)
    finally:
        try:
            if other:
                run.stop_process(other)
                run.shutil.rmtree(other["work"], ignore_errors=True)
        finally:
            run.stop_server(srv)
            os.unlink(script)
    return rows


def table(rows):
    out = ["| row | writes/s | p50 ms | p99 ms | errors |", "| --- | ---: | ---: | ---: | ---: |"]
    for name, r in rows.items():
        out.append(f"| {name} | {r['writes_per_s']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} |")
    for name, r in rows.items():
        w = r.get("wait_events")
        if not w:
            continue
        top = ", ".join(f"{t['event']} {t['share']:.0%}" for t in w["top"][:6])
        out.append(f"\n{name}: {w['samples']} samples, {w['avg_busy_backends']} busy backends on average; {top}")
        for lk in w["locks_waited"]:
            out.append(f"  waiting on {lk['lock']}: {lk['samples']} backend-samples")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--postgres", action="store_true", help="PostgreSQL rows only")
    ap.add_argument("--sqlite", action="store_true", help="SQLite rows only")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR") or os.path.join(run.ROOT, "target"))
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "heartlock", "-q"], cwd=run.ROOT, check=True,
                       env=dict(os.environ, CARGO_TARGET_DIR=args.target_dir))
    bin_path = os.path.join(args.target_dir, "release", "heartlock")
    rows = {}
    if not args.postgres:
        rows.update(write_rows(bin_path, False, args.seconds, args.connections))
    if not args.sqlite:
        rows.update(write_rows(bin_path, True, args.seconds, args.connections))
    print(json.dumps(rows, indent=2))
    print()
    print(table(rows))


if __name__ == "__main__":
    main()
