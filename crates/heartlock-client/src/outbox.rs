//! /api/v1/admin/outbox: the mail outbox (server administrators).
use crate::{Client, ClientError, NO_BODY};
use reqwest::Method;
use serde::Deserialize;

/// One outbox message (its content is never served).
#[derive(Debug, Clone, Deserialize)]
pub struct OutboxMessage {
    pub id: String,
    pub kind: String,
    pub recipient: String,
    /// `pending`, `sent` or `failed`.
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub sent_at: Option<i64>,
    pub failed_at: Option<i64>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
pub struct OutboxCounts {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OutboxList {
    pub counts: OutboxCounts,
    pub messages: Vec<OutboxMessage>,
}

impl Client {
    /// The outbox, newest first; `status` is `pending`, `sent` or `failed`.
    pub async fn list_outbox(&self, status: Option<&str>) -> Result<OutboxList, ClientError> {
        let url = self.api(
            &["admin", "outbox"],
            &[("status", status.map(str::to_string))],
        )?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    /// Share link counts (server administrators): never contents.
    pub async fn share_counts(&self) -> Result<ShareCounts, ClientError> {
        let url = self.api(&["admin", "shares"], &[])?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }
}

/// How many share links are live (server administrators' view).
#[derive(Debug, Clone, Copy, serde::Deserialize, PartialEq, Eq)]
pub struct ShareCounts {
    pub active: i64,
    pub active_anonymous: i64,
    pub views_left: i64,
    pub created_last_24h: i64,
}
