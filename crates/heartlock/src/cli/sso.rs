//! `heartlock login --sso`: single sign-on in the browser, for the CLI.
//!
//! The CLI listens on 127.0.0.1 (a free port), makes a PKCE verifier and a
//! random state, and sends the browser to the server's `/oauth/login` with
//! its loopback address, S256 challenge and state. After the provider
//! sign-in the server sends the browser back here with a one-time code,
//! which only this process can redeem (it alone has the verifier).
use super::error::{CliResult, failed, usage};
use super::session::client_for;
use heartlock_client::TokenResponse;
use heartlock_core::{pkce, token};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How long to wait for the browser.
const WAIT: Duration = Duration::from_secs(5 * 60);
/// The longest request the loopback server reads (a GET with a code).
const MAX_REQUEST: usize = 16 * 1024;
const PATH: &str = "/callback";

/// What the browser brought back to the loopback address.
enum Visit {
    /// The code, with the state that matched ours.
    Code(String),
    /// Anything else (another path, a stale or forged request): answered
    /// and ignored, we keep waiting.
    Ignored,
}

/// The address to open: `/oauth/login` with the CLI's parameters.
fn login_url(server: &str, redirect: &str, challenge: &str, state: &str) -> CliResult<String> {
    let base = format!("{}/oauth/login", server.trim_end_matches('/'));
    let mut url =
        url::Url::parse(&base).map_err(|_| usage(format!("invalid server URL {server:?}")))?;
    url.query_pairs_mut()
        .append_pair("cli_redirect", redirect)
        .append_pair("cli_challenge", challenge)
        .append_pair("cli_state", state);
    Ok(url.to_string())
}

/// Signs in through the browser; returns the same tokens as a password
/// sign-in. `json` keeps stdout for the final JSON (the address then goes
/// to stderr).
pub async fn login(server: &str, no_browser: bool, json: bool) -> CliResult<TokenResponse> {
    let client = client_for(server)?;
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .await
        .map_err(|e| failed(format!("cannot listen on 127.0.0.1: {e}")))?;
    let port = listener
        .local_addr()
        .map_err(|e| failed(format!("cannot listen on 127.0.0.1: {e}")))?
        .port();
    let redirect = format!("http://127.0.0.1:{port}{PATH}");
    let verifier = pkce::new_verifier();
    let state = token::random_token("");
    let url = login_url(server, &redirect, &pkce::challenge_s256(&verifier), &state)?;

    let opened = !no_browser && has_display() && webbrowser::open(&url).is_ok();
    if opened {
        eprintln!("heartlock: opened your browser to sign in; if it did not, open:\n{url}");
    } else {
        eprintln!("heartlock: open this address in a browser to sign in:");
        if json {
            eprintln!("{url}");
        } else {
            super::output::out(&format!("{url}\n"))?;
        }
    }
    eprintln!("heartlock: waiting for the browser (Ctrl-C to cancel)…");

    let code = tokio::select! {
        r = tokio::time::timeout(WAIT, wait_for_code(&listener, &state)) => match r {
            Ok(code) => code?,
            Err(_) => return Err(failed("no sign-in within 5 minutes: run `heartlock login --sso` again")),
        },
        _ = tokio::signal::ctrl_c() => return Err(failed("sign-in cancelled")),
    };
    drop(listener);
    Ok(client.sso_exchange(&code, &verifier).await?)
}

/// Whether a browser could show up: on Linux and the BSDs a launcher
/// "succeeds" even without a display (a server over SSH), so the address
/// would not be printed where it is needed.
fn has_display() -> bool {
    if cfg!(any(target_os = "macos", target_os = "windows")) {
        return true;
    }
    ["DISPLAY", "WAYLAND_DISPLAY", "BROWSER"]
        .iter()
        .any(|v| std::env::var_os(v).is_some_and(|x| !x.is_empty()))
}

/// Serves the loopback address until a request brings our state and a code.
async fn wait_for_code(listener: &TcpListener, state: &str) -> CliResult<String> {
    loop {
        let (stream, _) = listener
            .accept()
            .await
            .map_err(|e| failed(format!("cannot accept the browser's connection: {e}")))?;
        // A broken connection is the browser's problem, not a failed sign-in.
        if let Ok(Visit::Code(code)) = visit(stream, state).await {
            return Ok(code);
        }
    }
}

/// Reads one request and answers it.
async fn visit(mut stream: TcpStream, state: &str) -> std::io::Result<Visit> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < MAX_REQUEST {
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))??;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    let head = String::from_utf8_lossy(&buf);
    let target = head
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("GET "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or("");
    let visit = parse_callback(target, state);
    let (status, text) = match &visit {
        Visit::Code(_) => (
            "200 OK",
            "Signed in to Heartlock. You can close this tab and return to the terminal.",
        ),
        Visit::Ignored => (
            "400 Bad Request",
            "This is not the sign-in this terminal is waiting for.",
        ),
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Heartlock</title></head>\
         <body><p>{text}</p></body></html>"
    );
    let resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nReferrer-Policy: no-referrer\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(resp.as_bytes()).await?;
    let _ = stream.shutdown().await;
    Ok(visit)
}

/// `/callback?code=…&state=…` with our state, else ignored.
fn parse_callback(target: &str, state: &str) -> Visit {
    let Ok(url) = url::Url::parse(&format!("http://127.0.0.1{target}")) else {
        return Visit::Ignored;
    };
    if url.path() != PATH {
        return Visit::Ignored;
    }
    let value = |name: &str| {
        url.query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    match (value("code"), value("state")) {
        (Some(code), Some(got)) if !code.is_empty() && token::ct_eq(&got, state) => {
            Visit::Code(code)
        }
        _ => Visit::Ignored,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_url_carries_the_cli_parameters() {
        let url = login_url(
            "http://hl.example:8082/",
            "http://127.0.0.1:5000/callback",
            "ch",
            "st",
        )
        .unwrap();
        assert_eq!(
            url,
            "http://hl.example:8082/oauth/login?cli_redirect=http%3A%2F%2F127.0.0.1%3A5000%2Fcallback&cli_challenge=ch&cli_state=st"
        );
    }

    #[test]
    fn only_our_state_brings_a_code() {
        assert!(matches!(
            parse_callback("/callback?code=hl_cc_x&state=st", "st"),
            Visit::Code(c) if c == "hl_cc_x"
        ));
        for other in [
            "/callback?code=hl_cc_x&state=other",
            "/callback?code=&state=st",
            "/callback?state=st",
            "/favicon.ico",
            "/other?code=hl_cc_x&state=st",
            "",
        ] {
            assert!(
                matches!(parse_callback(other, "st"), Visit::Ignored),
                "{other}"
            );
        }
    }
}
