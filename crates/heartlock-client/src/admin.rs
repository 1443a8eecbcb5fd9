//! /api/v1/admin (server administrators) and /api/v1/audit.
use crate::{
    AuditPage, AuditQuery, Client, ClientError, NO_BODY, NewUser, Page, PageParams, User,
    UserUpdate,
};
use reqwest::Method;

impl Client {
    /// Audit events, newest first. Without `project`, server admins see
    /// everything and others the projects they administer. Walk deep pages
    /// with the `next_before` cursor.
    pub async fn list_audit(&self, query: &AuditQuery) -> Result<AuditPage, ClientError> {
        let [page, per_page] = query.page.pairs();
        let pairs = [
            ("project", query.project.clone()),
            ("action", query.action.clone()),
            ("actor_id", query.actor_id.clone()),
            ("outcome", query.outcome.clone()),
            ("since", query.since.map(|v| v.to_string())),
            ("until", query.until.map(|v| v.to_string())),
            ("before", query.before.map(|v| v.to_string())),
            ("after", query.after.map(|v| v.to_string())),
            page,
            per_page,
        ];
        let url = self.api(&["audit"], &pairs)?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    pub async fn list_users(&self, page: PageParams) -> Result<Page<User>, ClientError> {
        let url = self.api(&["admin", "users"], &page.pairs())?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    pub async fn create_user(&self, user: &NewUser) -> Result<User, ClientError> {
        let url = self.api(&["admin", "users"], &[])?;
        self.json(Method::POST, url, Some(user), 201).await
    }

    /// Changes a user's server role or disables the account.
    pub async fn update_user(
        &self,
        user_id: &str,
        update: &UserUpdate,
    ) -> Result<User, ClientError> {
        let url = self.api(&["admin", "users", user_id], &[])?;
        self.json(Method::PATCH, url, Some(update), 200).await
    }
}

/// /api/v1/admin/oidc/ (server administrators): the OIDC settings.
/// `slash` chooses between the documented `/admin/oidc/` and `/admin/oidc`,
/// which the server answers the same.
impl Client {
    fn oidc_url(&self, slash: bool) -> Result<reqwest::Url, ClientError> {
        let mut url = self.api(&["admin", "oidc"], &[])?;
        if slash {
            let path = format!("{}/", url.path());
            url.set_path(&path);
        }
        Ok(url)
    }

    /// Every OIDC setting with its effective value (secret redacted) and source.
    pub async fn oidc_settings(&self, slash: bool) -> Result<serde_json::Value, ClientError> {
        let url = self.oidc_url(slash)?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    /// Replaces the admin-set OIDC values (names left out are removed).
    pub async fn replace_oidc_settings(
        &self,
        slash: bool,
        values: &serde_json::Value,
    ) -> Result<serde_json::Value, ClientError> {
        let url = self.oidc_url(slash)?;
        self.json(Method::PUT, url, Some(values), 200).await
    }

    /// Merges into the admin-set OIDC values (`null` removes one).
    pub async fn update_oidc_settings(
        &self,
        slash: bool,
        changes: &serde_json::Value,
    ) -> Result<serde_json::Value, ClientError> {
        let url = self.oidc_url(slash)?;
        self.json(Method::PATCH, url, Some(changes), 200).await
    }

    /// Removes every admin-set OIDC value.
    pub async fn delete_oidc_settings(&self, slash: bool) -> Result<(), ClientError> {
        let url = self.oidc_url(slash)?;
        self.empty(Method::DELETE, url, NO_BODY, 204).await
    }
}
