//! `heartlock gen-vapid` prints what the documented Python generator prints,
//! and `heartlock serve` refuses a VAPID pair whose halves do not match.
use crate::common::run;
use std::process::Command;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn lines(dir: &std::path::Path) -> Vec<(String, String)> {
    let out = run(dir, &[], &["gen-vapid"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn gen_vapid_prints_the_generator_lines_python_reads() {
    let dir = tempfile::tempdir().unwrap();
    let got = lines(dir.path());
    let names: Vec<&str> = got.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        ["VAPID_PUBLIC_KEY", "VAPID_PRIVATE_KEY", "VAPID_SUBJECT"]
    );
    let (public, private) = (&got[0].1, &got[1].1);
    // Padded base64url: 65 bytes → 88 characters, 138 bytes of DER → 184.
    assert_eq!((public.len(), private.len()), (88, 184), "{got:?}");
    assert!(public.ends_with('='));
    assert_eq!(got[2].1, "mailto:admin@example.com");
    // Python's cryptography reads the private key and derives the same point.
    let check = Command::new("python3")
        .args([
            "-c",
            "import base64,sys\n\
             from cryptography.hazmat.primitives.serialization import load_der_private_key, Encoding, PublicFormat\n\
             k = load_der_private_key(base64.urlsafe_b64decode(sys.argv[2]), None)\n\
             p = k.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)\n\
             assert base64.urlsafe_b64encode(p).decode() == sys.argv[1], 'pair mismatch'\n",
            public,
            private,
        ])
        .output()
        .unwrap();
    assert!(check.status.success(), "{}", text(&check.stderr));
}

#[test]
fn serve_refuses_a_mismatched_pair_naming_both_settings() {
    let dir = tempfile::tempdir().unwrap();
    let a = lines(dir.path());
    let b = lines(dir.path());
    let db = format!("sqlite:///{}/h.db", dir.path().display());
    let out = run(
        dir.path(),
        &[
            ("DEBUG", "true"),
            ("DATABASE_URL", &db),
            ("VAPID_PUBLIC_KEY", &a[0].1),
            ("VAPID_PRIVATE_KEY", &b[1].1),
        ],
        &["serve"],
    );
    assert_ne!(out.status.code(), Some(0));
    let err = text(&out.stderr);
    assert!(
        err.contains("VAPID_PUBLIC_KEY") && err.contains("VAPID_PRIVATE_KEY"),
        "{err}"
    );
    assert!(!err.contains(&b[1].1), "the private key is never printed");
}
