//! ID tokens Heartlock must refuse, signed (or not) by a provider played by
//! the test: a small discovery document, JWKS and token endpoint serving the
//! ID token each case prepares. The key below exists for this test only.
use crate::common::TestServer;
use axum::Router;
use axum::routing::{get, post};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use heartlock_config::Secret;
use heartlock_store::Backend;
use reqwest::header::LOCATION;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const CLIENT_ID: &str = "heartlock";
const CLIENT_SECRET: &str = "fake-provider-client-secret-0123456789";
const TEST_RSA_KEY: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEAxCws6325Q2LULsar2bSuVoR6oS/fspvoVwX5ClrtwReBggWT
wFdgmyvOC3p+Us813uHQsYC9Ij+UYARQgKGJIXUoVtduhMlvM1QehMfTLxbKzOS/
LdOuIckzLo5Iq1E+28aJ/mWlvPYYX249t2YRY+aBGWKkvlidY0KYleqD071kyghj
5NkxuUxYISbhKRLO6LVuk1s2hDEEDglH4Uo+VdV5nUnr0loxUb/peP3eB7JH4Uuu
vtHfd5uKa6OmTs+QEKQW6OYktnwL7scec9J5orsZOy41LffO124jvMmTzBC3v4sI
yX8fF8yQFGlxyzWEv69hDhNQ8Rw4MglrD5ikcQIDAQABAoIBADMg9GA4N2YJxxWd
8EJgpiOkibWjHaGWovqzctIxGtB9yOJTg8vYujQXOa+iMHRyzy6VGmh5DlJz0b8o
wLaV44DV4TqpEYQIYDQ3k3C2CCO4xAidAfr2tebWYsGakfQcy85KM8MbSRQz6+xL
dkhrkNLBzBoKrLdzrymkvNIt+kfgGsswDCiN0Y3ztl7dXsilBLmWDTxid21RuG18
FE0dp3oYQ4WvKuaj+bQznbPMU6PvZCW96EHNbtw9MlyhE5p5O/A1oHXYaR8Huu0M
8uY0/t9IORpNJ2Spl0vZlQo9Oam/yCUpVwKot89R42z2/J5NKTK2+HjS0mqvDXXX
ZVZUzsUCgYEA8o6e11/TOJ7JKSy0hyeo7eWzEntnlwwW4/ef9Vps1RB0LclPFP6k
mosUBO7ilXicS4X9YLkZKgXnfvao10PdASxOvgH5DxD5qrMW9NfgFAfC5Xo+pw13
C0OlAleAyOBLU5IgTIw3rcybXx5dtjh/Y8V0QDP63rIlE8jLoWdh3O8CgYEAzwt0
eDPhvzIVaShG7F9T4wp9xM3X5icq9cKQcVaH+V0fvzteHzvrLcWHEfH0NGWdgC8X
mcm/HQrE1i3nIHYMy4JlrGt6CqtL8jmET2PdlARnkV9GIIbaLfOKxPxmAS0BLX07
jWdaUdWmgGWH8IydaDbpmBCdhBLKW5D9eVvOVJ8CgYEA08pEV7qMK/w5mYI3f2vZ
zR+r5I9sPC+KLTOisBFsxf2/89q6+pH+GBMoP8Z2ghz2G9u7CiGVH2RYZjvp4UyY
RNXzS2VdmxIvbiVB/jggqFy+iLDc0/Cl6Wf/RLQy9zMhkq8dFLm6RD9LyxowqVNb
qDpY71Zzzs+uIEBLzXr/sHECgYEArM4nwKe01CqOGj2mrGSIFGhOPnN7rjmkrohc
nGwXgzaJZ8e6MCGHkaVarcyfARiK01D6xr3PCANT9FtNnBdLaJQGHll5++uqsJn2
53g3mPHwKzI0yrMi6NVrTixHStXwNLJggQ3xIXpLxMB5LHmAa1nhr6y2e2RfhvtF
xAOu+4sCgYAUyP4AnTdUmt+N8IOAyaxDsv0KISoo4jPt7EMC5ytwcgrJjvVbWtEC
QLVbUXijlS1JZ93DJcM/CEKZoU4xljBcVh7E6A/cYlxDVDaUz2R6zshfFnHGEvCF
XdoFIekSHmfKvOTWXIfHcaAtTCGIEQrnGIGTzrPpYBfX1fnjVKc9sA==
-----END RSA PRIVATE KEY-----";
const TEST_RSA_N: &str = "xCws6325Q2LULsar2bSuVoR6oS_fspvoVwX5ClrtwReBggWTwFdgmyvOC3p-Us813uHQsYC9Ij-UYARQgKGJIXUoVtduhMlvM1QehMfTLxbKzOS_LdOuIckzLo5Iq1E-28aJ_mWlvPYYX249t2YRY-aBGWKkvlidY0KYleqD071kyghj5NkxuUxYISbhKRLO6LVuk1s2hDEEDglH4Uo-VdV5nUnr0loxUb_peP3eB7JH4UuuvtHfd5uKa6OmTs-QEKQW6OYktnwL7scec9J5orsZOy41LffO124jvMmTzBC3v4sIyX8fF8yQFGlxyzWEv69hDhNQ8Rw4MglrD5ikcQ";

/// Builds a case's ID token from the sign-in's nonce.
type MakeToken<'a> = Box<dyn Fn(&str) -> String + 'a>;

/// The provider: the ID token its token endpoint answers with.
struct FakeOp {
    issuer: String,
    id_token: Arc<Mutex<String>>,
}

async fn fake_op() -> FakeOp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let id_token = Arc::new(Mutex::new(String::new()));
    let doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    });
    let jwks = json!({"keys": [{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256", "n": TEST_RSA_N, "e": "AQAB"}]});
    let served = id_token.clone();
    let app = Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(move || async move { axum::Json(doc) }),
        )
        .route("/jwks", get(move || async move { axum::Json(jwks) }))
        .route(
            "/token",
            post(move || async move {
                let t = served.lock().unwrap().clone();
                axum::Json(json!({"access_token": "at", "token_type": "Bearer", "expires_in": 60, "id_token": t}))
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    FakeOp { issuer, id_token }
}

fn sign(header: &jsonwebtoken::Header, claims: &Value, key: &jsonwebtoken::EncodingKey) -> String {
    jsonwebtoken::encode(header, claims, key).unwrap()
}

fn rs256(claims: &Value) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some("k1".into());
    let key = jsonwebtoken::EncodingKey::from_rsa_pem(TEST_RSA_KEY.as_bytes()).unwrap();
    sign(&header, claims, &key)
}

fn unsigned(claims: &Value) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    format!(
        "{}.{}.",
        part(&json!({"alg": "none", "typ": "JWT"})),
        part(claims)
    )
}

fn query_param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .unwrap()
        .1
        .into_owned()
}

/// One sign-in whose token endpoint answers `make(nonce)`; the callback's status.
async fn attempt(srv: &TestServer, op: &FakeOp, make: impl Fn(&str) -> String) -> u16 {
    let b = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = b.get(srv.url("/oauth/login")).send().await.unwrap();
    let auth = r.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(auth.starts_with(&format!("{}/auth?", op.issuer)), "{auth}");
    let (state, nonce) = (query_param(&auth, "state"), query_param(&auth, "nonce"));
    *op.id_token.lock().unwrap() = make(&nonce);
    let cb = srv.url(&format!("/oauth/callback?code=c0de&state={state}"));
    b.get(cb).send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_tokens_that_must_be_refused() {
    let op = fake_op().await;
    let issuer = op.issuer.clone();
    let srv = TestServer::start(Backend::Sqlite, |s| {
        s.oidc.enable = Some(true);
        s.oidc.client_id = Some(CLIENT_ID.into());
        s.oidc.client_secret = Some(Secret::new(CLIENT_SECRET));
        s.oidc.issuer = Some(issuer);
    })
    .await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let claims = |nonce: &str| {
        json!({
            "iss": op.issuer, "aud": CLIENT_ID, "sub": "carol", "iat": now, "exp": now + 300,
            "nonce": nonce, "email": "carol@example.test", "name": "Carol",
        })
    };
    let with = |nonce: &str, key: &str, value: Value| {
        let mut c = claims(nonce);
        c[key] = value;
        c
    };

    // Well-formed: signed in (the harness itself works).
    assert_eq!(attempt(&srv, &op, |n| rs256(&claims(n))).await, 303);

    let bad_signature = |n: &str| {
        let t = rs256(&claims(n));
        let (rest, sig) = t.rsplit_once('.').unwrap();
        let mut sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
        sig[10] ^= 0x01;
        format!("{rest}.{}", URL_SAFE_NO_PAD.encode(sig))
    };
    let hs256_with_client_secret = |n: &str| {
        let key = jsonwebtoken::EncodingKey::from_secret(CLIENT_SECRET.as_bytes());
        sign(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &claims(n),
            &key,
        )
    };
    let cases: Vec<(&str, MakeToken)> = vec![
        ("bad signature", Box::new(bad_signature)),
        ("alg none", Box::new(|n| unsigned(&claims(n)))),
        (
            "HS256 keyed with the client secret",
            Box::new(hs256_with_client_secret),
        ),
        (
            "wrong audience",
            Box::new(|n| rs256(&with(n, "aud", json!("someone-else")))),
        ),
        (
            "wrong issuer",
            Box::new(|n| rs256(&with(n, "iss", json!("http://127.0.0.1:1")))),
        ),
        (
            "wrong nonce",
            Box::new(|n| rs256(&with(n, "nonce", json!("not-the-nonce")))),
        ),
        (
            "no nonce",
            Box::new(|n| {
                let mut c = claims(n);
                c.as_object_mut().unwrap().remove("nonce");
                rs256(&c)
            }),
        ),
        (
            "expired",
            Box::new(|n| rs256(&with(n, "exp", json!(now - 600)))),
        ),
        ("not a token", Box::new(|_| "garbage".to_string())),
    ];
    for (name, make) in &cases {
        let status = attempt(&srv, &op, make).await;
        assert_eq!(status, 403, "{name}");
    }
    // Only the well-formed sign-in created an account.
    let carol = srv
        .store
        .user_by_email("carol@example.test")
        .await
        .unwrap()
        .unwrap();
    assert!(carol.password_hash.is_none());
    srv.stop().await;
}
