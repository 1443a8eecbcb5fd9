//! /api/v1/projects/{project}/environments/{env}/watch and /api/v1/watches:
//! "notify me" about secret changes in an environment.
use crate::{Client, ClientError, NO_BODY, Page, PageParams};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

/// A watch of one environment.
#[derive(Debug, Clone, Deserialize)]
pub struct Watch {
    pub project: String,
    pub project_name: String,
    pub environment: String,
    pub environment_name: String,
    pub email: bool,
    pub push: bool,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// Whether the caller watches an environment, and how.
#[derive(Debug, Clone, Deserialize)]
pub struct WatchStatus {
    pub watching: bool,
    pub email: bool,
    pub push: bool,
    #[serde(default)]
    pub created_at: Option<i64>,
}

impl Client {
    /// Whether the caller watches `env` of `project`.
    pub async fn watch_status(&self, project: &str, env: &str) -> Result<WatchStatus, ClientError> {
        let url = self.api(&["projects", project, "environments", env, "watch"], &[])?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    /// Watches `env` of `project` through email and/or push.
    pub async fn watch(
        &self,
        project: &str,
        env: &str,
        email: bool,
        push: bool,
    ) -> Result<Watch, ClientError> {
        let url = self.api(&["projects", project, "environments", env, "watch"], &[])?;
        let body = json!({ "email": email, "push": push });
        self.json(Method::PUT, url, Some(&body), 200).await
    }

    /// Stops watching `env` of `project`.
    pub async fn unwatch(&self, project: &str, env: &str) -> Result<(), ClientError> {
        let url = self.api(&["projects", project, "environments", env, "watch"], &[])?;
        self.empty(Method::DELETE, url, NO_BODY, 204).await
    }

    /// The caller's watches.
    pub async fn list_watches(&self, page: PageParams) -> Result<Page<Watch>, ClientError> {
        let url = self.api(&["watches"], &page.pairs())?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }
}
