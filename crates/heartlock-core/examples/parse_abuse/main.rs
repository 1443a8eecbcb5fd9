//! Times every parser on pathological documents of 1 MiB (the default size
//! limit): each must be refused or parsed in time linear in its size.
//!
//!     cargo run --release -p heartlock-core --example parse_abuse
//!
//! For each document it prints the outcome and time under the default limits,
//! then with the entry and line limits lifted (the size limit is what the
//! documents are made to fit), at 1/4 and full size: with linear parsing the
//! full-size time is about 4x the quarter-size one.

use std::time::{Duration, Instant};

use heartlock_core::formats::{Limits, ParseError, SecretMap, parse_with_limits};

mod inputs;

const SIZE: usize = 1 << 20;
const ROUNDS: u32 = 5;

/// Best of a few runs: the machine is shared, the minimum is the least noisy.
fn time(run: impl Fn() -> String) -> (String, Duration) {
    let mut best = Duration::MAX;
    let mut outcome = String::new();
    for _ in 0..ROUNDS {
        let start = Instant::now();
        outcome = run();
        best = best.min(start.elapsed());
    }
    (outcome, best)
}

fn outcome(result: Result<SecretMap, ParseError>) -> String {
    match result {
        Ok(map) => format!("ok ({} keys)", map.len()),
        Err(e) => {
            let mut text = e.to_string();
            text.truncate(60);
            format!("refused: {text}")
        }
    }
}

fn main() {
    let lifted = Limits {
        max_entries: usize::MAX,
        max_line_bytes: usize::MAX,
        ..Limits::DEFAULT
    };
    let quarter = inputs::cases(SIZE / 4);
    println!(
        "{:<7} {:<26} {:>9} {:>9} {:>9} {:>6}  outcome (default limits)",
        "format", "document", "default", "lifted/4", "lifted", "ratio"
    );
    for (case, small) in inputs::cases(SIZE).into_iter().zip(quarter) {
        let (verdict, default) = time(|| {
            outcome(parse_with_limits(
                case.format,
                &case.input,
                &Limits::DEFAULT,
            ))
        });
        let (_, lifted_small) =
            time(|| outcome(parse_with_limits(small.format, &small.input, &lifted)));
        let (_, lifted_full) =
            time(|| outcome(parse_with_limits(case.format, &case.input, &lifted)));
        let ratio = lifted_full.as_secs_f64() / lifted_small.as_secs_f64().max(1e-9);
        let expected = match case.expect {
            "ok" => verdict.starts_with("ok"),
            part => verdict.contains(part),
        };
        let flag = if expected { "" } else { "UNEXPECTED " };
        println!(
            "{:<7} {:<26} {:>7.2}ms {:>7.2}ms {:>7.2}ms {:>6.1}  {flag}{verdict}",
            case.format.as_str(),
            case.name,
            default.as_secs_f64() * 1e3,
            lifted_small.as_secs_f64() * 1e3,
            lifted_full.as_secs_f64() * 1e3,
            ratio,
        );
    }
}
