//! Heartlock behind the shipped reverse-proxy configurations, run for real:
//! nginx with `deploy/nginx/heartlock.conf` and Caddy with
//! `deploy/caddy/Caddyfile`, each terminating TLS in front of a production
//! (DEBUG off) server on SQLite. The client connects from 127.0.0.2, which
//! is not a trusted proxy (TRUSTED_PROXIES=127.0.0.1/32, the proxy's own
//! address), so the address Heartlock records can be told from the proxy's.
use crate::common::{Server, run};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const HOST: &str = "heartlock.test";
const CLIENT: IpAddr = IpAddr::V4(Ipv4Addr::new(127, 0, 0, 2));
const FORGED: &str = "6.6.6.6";
const ADMIN: &str = "admin@example.com";
const PASSWORD: &str = "correct horse battery staple";

fn repo_file(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
        .canonicalize()
        .unwrap()
}

/// Debian installs nginx in /usr/sbin, which a non-root PATH may lack.
fn program(name: &str) -> PathBuf {
    let sbin = Path::new("/usr/sbin").join(name);
    if sbin.exists() {
        sbin
    } else {
        PathBuf::from(name)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A proxy process, killed when dropped (also when the test fails).
struct Proxy {
    child: Child,
    log: PathBuf,
    https: u16,
    http: u16,
    ca: PathBuf,
}

impl Proxy {
    fn spawn(mut cmd: Command, log: PathBuf, https: u16, http: u16, ca: PathBuf) -> Proxy {
        let out = std::fs::File::create(&log).unwrap();
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("spawn the proxy");
        Proxy {
            child,
            log,
            https,
            http,
            ca,
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits until both ports accept connections and the CA file exists
    /// (Caddy writes its internal CA at start).
    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let up = [self.https, self.http].iter().all(|p| {
                TcpStream::connect_timeout(
                    &SocketAddr::from(([127, 0, 0, 1], *p)),
                    Duration::from_secs(1),
                )
                .is_ok()
            });
            if up && self.ca.exists() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("proxy exited with {status}: {}", self.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "proxy did not start: {}",
                self.log_text()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        // Not reaped yet, so the pid is still this child's.
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        // SIGTERM: nginx's master then stops its workers, which a SIGKILL
        // would leave running (and listening).
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A throw-away CA and a leaf for HOST (rustls refuses a self-signed leaf).
fn certs(d: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let ca_ext = [
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ];
    let mut ca = vec!["req", "-x509", "-newkey", "rsa:2048", "-nodes"];
    ca.extend(["-keyout", "ca.key", "-out", "ca.pem", "-days", "2"]);
    ca.extend(["-subj", "/CN=Heartlock Proxy Test CA"]);
    ca.extend(ca_ext);
    openssl(d, &ca);
    let subj = format!("/CN={HOST}");
    openssl(
        d,
        &[
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr",
            "-subj", &subj,
        ],
    );
    std::fs::write(
        d.join("ext.cnf"),
        format!(
            "subjectAltName=DNS:{HOST}\nbasicConstraints=CA:FALSE\n\
             keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n"
        ),
    )
    .unwrap();
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-out",
            "leaf.pem",
            "-days",
            "2",
            "-extfile",
            "ext.cnf",
        ],
    );
    (d.join("ca.pem"), d.join("leaf.pem"), d.join("leaf.key"))
}

/// A production server with one administrator, listening on 127.0.0.1.
fn heartlock(dir: &Path) -> Server {
    let key = heartlock_core::Keyring::generate_key();
    let env = [
        ("HEARTLOCK_ENCRYPTION_KEY", key.as_str()),
        ("HEARTLOCK_SUPERUSER_PASSWORD", PASSWORD),
    ];
    let out = run(
        dir,
        &env,
        &["createsuperuser", "--email", ADMIN, "--no-input"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Server::start(
        dir,
        &[
            ("DEBUG", "false"),
            ("HEARTLOCK_ENCRYPTION_KEY", key.as_str()),
            ("ALLOWED_HOSTS", HOST),
            ("TRUSTED_PROXIES", "127.0.0.1/32"),
        ],
    )
}

/// Replaces `from` (which must occur in the shipped file) with `to`.
fn swap(text: String, from: &str, to: &str) -> String {
    assert!(
        text.contains(from),
        "the shipped file no longer has {from:?}"
    );
    text.replace(from, to)
}

/// nginx with the shipped server blocks, only ports, host name,
/// certificate paths and upstream substituted, inside a minimal http {}.
fn nginx(dir: &Path, upstream: &str) -> Proxy {
    let (ca, cert, key) = certs(dir);
    let (https, http) = (free_port(), free_port());
    let shipped = std::fs::read_to_string(repo_file("deploy/nginx/heartlock.conf")).unwrap();
    let mut site = swap(shipped, "listen 80;", &format!("listen 127.0.0.1:{http};"));
    site = swap(
        site,
        "listen 443 ssl http2;",
        &format!("listen 127.0.0.1:{https} ssl http2;"),
    );
    // This machine may have no IPv6.
    site = site
        .lines()
        .filter(|l| !l.trim_start().starts_with("listen [::]"))
        .collect::<Vec<_>>()
        .join("\n");
    site = swap(site, "secrets.example.com", HOST);
    site = swap(
        site,
        "/etc/ssl/heartlock/fullchain.pem",
        cert.to_str().unwrap(),
    );
    site = swap(
        site,
        "/etc/ssl/heartlock/privkey.pem",
        key.to_str().unwrap(),
    );
    site = swap(
        site,
        "proxy_pass http://127.0.0.1:8082;",
        &format!("proxy_pass http://{upstream};"),
    );
    std::fs::write(dir.join("site.conf"), site).unwrap();
    // Temporary files in the prefix: the compiled-in paths need root.
    let main = format!(
        "pid nginx.pid;\nerror_log stderr;\nevents {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path tmp/body;\n  \
         proxy_temp_path tmp/proxy;\n  fastcgi_temp_path tmp/fastcgi;\n  \
         uwsgi_temp_path tmp/uwsgi;\n  scgi_temp_path tmp/scgi;\n  include {};\n}}\n",
        dir.join("site.conf").display()
    );
    std::fs::write(dir.join("nginx.conf"), main).unwrap();
    std::fs::create_dir_all(dir.join("tmp")).unwrap();
    // Run as root, nginx's workers switch to an unprivileged user, which
    // must reach the temporary directories.
    set_mode(dir, 0o755);
    let mut cmd = Command::new(program("nginx"));
    cmd.arg("-e").arg("stderr");
    cmd.arg("-c").arg(dir.join("nginx.conf"));
    cmd.arg("-p").arg(format!("{}/", dir.display()));
    cmd.args(["-g", "daemon off;"]);
    let mut p = Proxy::spawn(cmd, dir.join("nginx.log"), https, http, ca);
    p.wait_ready();
    p
}

fn set_mode(dir: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// Caddy with the shipped Caddyfile unchanged, imported by a wrapper whose
/// global options only move the ports, take the certificate from Caddy's
/// own local CA (no ACME, nothing added to the system's trust store) and
/// turn the admin endpoint off. HEARTLOCK_DOMAIN and HEARTLOCK_UPSTREAM are
/// the Caddyfile's own placeholders.
fn caddy(dir: &Path, upstream: &str) -> Proxy {
    let (https, http) = (free_port(), free_port());
    let wrapper = format!(
        "{{\n\tadmin off\n\thttp_port {http}\n\thttps_port {https}\n\tlocal_certs\n\t\
         skip_install_trust\n}}\nimport {}\n",
        repo_file("deploy/caddy/Caddyfile").display()
    );
    std::fs::write(dir.join("Caddyfile"), wrapper).unwrap();
    let data = dir.join("data");
    let mut cmd = Command::new(program("caddy"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("XDG_DATA_HOME", &data)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("HEARTLOCK_DOMAIN", HOST)
        .env("HEARTLOCK_UPSTREAM", upstream)
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(dir.join("Caddyfile"));
    let ca = data.join("caddy/pki/authorities/local/root.crt");
    let mut p = Proxy::spawn(cmd, dir.join("caddy.log"), https, http, ca);
    p.wait_ready();
    p
}

/// A client on 127.0.0.2 that trusts the proxy's CA, resolves HOST to
/// 127.0.0.1 and follows no redirect (so a loop would show as a 3xx).
fn client(ca: &Path) -> reqwest::Client {
    let pem = std::fs::read(ca).unwrap();
    reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).unwrap())
        .resolve(HOST, SocketAddr::from(([127, 0, 0, 1], 0)))
        .local_address(CLIENT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Adds the headers a client would forge to pass for someone else, over HTTP.
fn forged(req: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    req.header("X-Forwarded-For", FORGED)
        .header("X-Forwarded-Proto", "http")
        .header("Forwarded", format!("for={FORGED};proto=http"))
}

fn hsts(r: &reqwest::Response) -> Option<String> {
    r.headers()
        .get("strict-transport-security")
        .map(|v| v.to_str().unwrap().to_string())
}

fn content_type(r: &reqwest::Response) -> String {
    r.headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

/// What both proxies must do; `name` labels failures. `origin` is what a
/// browser on the public URL sends: nginx forwards `$host` (no port, as on
/// 443), Caddy the Host as the client sent it.
async fn check(name: &str, proxy: &Proxy, srv: &Server, origin: &str) {
    let http = client(&proxy.ca);
    let base = format!("https://{HOST}:{}", proxy.https);
    let ctx = || {
        format!(
            "{name}: {}\n--- heartlock:\n{}",
            proxy.log_text(),
            srv.log_text()
        )
    };

    // Caddy may still be issuing its certificate right after it listens.
    let deadline = Instant::now() + Duration::from_secs(30);
    let ready = loop {
        match http.get(format!("{base}/readyz")).send().await {
            Ok(r) => break r,
            Err(_) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(e) => panic!("{e:?}: {}", ctx()),
        }
    };
    assert_eq!(ready.status(), 200, "{}", ctx());

    // A wrong password, with forged forwarding headers, from a page of the
    // site itself: the CSRF check rebuilds the site's origin from the Host
    // and the proxy's X-Forwarded-Proto, so it lets it through (401, not 403).
    let login = format!("{base}/api/v1/auth/login");
    let body = serde_json::json!({"email": ADMIN, "password": "wrong password, surely"});
    let r = forged(http.post(&login).json(&body))
        .header("Origin", origin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "{}", ctx());
    assert!(content_type(&r).starts_with("application/problem+json"));
    let sts = hsts(&r).unwrap_or_else(|| panic!("no HSTS: {}", ctx()));
    assert!(sts.starts_with("max-age="), "{sts}");

    // The same from another site is refused, before any password check.
    let r = http
        .post(&login)
        .json(&body)
        .header("Origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "{}", ctx());

    // The right one: 200 (no redirect to HTTPS, as Heartlock saw HTTPS).
    let body = serde_json::json!({"email": ADMIN, "password": PASSWORD});
    let r = forged(http.post(&login).json(&body)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", ctx());
    assert!(hsts(&r).is_some());
    let token: serde_json::Value = r.json().await.unwrap();
    let token = token["access_token"].as_str().unwrap().to_string();

    // Both attempts were recorded from the client's own address.
    let r = http
        .get(format!("{base}/api/v1/audit?action=auth.login"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", ctx());
    assert!(hsts(&r).is_some());
    let page: serde_json::Value = r.json().await.unwrap();
    let items = page["items"].as_array().unwrap();
    let outcomes: Vec<(&str, &str)> = items
        .iter()
        .map(|e| {
            (
                e["outcome"].as_str().unwrap(),
                e["ip"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        outcomes,
        [("success", "127.0.0.2"), ("denied", "127.0.0.2")],
        "{name}: the audit log must hold the client's address, not the proxy's or a forged one"
    );

    // Plain HTTP to the proxy is sent to HTTPS, path and query kept.
    let r = http
        .get(format!("http://{HOST}:{}/api/v1/auth/me?x=1", proxy.http))
        .send()
        .await
        .unwrap();
    assert!(matches!(r.status().as_u16(), 301 | 308), "{}", ctx());
    let location = r.headers()["location"].to_str().unwrap();
    assert_eq!(location, format!("https://{HOST}/api/v1/auth/me?x=1"));

    // A body over Heartlock's limit (1 MiB) gets a 413 problem document
    // (nginx refuses it itself, as Heartlock would; Caddy passes it on).
    let r = http
        .post(&login)
        .header("content-type", "application/json")
        .body(vec![b'a'; 1_048_577])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413, "{}", ctx());
    assert!(
        content_type(&r).starts_with("application/problem+json"),
        "{name}: {}",
        content_type(&r)
    );
    // A share link may be bigger (about 1.4 MiB by default): the proxy lets
    // 1.3 MB through and Heartlock reads it (and finds it is not JSON).
    let r = http
        .post(format!("{base}/api/v1/shares"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body(vec![b'a'; 1_300_000])
        .send()
        .await
        .unwrap();
    assert!(
        matches!(r.status().as_u16(), 400 | 422),
        "{name}: {} {}",
        r.status(),
        ctx()
    );
    assert!(content_type(&r).starts_with("application/problem+json"));
}

/// The control: straight to Heartlock from 127.0.0.2 (not a trusted
/// proxy), the same claim of HTTPS is ignored and the redirect applies.
async fn direct_claims_are_ignored(srv: &Server) {
    let http = reqwest::Client::builder()
        .local_address(CLIENT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http
        .get(srv.url("/api/v1/auth/me"))
        .header("Host", HOST)
        .header("X-Forwarded-Proto", "https")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 301, "{}", srv.log_text());
    assert!(hsts(&r).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nginx_terminates_tls_and_passes_the_real_client() {
    let dir = tempfile::tempdir().unwrap();
    let srv = heartlock(dir.path());
    direct_claims_are_ignored(&srv).await;
    let proxy_dir = tempfile::tempdir().unwrap();
    let proxy = nginx(proxy_dir.path(), &srv.addr);
    check("nginx", &proxy, &srv, &format!("https://{HOST}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caddy_terminates_tls_and_passes_the_real_client() {
    let dir = tempfile::tempdir().unwrap();
    let srv = heartlock(dir.path());
    let proxy_dir = tempfile::tempdir().unwrap();
    let proxy = caddy(proxy_dir.path(), &srv.addr);
    let origin = format!("https://{HOST}:{}", proxy.https);
    check("caddy", &proxy, &srv, &origin).await;
}

/// One HTTP/1.1 response read off `r`: its status line and body.
fn read_response(r: &mut impl std::io::BufRead) -> (String, String) {
    let mut status = String::new();
    r.read_line(&mut status).unwrap();
    let mut length = 0;
    loop {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; length];
    r.read_exact(&mut body).unwrap();
    (
        status.trim().to_string(),
        String::from_utf8_lossy(&body).into(),
    )
}

/// What a proxy that keeps its connections to Heartlock open (Caddy) sees
/// when Heartlock refuses a request before using its body: the body is
/// still read, so the connection stays usable for the next request (hyper
/// would otherwise close it, and the proxy answer 502 to whatever it sent
/// next on it). The body comes after a pause, as from a proxy streaming it.
#[test]
fn a_refusal_before_the_body_arrives_keeps_the_connection_usable() {
    use std::io::{BufReader, Write};
    let dir = tempfile::tempdir().unwrap();
    let srv = heartlock(dir.path());
    let mut conn = TcpStream::connect(&srv.addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let body = format!(r#"{{"email":"{ADMIN}","password":"x"}}"#);
    let head = format!(
        "POST /api/v1/auth/login HTTP/1.1\r\nHost: {HOST}\r\nX-Forwarded-For: 127.0.0.2\r\n\
         X-Forwarded-Proto: https\r\nOrigin: https://evil.example\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    // Unfixed, the 403 is out and the connection closed by now; this write
    // may still succeed, the next request then finds the connection gone.
    let _ = conn.write_all(body.as_bytes());
    let mut reader = BufReader::new(conn.try_clone().unwrap());
    let (status, problem) = read_response(&mut reader);
    assert!(status.starts_with("HTTP/1.1 403"), "{status} {problem}");
    assert!(problem.contains("csrf-origin"), "{problem}");
    let next = format!("GET /readyz HTTP/1.1\r\nHost: {HOST}\r\n\r\n");
    conn.write_all(next.as_bytes())
        .unwrap_or_else(|e| panic!("the connection was closed: {e}"));
    let (status, _) = read_response(&mut reader);
    assert!(status.starts_with("HTTP/1.1 200"), "{status}");
}
