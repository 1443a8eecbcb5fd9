#!/usr/bin/env python3
"""Hot-path benchmark: a service token fetching one environment.

Everything below is measured in this one run, on the machine at hand;
compare ratios between rows, not absolutes across machines.

  1. GET / on `hello` (bench/ceiling): a bare axum hello-world, same axum,
     hyper and tokio, same runtime and worker count as `heartlock serve`:
     the ceiling every other row is a share of.
  2. GET /healthz on a release `heartlock serve` (SQLite by default, a fresh
     PostgreSQL database with --postgres): the server's trivial handler.
  3. GET .../secrets:export with a read token on 50 secrets of 100 bytes:
     the hot path.
  4. The same export at each --scale (default 10, 50, 500 and 5,000
     secrets): server CPU per secret, next to a bare Fernet open of one such
     value (`fernet-open`, bench/ceiling: the server's own Keyring::open).
  5. On the largest scale: 64 simultaneous requests (warm cache); a restart,
     then one request (cold cache); another restart, then 64 simultaneous
     first requests (p50, p99, server CPU, peak RSS).
Rows 1-4 are driven by wrk at --connections (64); each reports requests/s,
p50/p99, errors, the server's CPU time per request and its peak RSS. Also:
startup time to the first answered request, idle RSS, and `heartlock run --
true` against a bare `true` (hyperfine).
"""
import argparse, json, math, os, re, shutil, signal, socket, subprocess, sys, tempfile, threading, time, urllib.parse, urllib.request, uuid
from http.client import HTTPConnection

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Set from --target-dir in main().
BIN = HELLO = FERNET = None
PG_ADMIN = os.environ.get("HEARTLOCK_TEST_PG_URL", "postgres://postgres@127.0.0.1:5432/test")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(method, url, token=None, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=30) as r:
        text = r.read().decode()
        return json.loads(text) if text and r.headers.get("content-type", "").startswith("application/json") else text


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wrk(url, token, seconds, conns):
    lua = None
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--latency", url]
    if token:
        cmd[1:1] = ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    def lat(p):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        v, unit = float(m.group(1)), m.group(2)
        return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    errors = (int(non2xx.group(1)) if non2xx else 0) + (sum(int(x) for x in sock.groups()) if sock else 0)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rps": rps, "p50_ms": lat(50), "p99_ms": lat(99), "errors": errors, "requests": total}


def cpu_seconds(pid):
    """User + system CPU time the process has used so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class PeakRss:
    """Samples a process's RSS every 10 ms in a thread until stopped."""

    def __init__(self, pid):
        self.pid, self.peak, self.done = pid, rss_kb(pid), threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done.is_set():
            try:
                self.peak = max(self.peak, rss_kb(self.pid))
            except OSError:
                return
            time.sleep(0.01)

    def stop(self):
        self.done.set()
        self.thread.join()
        return self.peak


def measure(pid, url, token, seconds, conns):
    """wrk on `url`, with the server's CPU time per request and peak RSS."""
    sampler = PeakRss(pid)
    cpu0 = cpu_seconds(pid)
    res = wrk(url, token, seconds, conns)
    res["server_cpu_us_per_request"] = round((cpu_seconds(pid) - cpu0) * 1e6 / max(res["requests"], 1), 1)
    res["peak_rss_mb"] = round(sampler.stop() / 1024, 1)
    return res


def wait_up(proc, url):
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except Exception:
            if proc.poll() is not None:
                sys.exit(f"{url}: the server exited during startup")
            time.sleep(0.001)


def hello_row(seconds, conns):
    """The ceiling: the bare hello-world under the same load."""
    port = free_port()
    proc = subprocess.Popen([HELLO, f"127.0.0.1:{port}"])
    try:
        wait_up(proc, f"http://127.0.0.1:{port}/")
        idle = rss_kb(proc.pid)
        res = measure(proc.pid, f"http://127.0.0.1:{port}/", None, seconds, conns)
        res["rss_idle_mb"] = round(idle / 1024, 1)
        return res
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def fernet_open_us():
    """A bare open of one sealed ~100 B value, as the server opens it."""
    out = subprocess.run([FERNET], capture_output=True, text=True, check=True).stdout
    got = json.loads(out)
    return got["ns_per_open"] / 1000, got["ns_per_open_reference"] / 1000


def launch(srv):
    """(Re)starts `serve` on the server's data; returns ms from spawn to the
    first answered /healthz."""
    t0 = time.perf_counter()
    log = open(os.path.join(srv["work"], "server.log"), "a")
    srv["proc"] = subprocess.Popen([BIN, "serve"], cwd=srv["work"], env=srv["env"], stderr=log)
    wait_up(srv["proc"], srv["base"] + "/healthz")
    return (time.perf_counter() - t0) * 1000


def seed(srv, project, count):
    """A project holding `count` secrets of 100 bytes in production, and a
    read token on it; returns (export URL, token)."""
    base, jwt = srv["base"], srv["jwt"]
    http("POST", base + "/api/v1/projects", jwt, {"name": project})
    url = f"{base}/api/v1/projects/{project}/environments/production"
    keys = [f"SECRET_{i:04d}" for i in range(count)]
    for i in range(0, count, 1000):  # the batch limit
        chunk = {k: (uuid.uuid4().hex * 4)[:100] for k in keys[i:i + 1000]}
        http("POST", url + "/secrets:batch", jwt, {"set": chunk})
    tok = http("POST", f"{base}/api/v1/projects/{project}/tokens", jwt,
               {"name": "bench", "environments": ["production"], "access": "read"})["token"]
    hot = url + "/secrets:export"
    got = len(http("GET", hot, tok))
    if got != count:
        raise RuntimeError(f"{project}: exported {got} secrets, seeded {count}")
    return hot, tok


def populate(srv, projects, tokens, workers=8):
    """`projects` more projects and `tokens` more service tokens (spread
    over them), created through the API by `workers` threads; returns
    seconds taken."""
    base = srv["base"]
    # A user of their own: one user may be in at most 1,000 projects, and
    # the bench user is in a few already.
    jwt = http("POST", base + "/api/v1/auth/register",
               body={"email": "population@example.com", "password": "correct horse battery staple"})["access_token"]
    names = [f"pop{i:05d}" for i in range(projects)]
    t0 = time.perf_counter()

    def each(items, fn):
        items, errors = list(items), []
        lock = threading.Lock()

        def worker():
            while True:
                with lock:
                    if not items:
                        return
                    item = items.pop()
                try:
                    fn(item)
                except Exception as e:
                    errors.append(str(e))
        threads = [threading.Thread(target=worker) for _ in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise RuntimeError(f"populating: {len(errors)} errors, first: {errors[0]}")

    each(names, lambda n: http("POST", base + "/api/v1/projects", jwt, {"name": n}))

    def token(i):
        # Created, then used once: the server has seen (and cached) it.
        project = names[i % projects]
        tok = http("POST", f"{base}/api/v1/projects/{project}/tokens", jwt,
                   {"name": f"t{i}", "environments": ["production"], "access": "read"})["token"]
        http("GET", f"{base}/api/v1/projects/{project}/environments/production/secrets:export", tok)
    each(range(tokens), token)
    return time.perf_counter() - t0


def start_server(postgres, scales, rust_log=None):
    """A fresh release server (SQLite, or a new PostgreSQL database) with a
    user, a project `bench` holding 50 secrets, one project per scale, and a
    read token on each."""
    work = tempfile.mkdtemp(prefix="hl-bench-")
    port = free_port()
    key = subprocess.run([BIN, "gen-key"], capture_output=True, text=True, check=True).stdout.strip()
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": work,
        "DEBUG": "false", "SECURE_SSL_REDIRECT": "false", "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECRET_KEY": uuid.uuid4().hex * 2, "JWT_SECRET_KEY": uuid.uuid4().hex * 2,
        "HEARTLOCK_ENCRYPTION_KEY": key, "HEARTLOCK_BIND": f"127.0.0.1:{port}",
    }
    # Unset: the production default (info), so the access log is on and
    # costs what it costs; the lines go to server.log.
    if rust_log:
        env["RUST_LOG"] = rust_log
    pg_db = None
    if postgres:
        pg_db = "hl_bench_" + uuid.uuid4().hex[:12]
        subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {pg_db}"], check=True)
        # Loopback: no TLS. With sqlx's default sslmode=prefer every new
        # connection pays a TLS handshake (~90 ms here, measured).
        env["DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + pg_db + "?sslmode=disable"
    srv = {"proc": None, "work": work, "pg_db": pg_db, "env": env, "base": f"http://127.0.0.1:{port}"}
    try:
        subprocess.run([BIN, "migrate"], cwd=work, env=env, capture_output=True, check=True)
        srv["startup_ms"] = launch(srv)
        pw = "correct horse battery staple"
        reg = http("POST", srv["base"] + "/api/v1/auth/register", body={"email": "bench@example.com", "password": pw})
        srv["jwt"] = reg["access_token"]
        srv["hot"], srv["tok"] = seed(srv, "bench", 50)
        srv["scales"] = {n: seed(srv, f"scale{n}", n) for n in scales}
    except BaseException:
        stop_server(srv)
        raise
    return srv


def stop_process(srv):
    server = srv["proc"]
    if server is None:
        return
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        print(open(os.path.join(srv["work"], "server.log")).read()[-3000:], file=sys.stderr)
        raise
    finally:
        srv["proc"] = None


def stop_server(srv):
    try:
        stop_process(srv)
    finally:
        if srv["pg_db"]:
            subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {srv['pg_db']} WITH (FORCE)"], check=False)
        shutil.rmtree(srv["work"], ignore_errors=True)


def get_ms(url, token):
    """One GET on a new connection, to the last byte of the body; ms."""
    u = urllib.parse.urlsplit(url)
    conn = HTTPConnection(u.hostname, u.port, timeout=120)
    t0 = time.perf_counter()
    conn.request("GET", u.path, headers={"authorization": f"Bearer {token}"})
    r = conn.getresponse()
    r.read()
    ms = (time.perf_counter() - t0) * 1000
    conn.close()
    if r.status != 200:
        raise RuntimeError(f"GET {u.path}: HTTP {r.status}")
    return ms


def percentile(values, p):
    """Nearest rank: of 64 samples, p99 is the slowest."""
    v = sorted(values)
    return v[max(0, math.ceil(p / 100 * len(v)) - 1)]


def herd(srv, url, tok, clients):
    """`clients` simultaneous GETs, each on its own connection."""
    pid = srv["proc"].pid
    sampler = PeakRss(pid)
    cpu0 = cpu_seconds(pid)
    barrier = threading.Barrier(clients)
    times, errors = [], []

    def client():
        barrier.wait()
        try:
            times.append(get_ms(url, tok))
        except Exception as e:  # counted, not fatal: the row shows them
            errors.append(str(e))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    res = {"clients": clients, "errors": len(errors), "peak_rss_mb": round(sampler.stop() / 1024, 1),
           "server_cpu_us_per_request": round((cpu_seconds(pid) - cpu0) * 1e6 / clients, 1)}
    if times:
        res.update(p50_ms=round(percentile(times, 50), 1), p99_ms=round(percentile(times, 99), 1))
    return res


def restart_rows(srv, n, clients):
    """Cold cache on the `n`-secret export: a restart, then one request; a
    second restart, then `clients` simultaneous first requests. The same
    burst on a warm cache first, to tell the cold cost from the client's."""
    url, tok = srv["scales"][n]
    warm = herd(srv, url, tok, clients)
    stop_process(srv)
    launch(srv)
    first_ms = get_ms(url, tok)
    stop_process(srv)
    launch(srv)
    cold = herd(srv, url, tok, clients)
    return {"secrets": n, "first_request_ms": round(first_ms, 1), "warm_burst": warm, "simultaneous_first_requests": cold}


def run_vs_true(srv, runs):
    if not shutil.which("hyperfine"):
        return None
    cli_env = dict(srv["env"], HEARTLOCK_SERVER=srv["base"], HEARTLOCK_TOKEN=srv["tok"],
                   HEARTLOCK_PROJECT="bench", HEARTLOCK_ENVIRONMENT="production")
    work = srv["work"]
    if subprocess.run([BIN, "run", "--", "true"], cwd=work, env=cli_env, capture_output=True).returncode != 0:
        return None
    out = os.path.join(work, "hf.json")
    subprocess.run(["hyperfine", "-N", "--warmup", "5", "--runs", str(runs), "--export-json", out, "true", f"{BIN} run -- true"],
                   cwd=work, env=cli_env, capture_output=True, check=True)
    res = json.load(open(out))["results"]
    return {"true_ms": res[0]["mean"] * 1000, "heartlock_run_true_ms": res[1]["mean"] * 1000}


def table(report):
    """Every figure of the run as one Markdown table."""
    hello = report["ceiling_hello"]["rps"]
    rows = [("hello (bare axum, GET /)", report["ceiling_hello"], None),
            ("/healthz", report["healthz"], None),
            ("hot path: export, 50 secrets", report["hot_path_export_50"], 50)]
    rows += [(f"export, {r['secrets']} secrets", r, r["secrets"]) for r in report["scale"]]
    f = lambda v, d=1: "" if v is None else f"{v:.{d}f}"
    out = ["| row | req/s | share of hello | p50 ms | p99 ms | errors | server CPU µs/req | CPU µs/secret | peak RSS MB |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, r, n in rows:
        per = r["server_cpu_us_per_request"] / n if n else None
        out.append(f"| {name} | {r['rps']:.0f} | {r['rps'] / hello:.1%} | {f(r['p50_ms'], 2)} | {f(r['p99_ms'], 2)} "
                   f"| {r['errors']} | {f(r['server_cpu_us_per_request'])} | {f(per, 2)} | {f(r['peak_rss_mb'])} |")
    m = report["marginal_cpu_us_per_secret"]
    if m:
        out.append(f"| export: marginal CPU per secret, {m['from']} → {m['to']} | | | | | | | {m['us']:.2f} | |")
    out.append(f"| Fernet open of one ~100 B value (bare, the server's code) | | | | | | | {report['fernet_open_us']:.2f} | |")
    out.append(f"| Fernet open of one ~100 B value (bare, the reference `fernet` crate) | | | | | | | {report['fernet_open_reference_us']:.2f} | |")
    rs = report["restart"]
    if rs:
        out.append(f"| restart → first request, {rs['secrets']} secrets | | | {rs['first_request_ms']:.1f} | | 0 | | | |")
        for label, h in ((f"{rs['warm_burst']['clients']} simultaneous requests, warm cache", rs["warm_burst"]),
                         (f"restart → {rs['warm_burst']['clients']} simultaneous first requests", rs["simultaneous_first_requests"])):
            out.append(f"| {label}, {rs['secrets']} secrets | | | {f(h.get('p50_ms'))} | {f(h.get('p99_ms'))} | {h['errors']} "
                       f"| {f(h['server_cpu_us_per_request'])} | | {h['peak_rss_mb']} |")
    pop = report.get("population")
    if pop:
        for label, r in ((f"/healthz, after {pop['projects']} projects and {pop['tokens']} tokens", pop["healthz_after"]),
                         (f"hot path, after {pop['projects']} projects and {pop['tokens']} tokens", pop["hot_after"])):
            out.append(f"| {label} | {r['rps']:.0f} | {r['rps'] / hello:.1%} | {f(r['p50_ms'], 2)} | {f(r['p99_ms'], 2)} "
                       f"| {r['errors']} | {f(r['server_cpu_us_per_request'])} | | {f(r['peak_rss_mb'])} |")
        out.append(f"| hot path / /healthz: before {pop['hot_to_healthz_before']:.1%}, after {pop['hot_to_healthz_after']:.1%} "
                   f"({pop['change']:+.1%}; created in {pop['seconds_to_create']} s) | | | | | | | | |")
    out.append(f"| heartlock idle (after seeding) | | | | | | | | {report['rss_idle_mb']} |")
    out.append(f"| startup to first answer | | | {report['startup_to_first_response_ms']:.1f} | | | | | |")
    rt = report["run_true"]
    if rt:
        out.append(f"| `heartlock run -- true` (`true`: {rt['true_ms']:.1f} ms) | | | {rt['heartlock_run_true_ms']:.1f} | | | | | |")
    return "\n".join(out)


def main():
    global BIN, HELLO, FERNET
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--postgres", action="store_true", help="use a fresh database on the local PostgreSQL")
    ap.add_argument("--seconds", type=int, default=10, help="wrk duration of the hello, /healthz and hot-path rows")
    ap.add_argument("--scale-seconds", type=int, default=5, help="wrk duration of each --scale row")
    ap.add_argument("--scale", default="10,50,500,5000", help="secrets per environment of the scale rows ('' for none)")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--clients", type=int, default=64, help="simultaneous first requests after a restart")
    ap.add_argument("--quick", action="store_true", help="3 s rows, 2 s scale rows, 10 hyperfine runs: a smoke run")
    ap.add_argument("--target-dir", default=os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target"),
                    help="cargo's target directory (default: $CARGO_TARGET_DIR, else target/)")
    ap.add_argument("--population", default="1000,10000",
                    help="PROJECTS,TOKENS created (each token used once) before the hot path is measured again ('' for none)")
    ap.add_argument("--writes", type=int, default=10, metavar="SECONDS",
                    help="seconds of the write rows (bench/writes.py: PUTs at 16 connections; 0 for none)")
    ap.add_argument("--bulk", default="100000,300000", metavar="VALUES,EVENTS",
                    help="rotate-key and audit verify rows (bench/bulk.py) on that many values and events ('' for none)")
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()
    if args.quick:
        args.seconds, args.scale_seconds = 3, 2
        if args.population == "1000,10000":
            args.population = "100,1000"
        if args.bulk == "100000,300000":
            args.bulk = "10000,30000"
        args.writes = min(args.writes, 3)
    scales = sorted({int(x) for x in args.scale.split(",") if x.strip()})
    BIN, HELLO, FERNET = (os.path.join(args.target_dir, "release", b) for b in ("heartlock", "hello", "fernet-open"))

    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "heartlock", "-p", "heartlock-bench", "-q"], cwd=ROOT, check=True,
                       env=dict(os.environ, CARGO_TARGET_DIR=args.target_dir))
    fernet_us, fernet_ref_us = fernet_open_us()
    hello = hello_row(args.seconds, args.connections)
    srv = start_server(args.postgres, scales)
    try:
        pid = srv["proc"].pid
        idle = rss_kb(pid)
        healthz = measure(pid, srv["base"] + "/healthz", None, args.seconds, args.connections)
        hotres = measure(pid, srv["hot"], srv["tok"], args.seconds, args.connections)
        scale = []
        for n in scales:
            url, tok = srv["scales"][n]
            scale.append(dict(measure(pid, url, tok, args.scale_seconds, args.connections), secrets=n))
        population = None
        if args.population:
            projects, tokens = (int(x) for x in args.population.split(","))
            took = populate(srv, projects, tokens)
            after = {"healthz": measure(pid, srv["base"] + "/healthz", None, args.seconds, args.connections),
                     "hot": measure(pid, srv["hot"], srv["tok"], args.seconds, args.connections)}
            before_ratio = hotres["rps"] / healthz["rps"]
            after_ratio = after["hot"]["rps"] / after["healthz"]["rps"]
            population = {"projects": projects, "tokens": tokens, "seconds_to_create": round(took, 1),
                          "hot_after": after["hot"], "healthz_after": after["healthz"],
                          "hot_to_healthz_before": round(before_ratio, 4), "hot_to_healthz_after": round(after_ratio, 4),
                          "change": round(after_ratio / before_ratio - 1, 4)}
        rt = run_vs_true(srv, 10 if args.quick else 50)
        restart = restart_rows(srv, scales[-1], args.clients) if scales else None
    finally:
        stop_server(srv)

    # The write and bulk rows run on servers of their own (same binary).
    import bulk, writes  # noqa: E402  (same folder; they import this module)
    write_rows = writes.write_rows(BIN, args.postgres, args.writes, 16) if args.writes else None
    bulk_report = None
    if args.bulk:
        values, events = (int(x) for x in args.bulk.split(","))
        bulk_report = bulk.bulk_rows(BIN, args.postgres, values, events)

    marginal = None
    if len(scale) >= 2:
        lo, hi = scale[0], scale[-1]
        marginal = {"from": lo["secrets"], "to": hi["secrets"],
                    "us": round((hi["server_cpu_us_per_request"] - lo["server_cpu_us_per_request"]) / (hi["secrets"] - lo["secrets"]), 3)}
    report = {
        "database": "postgresql" if args.postgres else "sqlite",
        "connections": args.connections, "seconds": args.seconds, "scale_seconds": args.scale_seconds,
        "workers": os.cpu_count(),
        "ceiling_hello": hello, "healthz": healthz, "hot_path_export_50": hotres,
        "ratio_hot_to_hello": round(hotres["rps"] / hello["rps"], 4),
        "ratio_healthz_to_hello": round(healthz["rps"] / hello["rps"], 4),
        "ratio_hot_to_healthz": round(hotres["rps"] / healthz["rps"], 4),
        "scale": scale, "marginal_cpu_us_per_secret": marginal,
        "fernet_open_us": round(fernet_us, 3),
        "fernet_open_reference_us": round(fernet_ref_us, 3),
        "restart": restart,
        "rss_idle_mb": round(idle / 1024, 1),
        "startup_to_first_response_ms": round(srv["startup_ms"], 1),
        "run_true": rt,
        "population": population,
        "writes": write_rows,
        "bulk": bulk_report,
    }
    print(json.dumps(report, indent=2))
    print()
    print(table(report))
    if write_rows:
        print()
        print(writes.table(write_rows))
    if bulk_report:
        print()
        print(bulk.table(bulk_report))
    print(f"\nhot path {hotres['rps']:.0f} req/s = {report['ratio_hot_to_hello']:.1%} of hello, "
          f"{report['ratio_hot_to_healthz']:.1%} of /healthz (target >= 25% of hello); /healthz = {report['ratio_healthz_to_hello']:.1%} of hello (target >= 70%); "
          f"p99 {hotres['p99_ms']:.2f} ms (target < 10), errors {hotres['errors']}, "
          f"RSS under load {hotres['peak_rss_mb']} MB (target < 20), startup {report['startup_to_first_response_ms']} ms (target < 100)")
    if marginal:
        print(f"server CPU per extra secret {marginal['us']:.2f} µs ({marginal['from']} → {marginal['to']}) "
              f"= {marginal['us'] / report['fernet_open_us']:.1f}× the server's bare open ({report['fernet_open_us']:.2f} µs), "
              f"{marginal['us'] / report['fernet_open_reference_us']:.1f}× a reference Fernet open ({report['fernet_open_reference_us']:.2f} µs) (target <= 1.5×)")
    if rt:
        d = rt["heartlock_run_true_ms"] - rt["true_ms"]
        print(f"`heartlock run -- true` {rt['heartlock_run_true_ms']:.1f} ms vs `true` {rt['true_ms']:.1f} ms: +{d:.1f} ms (target <= 30)")


if __name__ == "__main__":
    main()
