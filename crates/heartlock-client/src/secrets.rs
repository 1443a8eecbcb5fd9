//! /api/v1/projects/{project}/environments/{env}/secrets…: versioned secrets.
use crate::{
    BatchWrite, Client, ClientError, Compare, NO_BODY, Page, PageParams, Secret, Version,
    WriteResult, WrittenKey,
};
use reqwest::Method;
use serde_json::json;

impl Client {
    /// Every secret of an environment, with values.
    pub async fn list_secrets(
        &self,
        project: &str,
        env: &str,
        page: PageParams,
    ) -> Result<Page<Secret>, ClientError> {
        let url = self.api(
            &["projects", project, "environments", env, "secrets"],
            &page.pairs(),
        )?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    /// Sets and deletes many keys atomically.
    pub async fn batch_write(
        &self,
        project: &str,
        env: &str,
        batch: &BatchWrite,
    ) -> Result<WriteResult, ClientError> {
        let url = self.api(
            &["projects", project, "environments", env, "secrets:batch"],
            &[],
        )?;
        self.json(Method::POST, url, Some(batch), 200).await
    }

    /// Imports a `dotenv`, `json` or `yaml` document as one atomic write.
    pub async fn import_secrets(
        &self,
        project: &str,
        env: &str,
        format: &str,
        content: &str,
    ) -> Result<WriteResult, ClientError> {
        let url = self.api(
            &["projects", project, "environments", env, "secrets:import"],
            &[],
        )?;
        self.json(
            Method::POST,
            url,
            Some(&json!({ "format": format, "content": content })),
            200,
        )
        .await
    }

    /// The environment as one document (`json` by default; also `dotenv`,
    /// `yaml`, `shell`, `docker`), returned as the raw body.
    pub async fn export_secrets(
        &self,
        project: &str,
        env: &str,
        format: Option<&str>,
    ) -> Result<String, ClientError> {
        let url = self.api(
            &["projects", project, "environments", env, "secrets:export"],
            &[("format", format.map(str::to_string))],
        )?;
        self.text(url).await
    }

    pub async fn get_secret(
        &self,
        project: &str,
        env: &str,
        key: &str,
    ) -> Result<Secret, ClientError> {
        let url = self.api(
            &["projects", project, "environments", env, "secrets", key],
            &[],
        )?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    /// Creates or updates a secret (a new version).
    pub async fn put_secret(
        &self,
        project: &str,
        env: &str,
        key: &str,
        value: &str,
        comment: Option<&str>,
    ) -> Result<WrittenKey, ClientError> {
        let url = self.api(
            &["projects", project, "environments", env, "secrets", key],
            &[],
        )?;
        let mut body = json!({ "value": value });
        if let Some(c) = comment {
            body["comment"] = json!(c);
        }
        self.json(Method::PUT, url, Some(&body), 200).await
    }

    /// Deletes a secret (kept as a version, so it can be rolled back).
    pub async fn delete_secret(
        &self,
        project: &str,
        env: &str,
        key: &str,
        comment: Option<&str>,
    ) -> Result<(), ClientError> {
        let url = self.api(
            &["projects", project, "environments", env, "secrets", key],
            &[("comment", comment.map(str::to_string))],
        )?;
        self.empty(Method::DELETE, url, NO_BODY, 204).await
    }

    /// History of one secret, newest first, values included.
    pub async fn secret_versions(
        &self,
        project: &str,
        env: &str,
        key: &str,
        page: PageParams,
    ) -> Result<Page<Version>, ClientError> {
        let url = self.api(
            &[
                "projects",
                project,
                "environments",
                env,
                "secrets",
                key,
                "versions",
            ],
            &page.pairs(),
        )?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    /// Writes a new version equal to `version`.
    pub async fn rollback_secret(
        &self,
        project: &str,
        env: &str,
        key: &str,
        version: i64,
    ) -> Result<WrittenKey, ClientError> {
        let url = self.api(
            &[
                "projects",
                project,
                "environments",
                env,
                "secrets",
                key,
                "rollback",
            ],
            &[],
        )?;
        self.json(Method::POST, url, Some(&json!({ "version": version })), 200)
            .await
    }

    /// One key across every environment of the project.
    pub async fn compare_secret(&self, project: &str, key: &str) -> Result<Compare, ClientError> {
        let url = self.api(&["projects", project, "secrets", key, "compare"], &[])?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }
}
