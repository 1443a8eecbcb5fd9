//! Pathological 1 MiB documents of every kind are refused or parsed, each
//! with the expected outcome. Only outcomes are checked here: timings are
//! noisy on shared machines and live in `examples/parse_abuse`.

use heartlock_core::formats::parse;

#[path = "../../examples/parse_abuse/inputs.rs"]
mod inputs;

#[test]
fn every_pathological_document_gets_its_expected_answer() {
    for case in inputs::cases(1 << 20) {
        assert!(case.input.len() <= 1 << 20, "{}", case.name);
        let result = parse(case.format, &case.input);
        let ok = match (&result, case.expect) {
            (Ok(_), "ok") => true,
            (Err(e), part) => part != "ok" && e.to_string().contains(part),
            (Ok(_), _) => false,
        };
        assert!(
            ok,
            "{} {}: expected {:?}, got {:?}",
            case.format,
            case.name,
            case.expect,
            result.map(|m| m.len())
        );
    }
}
