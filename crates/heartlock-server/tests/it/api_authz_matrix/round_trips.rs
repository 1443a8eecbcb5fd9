//! The client against the server beyond the matrix: encodings, and the
//! per-environment limits of a member.
use super::*;

backend_test!(client_round_trip_and_encoding, |backend| async move {
    let w = World::start(backend).await;
    let owner = w.client(Principal::Owner);
    // An odd key is percent-encoded into one segment: the server sees the
    // whole name (and refuses it) instead of routing to another endpoint.
    let err = owner
        .get_secret(PROJECT, ENV, "X/versions")
        .await
        .unwrap_err();
    assert_eq!(
        (err.status(), err.kind()),
        (Some(422), Some("validation")),
        "{err}"
    );
    let err = owner.get_project("no such/project").await.unwrap_err();
    assert_eq!(
        (err.status(), err.kind()),
        (Some(404), Some("not-found")),
        "{err}"
    );
    let err = owner.get_project("..").await.unwrap_err();
    assert!(matches!(err, ClientError::Invalid(_)), "{err:?}");

    // Values survive the round trip; history and compare see them.
    let value = "p@ss word/ü=\"quoted\"\nline two";
    let written = owner
        .put_secret(PROJECT, ENV, "ROUND_TRIP", value, Some("first"))
        .await
        .unwrap();
    assert_eq!((written.key.as_str(), written.version), ("ROUND_TRIP", 1));
    assert_eq!(
        owner
            .get_secret(PROJECT, ENV, "ROUND_TRIP")
            .await
            .unwrap()
            .value,
        value
    );
    let versions = owner
        .secret_versions(PROJECT, ENV, KEY, PageParams::new(1, 1))
        .await
        .unwrap();
    assert_eq!(
        (versions.total, versions.items.len(), versions.per_page),
        (2, 1, 1)
    );
    assert_eq!(versions.items[0].value.as_deref(), Some("second value"));
    let cmp = owner.compare_secret(PROJECT, "ROUND_TRIP").await.unwrap();
    assert!(!cmp.consistent);
    assert_eq!(cmp.environments.iter().filter(|e| e.present).count(), 1);
    let exported: serde_json::Value = serde_json::from_str(
        &owner
            .export_secrets(PROJECT, ENV, Some("json"))
            .await
            .unwrap(),
    )
    .unwrap();
    assert_eq!(exported["ROUND_TRIP"], value);
    let dotenv = owner
        .export_secrets(PROJECT, ENV, Some("dotenv"))
        .await
        .unwrap();
    assert!(dotenv.contains("SHARED_KEY="), "{dotenv}");

    // Search and pagination parameters reach the server.
    let found = owner
        .list_projects(&ProjectQuery {
            q: Some("main".into()),
            page: PageParams::new(1, 10),
        })
        .await
        .unwrap();
    assert_eq!(
        found
            .items
            .iter()
            .map(|p| p.slug.as_str())
            .collect::<Vec<_>>(),
        [PROJECT]
    );
    assert_eq!(found.items[0].role.as_deref(), Some("owner"));

    // A refused write carries problem details and no secret value.
    let err = w
        .client(Principal::Viewer)
        .put_secret(PROJECT, ENV, KEY, "hunter2-never-shown", None)
        .await
        .unwrap_err();
    assert_eq!((err.status(), err.kind()), (Some(403), Some("forbidden")));
    assert!(!err.to_string().contains("hunter2"));
    w.srv.stop().await;
});

backend_test!(member_environments_over_the_api, |backend| async move {
    let w = World::start(backend).await;
    let owner = w.client(Principal::Owner);
    let both = [OTHER_ENV.to_string(), ENV.to_string()];
    let m = owner
        .add_member_in(PROJECT, TARGET, "viewer", Some(&both))
        .await
        .unwrap();
    // Returned in project order.
    assert_eq!(
        m.environments,
        Some(vec![ENV.to_string(), OTHER_ENV.to_string()])
    );
    let listed = owner
        .list_members(PROJECT, PageParams::new(1, 100))
        .await
        .unwrap();
    let limit = |email: &str| {
        let m = listed.items.iter().find(|m| m.email == email).unwrap();
        m.environments.clone()
    };
    assert_eq!(limit(api::LIMITED), Some(vec![ENV.to_string()]));
    assert_eq!(limit("owner@example.com"), None);
    // The limited member lists its environment only.
    let envs = w
        .client(Principal::Limited)
        .list_environments(PROJECT, PageParams::default())
        .await
        .unwrap();
    let slugs: Vec<_> = envs.items.iter().map(|e| e.slug.as_str()).collect();
    assert_eq!(slugs, [ENV]);
    // Unknown slugs, an empty list and a limit on an admin: 422 on the field.
    let nowhere = ["nowhere".to_string()];
    for (role, envs) in [
        ("viewer", &nowhere[..]),
        ("viewer", &[][..]),
        ("admin", &both[..]),
    ] {
        let err = owner
            .add_member_in(PROJECT, TARGET, role, Some(envs))
            .await
            .unwrap_err();
        assert_eq!((err.status(), err.kind()), (Some(422), Some("validation")));
        assert!(err.to_string().contains("environments"), "{err}");
    }
    // Changing the role without a list gives every environment back.
    let m = owner
        .update_member_in(PROJECT, w.user_id(TARGET), "member", None)
        .await
        .unwrap();
    assert_eq!((m.role.as_str(), m.environments), ("member", None));
    w.srv.stop().await;
});
