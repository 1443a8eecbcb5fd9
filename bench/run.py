#!/usr/bin/env python3
"""Hot-path benchmark: a service token fetching one environment.

Starts a release `heartlock serve` (SQLite by default, PostgreSQL with
--postgres), seeds a project with 50 secrets of 100 bytes, then drives with
wrk at 64 connections:
  1. GET /healthz                    the ceiling: same binary, trivial handler
  2. GET .../secrets:export (token)  the hot path
and reports requests/s, p50/p99, errors, the hot-path/ceiling ratio, the
server's RSS idle and under load, startup time to the first answered request
the server's CPU time per hot-path request, and `heartlock run -- true`
against a bare `true` (hyperfine).
Every figure is measured in this one run; compare ratios, not absolutes.
"""
import argparse, json, os, re, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request, uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target", "release", "heartlock")
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


def start_server(postgres, rust_log="warn"):
    """A fresh release server (SQLite, or a new PostgreSQL database) with a
    user, a project `bench` holding 50 secrets and a read token on it."""
    work = tempfile.mkdtemp(prefix="hl-bench-")
    port = free_port()
    key = subprocess.run([BIN, "gen-key"], capture_output=True, text=True, check=True).stdout.strip()
    env = {
        "PATH": os.environ.get("PATH", ""), "HOME": work, "RUST_LOG": rust_log,
        "DEBUG": "false", "SECURE_SSL_REDIRECT": "false", "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECRET_KEY": uuid.uuid4().hex * 2, "JWT_SECRET_KEY": uuid.uuid4().hex * 2,
        "HEARTLOCK_ENCRYPTION_KEY": key, "HEARTLOCK_BIND": f"127.0.0.1:{port}",
    }
    pg_db = None
    if postgres:
        pg_db = "hl_bench_" + uuid.uuid4().hex[:12]
        subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {pg_db}"], check=True)
        # Loopback: no TLS. With sqlx's default sslmode=prefer every new
        # connection pays a TLS handshake (~90 ms here, measured).
        env["DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + pg_db + "?sslmode=disable"
    base = f"http://127.0.0.1:{port}"

    # Startup: process spawn to the first answered /healthz.
    subprocess.run([BIN, "migrate"], cwd=work, env=env, capture_output=True, check=True)
    t0 = time.perf_counter()
    server_log = open(os.path.join(work, "server.log"), "w")
    server = subprocess.Popen([BIN, "serve"], cwd=work, env=env, stderr=server_log)
    srv = {"proc": server, "work": work, "pg_db": pg_db, "env": env, "base": base}
    while True:
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1).read()
            break
        except Exception:
            if server.poll() is not None:
                sys.exit("server exited during startup")
            time.sleep(0.001)
    srv["startup_ms"] = (time.perf_counter() - t0) * 1000
    try:
        pw = "correct horse battery staple"
        reg = http("POST", base + "/api/v1/auth/register", body={"email": "bench@example.com", "password": pw})
        jwt = reg["access_token"]
        http("POST", base + "/api/v1/projects", jwt, {"name": "bench"})
        secrets = {f"SECRET_{i:02d}": (uuid.uuid4().hex * 4)[:100] for i in range(50)}
        http("POST", base + "/api/v1/projects/bench/environments/production/secrets:batch", jwt, {"set": secrets})
        tok = http("POST", base + "/api/v1/projects/bench/tokens", jwt, {"name": "bench", "environments": ["production"], "access": "read"})["token"]
        hot = base + "/api/v1/projects/bench/environments/production/secrets:export"
        assert len(http("GET", hot, tok)) == 50
    except Exception:
        stop_server(srv)
        raise
    srv.update(jwt=jwt, tok=tok, hot=hot)
    return srv


def stop_server(srv):
    server, work = srv["proc"], srv["work"]
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        print(open(os.path.join(work, "server.log")).read()[-3000:], file=sys.stderr)
        raise
    finally:
        if srv["pg_db"]:
            subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {srv['pg_db']} WITH (FORCE)"], check=False)
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--postgres", action="store_true", help="use a fresh database on the local PostgreSQL")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()

    if not args.no_build:
        subprocess.run(["cargo", "build", "--release", "-p", "heartlock", "-q"], cwd=ROOT, check=True)
    srv = start_server(args.postgres)
    server, work, env, base, tok, hot = srv["proc"], srv["work"], srv["env"], srv["base"], srv["tok"], srv["hot"]
    startup_ms = srv["startup_ms"]
    try:
        idle = rss_kb(server.pid)

        ceiling = wrk(base + "/healthz", None, args.seconds, args.connections)
        # RSS sampled while the hot path runs.
        peak = [idle]
        sampler = subprocess.Popen([sys.executable, "-c", f"""
import time
peak=0
end=time.time()+{args.seconds}
while time.time()<end:
    for l in open('/proc/{server.pid}/status'):
        if l.startswith('VmRSS:'): peak=max(peak,int(l.split()[1]))
    time.sleep(0.05)
print(peak)
"""], stdout=subprocess.PIPE, text=True)
        cpu0 = cpu_seconds(server.pid)
        hotres = wrk(hot, tok, args.seconds, args.connections)
        hotres["server_cpu_us_per_request"] = round((cpu_seconds(server.pid) - cpu0) * 1e6 / max(hotres["requests"], 1), 1)
        peak.append(int(sampler.communicate()[0].strip() or 0))

        run_vs_true = None
        if shutil.which("hyperfine"):
            cli_env = dict(env, HEARTLOCK_SERVER=base, HEARTLOCK_TOKEN=tok, HEARTLOCK_PROJECT="bench", HEARTLOCK_ENVIRONMENT="production")
            probe = subprocess.run([BIN, "run", "--", "true"], cwd=work, env=cli_env, capture_output=True)
            if probe.returncode == 0:
                out = os.path.join(work, "hf.json")
                subprocess.run(["hyperfine", "-N", "--warmup", "5", "--runs", "50", "--export-json", out, "true", f"{BIN} run -- true"],
                               cwd=work, env=cli_env, capture_output=True, check=True)
                res = json.load(open(out))["results"]
                run_vs_true = {"true_ms": res[0]["mean"] * 1000, "heartlock_run_true_ms": res[1]["mean"] * 1000}
    finally:
        stop_server(srv)

    report = {
        "database": "postgresql" if args.postgres else "sqlite",
        "connections": args.connections, "seconds": args.seconds,
        "ceiling_healthz": ceiling, "hot_path_export_50": hotres,
        "ratio_hot_to_ceiling": round(hotres["rps"] / ceiling["rps"], 4),
        "rss_idle_mb": round(idle / 1024, 1), "rss_under_load_mb": round(max(peak) / 1024, 1),
        "startup_to_first_response_ms": round(startup_ms, 1),
        "run_true": run_vs_true,
    }
    print(json.dumps(report, indent=2))
    print(f"\nhot path {hotres['rps']:.0f} req/s vs /healthz {ceiling['rps']:.0f} req/s: "
          f"ratio {report['ratio_hot_to_ceiling']:.1%} (target >= 12%), p99 {hotres['p99_ms']:.2f} ms (target < 10), "
          f"errors {hotres['errors']}, server CPU {hotres['server_cpu_us_per_request']} us/request, RSS under load {report['rss_under_load_mb']} MB (target < 60), "
          f"startup {report['startup_to_first_response_ms']} ms (target < 100)")
    if run_vs_true:
        d = run_vs_true["heartlock_run_true_ms"] - run_vs_true["true_ms"]
        print(f"`heartlock run -- true` {run_vs_true['heartlock_run_true_ms']:.1f} ms vs `true` {run_vs_true['true_ms']:.1f} ms: +{d:.1f} ms (target <= 30)")


if __name__ == "__main__":
    main()
