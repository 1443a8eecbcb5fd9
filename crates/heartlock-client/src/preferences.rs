//! /api/v1/account/preferences: the signed-in person's message preferences.
use crate::{Client, ClientError, NO_BODY};
use reqwest::Method;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    /// `en` or `fr`; `None`: the language of the request causing a message.
    pub language: Option<String>,
    pub notify_new_sign_in: bool,
}

impl Client {
    pub async fn preferences(&self) -> Result<Preferences, ClientError> {
        let url = self.api(&["account", "preferences"], &[])?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    pub async fn set_preferences(&self, p: &Preferences) -> Result<Preferences, ClientError> {
        let url = self.api(&["account", "preferences"], &[])?;
        self.json(Method::PUT, url, Some(p), 200).await
    }
}
