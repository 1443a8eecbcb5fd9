//! Run-time server settings (the OIDC admin API's storage); each test runs
//! on SQLite and on PostgreSQL.
use heartlock_core::binding::Binding;
use heartlock_store::{EncryptedColumn, ServerSetting, store_test};

fn plain(name: &str, value: &str) -> ServerSetting {
    ServerSetting {
        name: name.into(),
        value: value.into(),
        sealed: false,
    }
}

store_test!(
    settings_replace_whole_scope_and_bump_the_version,
    |db: heartlock_store::testing::TestDb| async move {
        let store = db.store().await;
        assert_eq!(store.server_settings_version("oidc").await.unwrap(), None);
        assert_eq!(store.server_settings("oidc").await.unwrap(), None);

        let sealed = ServerSetting {
            name: "OIDC_CLIENT_SECRET".into(),
            value: "token-1".into(),
            sealed: true,
        };
        let v1 = store
            .replace_server_settings("oidc", &[plain("OIDC_CLIENT_ID", "a"), sealed.clone()], 10)
            .await
            .unwrap();
        assert_eq!(v1, 1);
        let read = store.server_settings("oidc").await.unwrap().unwrap();
        assert_eq!(read.version, 1);
        assert_eq!(read.settings, vec![plain("OIDC_CLIENT_ID", "a"), sealed]);

        // The sealed value is visible to key rotation, bound to its name.
        let rows = store
            .encrypted_batch(EncryptedColumn::ServerSettingValue, "", 10)
            .await
            .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(
            rows[0].binding,
            Binding::ServerSetting {
                name: "OIDC_CLIENT_SECRET".into()
            }
        );
        assert!(
            store
                .replace_ciphertext(
                    EncryptedColumn::ServerSettingValue,
                    "OIDC_CLIENT_SECRET",
                    "token-1",
                    "token-2"
                )
                .await
                .unwrap()
        );

        // A replacement drops what it does not list; an empty one keeps the
        // scope (version) so "removed by an administrator" is remembered.
        let v2 = store
            .replace_server_settings("oidc", &[plain("OIDC_ISSUER", "https://idp")], 20)
            .await
            .unwrap();
        assert_eq!(v2, 2);
        let read = store.server_settings("oidc").await.unwrap().unwrap();
        assert_eq!(read.settings, vec![plain("OIDC_ISSUER", "https://idp")]);
        let v3 = store
            .replace_server_settings("oidc", &[], 30)
            .await
            .unwrap();
        assert_eq!(v3, 3);
        let read = store.server_settings("oidc").await.unwrap().unwrap();
        assert_eq!((read.version, read.settings.len()), (3, 0));
        assert_eq!(
            store.server_settings_version("oidc").await.unwrap(),
            Some(3)
        );
        assert_eq!(store.server_settings_version("other").await.unwrap(), None);
    }
);
