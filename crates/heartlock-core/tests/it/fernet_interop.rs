//! Interop with Python's `cryptography` Fernet, both ways (runs python3).
use heartlock_core::Keyring;
use std::process::Command;

fn python(script: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 must be installed (with the cryptography package)");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn a_key_printed_by_python_is_accepted() {
    let key = python(
        "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())",
        &[],
    );
    assert_eq!(key.len(), 44);
    Keyring::parse(&key).expect("Python's key must parse");
}

#[test]
fn heartlock_tokens_decrypt_in_python() {
    let key = Keyring::generate_key();
    let ring = Keyring::parse(&key).unwrap();
    let token = ring.encrypt_raw("héllo = \"world\"\n#x".as_bytes());
    let out = python(
        "import sys; from cryptography.fernet import Fernet; \
         sys.stdout.write(Fernet(sys.argv[1].encode()).decrypt(sys.argv[2].encode()).hex())",
        &[&key, &token],
    );
    assert_eq!(
        hex::decode(out).unwrap(),
        "héllo = \"world\"\n#x".as_bytes()
    );

    // A sealed (row-bound) value is still a plain Fernet token for Python.
    let sealed = ring.seal("secret_version:1", b"v").unwrap();
    let out = python(
        "import sys; from cryptography.fernet import Fernet; \
         sys.stdout.write(Fernet(sys.argv[1].encode()).decrypt(sys.argv[2].encode()).hex())",
        &[&key, &sealed],
    );
    assert!(hex::decode(out).unwrap().ends_with(b"secret_version:1v"));
}

#[test]
fn python_tokens_decrypt_in_heartlock() {
    let key = python(
        "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())",
        &[],
    );
    let token = python(
        "import sys; from cryptography.fernet import Fernet; \
         print(Fernet(sys.argv[1].encode()).encrypt('päss wörd'.encode()).decode())",
        &[&key],
    );
    let ring = Keyring::parse(&key).unwrap();
    let opened = ring.decrypt_raw(&token).unwrap();
    assert_eq!(&*opened.plaintext, "päss wörd".as_bytes());
    // Unpadded form of the same key works too.
    let unpadded = Keyring::parse(key.trim_end_matches('=')).unwrap();
    assert!(unpadded.decrypt_raw(&token).is_ok());
}
