//! The floor of one secret's cost for bench/run.py: opening a sealed value
//! exactly as the server's export does (`Keyring::open` with the secret
//! version's context, then the UTF-8 check), with no I/O around it.
//!
//! Usage: `fernet-open [N]`; prints `{"opens": N, "ns_per_open": F}`.

use std::hint::black_box;
use std::time::Instant;

use heartlock_core::binding::secret_version_context;
use heartlock_core::crypto::Keyring;

/// Plaintext size of the benchmark's secrets (bench/run.py seeds 100 B values).
const VALUE_LEN: usize = 100;
/// Distinct sealed values cycled through, as an export walks many rows.
const VALUES: usize = 64;

fn main() -> std::process::ExitCode {
    let n: usize = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 200_000,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: fernet-open [N > 0]");
            return std::process::ExitCode::FAILURE;
        }
    };
    match run(n) {
        Ok(ns) => {
            println!("{{\"opens\": {n}, \"ns_per_open\": {ns:.1}}}");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fernet-open: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(n: usize) -> Result<f64, Box<dyn std::error::Error>> {
    let ring = Keyring::parse(&Keyring::generate_key())?;
    let env_id = "0190c7e4-5f2a-7c3b-9d1e-3a4b5c6d7e8f";
    let mut sealed = Vec::with_capacity(VALUES);
    for i in 0..VALUES {
        let version_id = format!("0190c7e4-5f2a-7c3b-9d1e-{i:012x}");
        let key = format!("SECRET_{i:02}");
        let value: String =
            std::iter::repeat_n(char::from(b'a' + (i % 26) as u8), VALUE_LEN).collect();
        let ct = ring.seal(
            &secret_version_context(&version_id, env_id, &key),
            value.as_bytes(),
        )?;
        sealed.push((version_id, key, ct));
    }
    let mut bytes = 0usize;
    let start = Instant::now();
    for i in 0..n {
        let (version_id, key, ct) = &sealed[i % VALUES];
        // The context is built per open, as the server does.
        let ctx = secret_version_context(version_id, env_id, key);
        let opened = ring.open(black_box(&ctx), black_box(ct))?;
        let value = String::from_utf8(opened.plaintext.to_vec())?;
        bytes += black_box(value).len();
    }
    let elapsed = start.elapsed();
    if bytes != n * VALUE_LEN {
        return Err("opened values have the wrong length".into());
    }
    Ok(elapsed.as_nanos() as f64 / n as f64)
}
