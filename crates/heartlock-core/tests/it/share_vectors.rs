//! The share format against vectors written by an independent
//! implementation (scripts/peers/share_vectors.py, Python `cryptography`):
//! Rust opens every one and, with the same key, nonce and salt, seals to
//! the same bytes.
use heartlock_core::share::{self, Content, Kdf, LinkKey, Passphrase};
use serde_json::Value;

const VECTORS: &str = include_str!("../share_vectors.json");

fn b64(v: &Value) -> Vec<u8> {
    share::b64url_decode(v.as_str().unwrap()).unwrap()
}

fn content(v: &Value) -> Content {
    match v["type"].as_str().unwrap() {
        "text" => Content::Text(v["text"].as_str().unwrap().into()),
        "file" => Content::File {
            name: v["name"].as_str().unwrap().into(),
            mime: v["mime"].as_str().map(str::to_string),
            bytes: hex::decode(v["bytes_hex"].as_str().unwrap()).unwrap(),
        },
        other => panic!("unknown type {other}"),
    }
}

#[test]
fn rust_opens_and_reproduces_the_python_vectors() {
    let doc: Value = serde_json::from_str(VECTORS).unwrap();
    let vectors = doc["vectors"].as_array().unwrap();
    assert!(vectors.len() >= 5);
    let mut with_passphrase = 0;
    for v in vectors {
        let name = v["name"].as_str().unwrap();
        let key = LinkKey::from_bytes(b64(&v["key"]).try_into().unwrap());
        let nonce: [u8; 12] = b64(&v["nonce"]).try_into().unwrap();
        let kdf = v["kdf"].as_object().map(|k| {
            assert_eq!(k["name"], share::KDF_NAME);
            Kdf {
                salt: b64(&k["salt"]),
                iterations: u32::try_from(k["iterations"].as_u64().unwrap()).unwrap(),
            }
        });
        let passphrase = v["passphrase"].as_str();
        let pass = passphrase
            .zip(kdf.as_ref())
            .map(|(passphrase, kdf)| Passphrase { passphrase, kdf });
        with_passphrase += usize::from(pass.is_some());
        let ciphertext = b64(&v["ciphertext"]);
        let expected = content(&v["content"]);

        let access = share::access_value(&key, pass).unwrap();
        assert_eq!(access.to_vec(), b64(&v["access"]), "{name}: access value");
        assert_eq!(
            share::access_hash(&access),
            v["access_sha256_hex"].as_str().unwrap(),
            "{name}: stored hash"
        );
        assert_eq!(
            share::open(&ciphertext, &key, pass).unwrap(),
            expected,
            "{name}: open"
        );

        let sealed =
            share::seal_with(&expected, key.clone(), &nonce, passphrase.zip(kdf.as_ref())).unwrap();
        assert_eq!(sealed.ciphertext, ciphertext, "{name}: seal");
        assert_eq!(sealed.auth, access, "{name}: seal's access value");
        assert_eq!(sealed.kdf, kdf, "{name}: kdf");
    }
    assert!(with_passphrase >= 1);
}
