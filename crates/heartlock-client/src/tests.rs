//! What can be checked without a server: URL building and problem parsing.
use super::*;

fn client(base: &str) -> Client {
    Client::new(base).expect("valid base")
}

#[test]
fn api_urls_keep_the_base_path_and_encode_segments() {
    let c = client("http://127.0.0.1:8082");
    let u = c
        .api(
            &[
                "projects",
                "my app/x",
                "environments",
                "dev?#%",
                "secrets:batch",
            ],
            &[],
        )
        .expect("url");
    assert_eq!(
        u.as_str(),
        "http://127.0.0.1:8082/api/v1/projects/my%20app%2Fx/environments/dev%3F%23%25/secrets:batch"
    );

    let c = client("https://example.com/heartlock/");
    let u = c.api(&["auth", "me"], &[]).expect("url");
    assert_eq!(u.as_str(), "https://example.com/heartlock/api/v1/auth/me");

    let c = client("https://example.com/heartlock");
    assert_eq!(
        c.url(&["healthz"], &[]).expect("url").as_str(),
        "https://example.com/heartlock/healthz"
    );
}

#[test]
fn query_pairs_are_encoded_and_none_is_left_out() {
    let c = client("http://h:1/");
    let q = [
        ("q", Some("a&b=c d".to_string())),
        ("page", None),
        ("per_page", Some("5".into())),
    ];
    let u = c.api(&["projects"], &q).expect("url");
    assert_eq!(
        u.as_str(),
        "http://h:1/api/v1/projects?q=a%26b%3Dc+d&per_page=5"
    );
    let u = c.api(&["projects"], &[("page", None)]).expect("url");
    assert_eq!(u.query(), None);
}

#[test]
fn dot_and_empty_segments_are_refused() {
    let c = client("http://h:1");
    for bad in ["", ".", ".."] {
        let err = c.api(&["projects", bad], &[]).expect_err("refused");
        assert!(matches!(err, ClientError::Invalid(_)), "{bad:?}: {err:?}");
    }
    // Dots inside a name are ordinary characters.
    assert!(c.api(&["projects", "a..b"], &[]).is_ok());
}

#[test]
fn bad_base_urls_are_refused() {
    for bad in ["", "not a url", "ftp://h/", "mailto:x@y.z", "http://"] {
        assert!(matches!(Client::new(bad), Err(ClientError::Url)), "{bad}");
    }
    let c = client("http://h:1/?x=1#frag");
    assert_eq!(c.base().as_str(), "http://h:1/");
}

#[test]
fn the_token_is_not_in_debug_output() {
    let c = client("http://h:1").with_token("s3cr3t-token");
    assert_eq!(c.token(), Some("s3cr3t-token"));
    assert!(!format!("{c:?}").contains("s3cr3t"));
    let mut c = c;
    c.clear_token();
    assert_eq!(c.token(), None);
    c.set_token("t2");
    assert_eq!(c.token(), Some("t2"));
}

#[test]
fn problem_details_become_problem_errors() {
    let body = br#"{"type":"https://heartlock.dev/problems/not-found","title":"Not found","status":404,"detail":"project not found"}"#;
    let err = problem_from(404, Some("application/problem+json"), body);
    match &err {
        ClientError::Problem {
            status,
            kind,
            title,
            detail,
        } => {
            assert_eq!(
                (*status, kind.as_str(), title.as_str(), detail.as_str()),
                (404, "not-found", "Not found", "project not found")
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.to_string(), "Not found: project not found");
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.kind(), Some("not-found"));

    // Parameters and case in the media type are accepted.
    let err = problem_from(
        401,
        Some("Application/Problem+JSON; charset=utf-8"),
        br#"{"type":"https://x/problems/unauthorized","title":"Authentication required"}"#,
    );
    assert_eq!(err.kind(), Some("unauthorized"));
    assert_eq!(err.to_string(), "Authentication required: status 401");
}

#[test]
fn other_refusals_keep_the_status_but_not_the_body() {
    let err = problem_from(
        502,
        Some("text/html"),
        b"<html>secret-ish proxy page</html>",
    );
    assert_eq!(err.status(), Some(502));
    assert_eq!(err.kind(), Some("unknown"));
    assert!(!err.to_string().contains("proxy page"), "{err}");
    assert!(err.to_string().starts_with("Bad Gateway"), "{err}");

    // Claimed problem+json that is not: same fallback.
    let err = problem_from(500, Some(PROBLEM_JSON), b"not json");
    assert_eq!((err.status(), err.kind()), (Some(500), Some("unknown")));
    let err = problem_from(418, None, b"");
    assert_eq!(err.status(), Some(418));
}

#[test]
fn decode_errors_never_echo_the_document() {
    let err = decode_json::<Secret>(br#"{"key":"K","value":12345678,"version":1,"updated_at":2}"#)
        .expect_err("wrong type");
    assert!(matches!(err, ClientError::Decode(_)));
    assert!(!err.to_string().contains("12345678"), "{err}");
    let err = decode_json::<Secret>(
        br#"{"key":"K","value":"hunter2-value","version":"x","updated_at":2}"#,
    )
    .expect_err("wrong type");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[test]
fn secret_values_are_redacted_in_debug() {
    let s: Secret = decode_json(br#"{"key":"K","value":"hunter2","version":1,"updated_at":2}"#)
        .expect("decodes");
    assert!(!format!("{s:?}").contains("hunter2"));
    let mut b = BatchWrite::default();
    b.set.insert("K".into(), "hunter2".into());
    assert!(!format!("{b:?}").contains("hunter2"));
    let u = NewUser {
        email: "a@b.c".into(),
        password: "hunter2".into(),
        ..Default::default()
    };
    assert!(!format!("{u:?}").contains("hunter2"));
}

#[test]
fn request_bodies_leave_out_unset_fields() {
    // The server denies unknown fields; absent options must not become nulls.
    let p = NewProject {
        name: "App".into(),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_string(&p).expect("json"),
        r#"{"name":"App"}"#
    );
    let u = UserUpdate {
        disabled: Some(true),
        ..Default::default()
    };
    assert_eq!(
        serde_json::to_string(&u).expect("json"),
        r#"{"disabled":true}"#
    );
}
