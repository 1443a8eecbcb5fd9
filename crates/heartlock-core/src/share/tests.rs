#![allow(clippy::unwrap_used, clippy::expect_used)]
use super::*;

/// Small on purpose: the format does not depend on the count.
const FAST: u32 = 1000;

fn kdf() -> Kdf {
    Kdf {
        salt: vec![9u8; SALT_LEN],
        iterations: FAST,
    }
}

fn sealed_text(text: &str, pass: Option<(&str, &Kdf)>) -> Sealed {
    seal_with(
        &Content::Text(text.into()),
        LinkKey::generate(),
        &[1u8; NONCE_LEN],
        pass,
    )
    .unwrap()
}

/// Encrypts a raw envelope (to test what a reader does with odd headers).
fn seal_raw(key: &LinkKey, plain: &[u8]) -> Vec<u8> {
    let keys = Keys::derive(key, None).unwrap();
    let cipher = Aes256Gcm::new_from_slice(keys.encryption.as_ref()).unwrap();
    let nonce = [3u8; NONCE_LEN];
    let mut out = nonce.to_vec();
    out.extend(
        cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: LABEL,
                },
            )
            .unwrap(),
    );
    out
}

#[test]
fn text_and_file_round_trip() {
    let s = seal(&Content::Text("hunter2\n".into()), None, 0).unwrap();
    assert!(s.kdf.is_none());
    assert_eq!(
        open(&s.ciphertext, &s.key, None).unwrap(),
        Content::Text("hunter2\n".into())
    );
    let file = Content::File {
        name: "id_ed25519".into(),
        mime: Some("application/octet-stream".into()),
        bytes: (0..=255u8).collect(),
    };
    let s = seal(&file, None, 0).unwrap();
    assert_eq!(open(&s.ciphertext, &s.key, None).unwrap(), file);
    // Fresh randomness each time.
    let t = seal(&file, None, 0).unwrap();
    assert_ne!(s.key.as_bytes(), t.key.as_bytes());
    assert_ne!(s.ciphertext, t.ciphertext);
}

#[test]
fn seal_checks_iterations_and_sets_a_salt() {
    let c = Content::Text("x".into());
    assert_eq!(
        seal(&c, Some("pw"), MIN_ITERATIONS - 1).unwrap_err(),
        ShareError::Iterations
    );
    assert_eq!(
        seal(&c, Some("pw"), MAX_ITERATIONS + 1).unwrap_err(),
        ShareError::Iterations
    );
    assert_eq!(
        seal(&c, Some(""), MIN_ITERATIONS).unwrap_err(),
        ShareError::EmptyPassphrase
    );
    let s = seal(&c, Some("pw"), MIN_ITERATIONS).unwrap();
    let k = s.kdf.clone().unwrap();
    assert_eq!((k.salt.len(), k.iterations), (SALT_LEN, MIN_ITERATIONS));
    let p = Passphrase {
        passphrase: "pw",
        kdf: &k,
    };
    assert_eq!(access_value(&s.key, Some(p)).unwrap(), s.auth);
    assert_eq!(open(&s.ciphertext, &s.key, Some(p)).unwrap(), c);
}

#[test]
fn every_flipped_byte_is_refused() {
    let s = sealed_text("a secret value", None);
    for i in 0..s.ciphertext.len() {
        let mut bad = s.ciphertext.clone();
        bad[i] ^= 0x01;
        assert_eq!(open(&bad, &s.key, None).unwrap_err(), ShareError::Decrypt);
    }
    let truncated = &s.ciphertext[..s.ciphertext.len() - 1];
    assert_eq!(
        open(truncated, &s.key, None).unwrap_err(),
        ShareError::Decrypt
    );
    assert_eq!(
        open(&[0u8; 27], &s.key, None).unwrap_err(),
        ShareError::Decrypt
    );
    let other = LinkKey::generate();
    assert_eq!(
        open(&s.ciphertext, &other, None).unwrap_err(),
        ShareError::Decrypt
    );
}

#[test]
fn wrong_passphrase_gives_another_access_value_and_cannot_open() {
    let k = kdf();
    let s = sealed_text("db password", Some(("right one", &k)));
    let wrong = Passphrase {
        passphrase: "wrong one",
        kdf: &k,
    };
    let right = Passphrase {
        passphrase: "right one",
        kdf: &k,
    };
    assert_ne!(access_value(&s.key, Some(wrong)).unwrap(), s.auth);
    assert_eq!(access_value(&s.key, Some(right)).unwrap(), s.auth);
    assert_eq!(
        open(&s.ciphertext, &s.key, Some(wrong)).unwrap_err(),
        ShareError::Decrypt
    );
    // Without the passphrase neither the access value nor the key match.
    assert_ne!(access_value(&s.key, None).unwrap(), s.auth);
    assert_eq!(
        open(&s.ciphertext, &s.key, None).unwrap_err(),
        ShareError::Decrypt
    );
    // Another salt or count is another passphrase.
    let other = Kdf {
        salt: vec![8u8; SALT_LEN],
        iterations: FAST,
    };
    let p = Passphrase {
        passphrase: "right one",
        kdf: &other,
    };
    assert_ne!(access_value(&s.key, Some(p)).unwrap(), s.auth);
}

#[test]
fn passphrases_are_compared_after_nfc() {
    let k = kdf();
    let s = sealed_text("v", Some(("caf\u{e9}", &k)));
    let decomposed = Passphrase {
        passphrase: "cafe\u{301}",
        kdf: &k,
    };
    assert_eq!(access_value(&s.key, Some(decomposed)).unwrap(), s.auth);
}

#[test]
fn hostile_kdf_parameters_are_refused() {
    let key = LinkKey::generate();
    let short = Kdf {
        salt: vec![1; 8],
        iterations: FAST,
    };
    let huge = Kdf {
        salt: vec![1; SALT_LEN],
        iterations: MAX_ITERATIONS + 1,
    };
    for k in [&short, &huge] {
        let p = Passphrase {
            passphrase: "x",
            kdf: k,
        };
        assert!(access_value(&key, Some(p)).is_err());
    }
}

#[test]
fn unexpected_headers_are_refused() {
    let key = LinkKey::generate();
    let cases: &[&[u8]] = &[
        b"no header line at all",
        b"not json\nx",
        b"{\"v\":2,\"type\":\"text\"}\nx",
        b"{\"v\":1.0,\"type\":\"text\"}\nx",
        b"{\"v\":\"1\",\"type\":\"text\"}\nx",
        b"{\"type\":\"text\"}\nx",
        b"{\"v\":1,\"type\":\"link\"}\nx",
        b"{\"v\":1,\"type\":\"text\",\"extra\":true}\nx",
        b"{\"v\":1,\"type\":\"text\",\"type\":\"file\"}\nx",
        b"{\"v\":1,\"type\":\"text\",\"name\":\"a\"}\nx",
        b"{\"v\":1,\"type\":\"text\"}\n\xff\xfe",
        b"{\"v\":1,\"type\":\"file\"}\nx",
        b"{\"v\":1,\"type\":\"file\",\"name\":\"../etc/passwd\"}\nx",
        b"{\"v\":1,\"type\":\"file\",\"name\":\"a\\\\b\"}\nx",
        b"{\"v\":1,\"type\":\"file\",\"name\":\"..\"}\nx",
        b"{\"v\":1,\"type\":\"file\",\"name\":\"\"}\nx",
        b"[1]\nx",
    ];
    for plain in cases {
        let sealed = seal_raw(&key, plain);
        let err = open(&sealed, &key, None).unwrap_err();
        assert!(
            matches!(err, ShareError::Header(_)),
            "{:?} gave {err:?}",
            String::from_utf8_lossy(plain)
        );
    }
    // 128 astral characters are 256 UTF-16 units: too long for the browser.
    let emoji = format!(
        "{{\"v\":1,\"type\":\"file\",\"name\":\"{}\"}}\nx",
        "😀".repeat(128)
    );
    let sealed = seal_raw(&key, emoji.as_bytes());
    assert!(matches!(
        open(&sealed, &key, None).unwrap_err(),
        ShareError::Header(_)
    ));
    let long = format!(
        "{{\"v\":1,\"type\":\"file\",\"name\":\"{}\"}}\nx",
        "a".repeat(256)
    );
    let sealed = seal_raw(&key, long.as_bytes());
    assert!(matches!(
        open(&sealed, &key, None).unwrap_err(),
        ShareError::Header(_)
    ));
    // The writer refuses what a reader would refuse.
    let bad = Content::File {
        name: "a/b".into(),
        mime: None,
        bytes: vec![],
    };
    assert!(matches!(
        seal(&bad, None, 0).unwrap_err(),
        ShareError::Header(_)
    ));
}

#[test]
fn accepted_headers_read_as_expected() {
    let key = LinkKey::generate();
    let sealed = seal_raw(
        &key,
        b"{\"type\":\"file\",\"v\":1,\"mime\":null,\"name\":\"a b.txt\"}\n\n",
    );
    assert_eq!(
        open(&sealed, &key, None).unwrap(),
        Content::File {
            name: "a b.txt".into(),
            mime: None,
            bytes: b"\n".to_vec()
        }
    );
    let sealed = seal_raw(&key, b"{\"v\":1,\"type\":\"text\"}\n");
    assert_eq!(
        open(&sealed, &key, None).unwrap(),
        Content::Text(String::new())
    );
}

#[test]
fn links_format_and_parse() {
    let key = LinkKey::from_bytes([7u8; KEY_LEN]);
    let id = "AbCdEfGhIjKlMnOp_-12";
    let link = format_link("https://vault.example.com/", id, &key).unwrap();
    assert_eq!(
        link,
        format!("https://vault.example.com/s/{id}#{}", key.to_b64url())
    );
    assert_eq!(key.to_b64url().len(), 43);
    let parsed = parse_link(&link).unwrap();
    assert_eq!(parsed.base, "https://vault.example.com");
    assert_eq!(parsed.id, id);
    assert_eq!(parsed.key.as_bytes(), key.as_bytes());

    let prefixed = format_link("http://127.0.0.1:8082/heartlock", id, &key).unwrap();
    let parsed = parse_link(&format!("  {prefixed}\n")).unwrap();
    assert_eq!(parsed.base, "http://127.0.0.1:8082/heartlock");

    assert!(format_link("https://h", "short", &key).is_err());
    assert!(format_link("ftp://h", id, &key).is_err());
}

#[test]
fn bad_links_are_refused() {
    let k = LinkKey::from_bytes([7u8; KEY_LEN]).to_b64url();
    let id = "AbCdEfGhIjKlMnOp";
    let bad = [
        format!("https://h/s/{id}"),
        format!("https://h/s/{id}#"),
        format!("https://h/s/{id}#{}", &k[..42]),
        format!("https://h/s/{id}#{k}A"),
        format!("https://h/s/{id}#{}", k.replace(&k[..1], "+")),
        format!("https://h/s/{id}?x=1#{k}"),
        format!("https://h/x/{id}#{k}"),
        format!("https://h/s/short#{k}"),
        format!("https://h/s/{id}/more#{k}"),
        format!("https://h/s/{id}.x#{k}"),
        format!("https://u:p@h/s/{id}#{k}"),
        format!("ftp://h/s/{id}#{k}"),
        format!("/s/{id}#{k}"),
        "not a link".to_string(),
    ];
    for link in bad {
        assert!(parse_link(&link).is_err(), "{link} was accepted");
    }
    // 43 characters whose last one carries bits past the 32 bytes.
    let mut noncanonical = k.clone();
    noncanonical.pop();
    noncanonical.push('9');
    assert!(parse_link(&format!("https://h/s/{id}#{noncanonical}")).is_err());
}

#[test]
fn debug_output_hides_secrets() {
    let k = kdf();
    let s = sealed_text("topsecretvalue", Some(("pw", &k)));
    let shown = format!("{s:?} {:?}", s.key);
    assert!(!shown.contains(&s.key.to_b64url()));
    assert!(!shown.contains(&format!("{:?}", s.key.as_bytes())));
    let c = Content::Text("topsecretvalue".into());
    assert!(!format!("{c:?}").contains("topsecretvalue"));
    let link = parse_link(&format!(
        "https://h/s/AbCdEfGhIjKlMnOp#{}",
        s.key.to_b64url()
    ))
    .unwrap();
    assert!(!format!("{link:?}").contains(&s.key.to_b64url()));
}
