//! `heartlock healthcheck [--url URL]`: the container image's HEALTHCHECK,
//! so the runtime image needs no curl.
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

/// Short: an orchestrator runs this every few seconds, and a server that
/// takes longer than this to answer /readyz is not healthy anyway.
const TIMEOUT: Duration = Duration::from_secs(3);

pub async fn run(url: Option<String>) -> anyhow::Result<ExitCode> {
    let url = match url {
        Some(u) => u,
        None => default_url(super::load_settings()?.bind),
    };
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    match client.get(&url).send().await {
        Ok(r) if r.status() == reqwest::StatusCode::OK => Ok(ExitCode::SUCCESS),
        Ok(r) => {
            eprintln!("heartlock: healthcheck: {url} answered {}", r.status());
            Ok(ExitCode::FAILURE)
        }
        Err(e) => {
            // The innermost cause says why (refused, timed out…); reqwest's
            // own text only says "error sending request".
            let e = e.without_url();
            let mut cause: &dyn std::error::Error = &e;
            while let Some(next) = cause.source() {
                cause = next;
            }
            eprintln!("heartlock: healthcheck: {url} did not answer: {cause}");
            Ok(ExitCode::FAILURE)
        }
    }
}

/// The server's own /readyz: a wildcard bind address is reached on loopback.
fn default_url(bind: SocketAddr) -> String {
    let ip = match bind.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}/readyz", SocketAddr::new(ip, bind.port()))
}

#[cfg(test)]
mod tests {
    use super::default_url;

    #[test]
    fn a_wildcard_bind_is_probed_on_loopback() {
        let url = |b: &str| default_url(b.parse().unwrap());
        assert_eq!(url("0.0.0.0:8082"), "http://127.0.0.1:8082/readyz");
        assert_eq!(url("[::]:9000"), "http://[::1]:9000/readyz");
        assert_eq!(url("10.1.2.3:8082"), "http://10.1.2.3:8082/readyz");
    }
}
