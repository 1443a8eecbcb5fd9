//! The floor of one secret's cost for bench/run.py, with no I/O around it:
//! - `ns_per_open`: opening a sealed value as the server's export does
//!   (`Keyring::open_in` into a reused buffer with the context the cache
//!   built once, then the UTF-8 check);
//! - `ns_per_open_reference`: the same value opened with the reference
//!   `fernet` crate (`Fernet::decrypt`), the binding checked and the value
//!   copied out, the context built per open: a plain Fernet open.
//!
//! The two alternate in rounds, so load on the machine hits both alike, and
//! time is this thread's CPU time (from /proc/thread-self/schedstat, in ns),
//! not wall time: on a busy machine the thread waits for a core, which an
//! open does not cost.
//! Usage: `fernet-open [N]`; prints
//! `{"opens": N, "ns_per_open": F, "ns_per_open_reference": F}`.

use std::hint::black_box;

/// This thread's CPU time so far, in ns (the first field of schedstat).
fn cpu_ns() -> Result<u128, Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat")?;
    let first = text.split_whitespace().next().ok_or("empty schedstat")?;
    Ok(first.parse()?)
}

use heartlock_core::binding::secret_version_context;
use heartlock_core::crypto::{Keyring, OpenBuf};

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
        Ok((ns, reference)) => {
            println!(
                "{{\"opens\": {n}, \"ns_per_open\": {ns:.1}, \"ns_per_open_reference\": {reference:.1}}}"
            );
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fernet-open: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

struct Sealed {
    context: String,
    version_id: String,
    key: String,
    ct: String,
}

const ENV_ID: &str = "0190c7e4-5f2a-7c3b-9d1e-3a4b5c6d7e8f";

/// (server ns per open, reference ns per open)
fn run(n: usize) -> Result<(f64, f64), Box<dyn std::error::Error>> {
    let key = Keyring::generate_key();
    let ring = Keyring::parse(&key)?;
    let reference = fernet::Fernet::new(&key).ok_or("bad key")?;
    let mut sealed = Vec::with_capacity(VALUES);
    for i in 0..VALUES {
        let version_id = format!("0190c7e4-5f2a-7c3b-9d1e-{i:012x}");
        let key = format!("SECRET_{i:02}");
        let value: String =
            std::iter::repeat_n(char::from(b'a' + (i % 26) as u8), VALUE_LEN).collect();
        let context = secret_version_context(&version_id, ENV_ID, &key);
        let ct = ring.seal(&context, value.as_bytes())?;
        sealed.push(Sealed {
            context,
            version_id,
            key,
            ct,
        });
    }
    let rounds = 10;
    let per_round = n.div_ceil(rounds);
    let (mut server, mut plain) = (0u128, 0u128);
    let mut buf = OpenBuf::default();
    for _ in 0..rounds {
        let start = cpu_ns()?;
        let mut bytes = 0usize;
        for i in 0..per_round {
            let s = &sealed[i % VALUES];
            let (value, _) = ring.open_in(black_box(&s.context), black_box(&s.ct), &mut buf)?;
            bytes += black_box(std::str::from_utf8(value)?).len();
        }
        server += cpu_ns()? - start;
        check(bytes, per_round)?;

        let start = cpu_ns()?;
        let mut bytes = 0usize;
        for i in 0..per_round {
            let s = &sealed[i % VALUES];
            let ctx = secret_version_context(&s.version_id, ENV_ID, &s.key);
            let payload = reference
                .decrypt(black_box(&s.ct))
                .map_err(|_| "reference decrypt failed")?;
            let value = unbind(&payload, black_box(&ctx)).ok_or("binding mismatch")?;
            bytes += black_box(String::from_utf8(value.to_vec())?).len();
        }
        plain += cpu_ns()? - start;
        check(bytes, per_round)?;
    }
    let opens = (per_round * rounds) as f64;
    Ok((server as f64 / opens, plain as f64 / opens))
}

/// The value after the bound context (`HL1\0`, length, context), if the
/// context matches.
fn unbind<'a>(payload: &'a [u8], context: &str) -> Option<&'a [u8]> {
    let rest = payload.strip_prefix(b"HL1\0")?;
    let (len, rest) = rest.split_at_checked(2)?;
    let (bound, value) =
        rest.split_at_checked(usize::from(u16::from_be_bytes([len[0], len[1]])))?;
    (bound == context.as_bytes()).then_some(value)
}

fn check(bytes: usize, opens: usize) -> Result<(), Box<dyn std::error::Error>> {
    if bytes != opens * VALUE_LEN {
        return Err("opened values have the wrong length".into());
    }
    Ok(())
}
