//! /api/v1/push: the server's application server key and the caller's
//! browser push subscriptions.
use crate::{Client, ClientError, NO_BODY, Page, PageParams};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

/// A subscription as its owner sees it (never its keys).
#[derive(Debug, Clone, Deserialize)]
pub struct PushSubscription {
    pub id: String,
    pub endpoint: String,
    pub service: String,
    pub label: String,
    /// Unix milliseconds.
    pub created_at: i64,
    #[serde(default)]
    pub last_success_at: Option<i64>,
}

#[derive(Deserialize)]
struct PublicKey {
    public_key: String,
}

#[derive(Deserialize)]
struct Queued {
    queued: usize,
}

impl Client {
    /// The VAPID public key (unpadded base64url), for `applicationServerKey`.
    pub async fn push_public_key(&self) -> Result<String, ClientError> {
        let url = self.api(&["push", "public-key"], &[])?;
        let k: PublicKey = self.json(Method::GET, url, NO_BODY, 200).await?;
        Ok(k.public_key)
    }

    /// Subscribes a browser (its endpoint and base64url keys).
    pub async fn subscribe_push(
        &self,
        endpoint: &str,
        p256dh: &str,
        auth: &str,
    ) -> Result<PushSubscription, ClientError> {
        let url = self.api(&["push", "subscriptions"], &[])?;
        let body = json!({ "endpoint": endpoint, "keys": { "p256dh": p256dh, "auth": auth } });
        self.json(Method::POST, url, Some(&body), 201).await
    }

    /// The caller's subscriptions.
    pub async fn list_push_subscriptions(
        &self,
        page: PageParams,
    ) -> Result<Page<PushSubscription>, ClientError> {
        let url = self.api(&["push", "subscriptions"], &page.pairs())?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    /// Removes one of the caller's subscriptions.
    pub async fn delete_push_subscription(&self, id: &str) -> Result<(), ClientError> {
        let url = self.api(&["push", "subscriptions", id], &[])?;
        self.empty(Method::DELETE, url, NO_BODY, 204).await
    }

    /// Queues a test notification to every subscribed browser; how many.
    pub async fn test_push(&self) -> Result<usize, ClientError> {
        let url = self.api(&["push", "subscriptions", "test"], &[])?;
        let q: Queued = self.json(Method::POST, url, NO_BODY, 202).await?;
        Ok(q.queued)
    }
}
