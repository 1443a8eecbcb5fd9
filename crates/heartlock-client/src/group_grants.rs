//! /api/v1/projects/{project}/group-grants: roles granted to
//! identity-provider groups.
use crate::{Client, ClientError, NO_BODY, Page, PageParams};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

/// A project role granted to everyone in an identity-provider group.
#[derive(Debug, Clone, Deserialize)]
pub struct GroupGrant {
    pub group: String,
    /// `owner`, `admin`, `member` or `viewer`.
    pub role: String,
    /// Slugs of the environments the grant is limited to; `None` for all.
    #[serde(default)]
    pub environments: Option<Vec<String>>,
    /// Unix milliseconds.
    pub created_at: i64,
}

impl Client {
    /// The group grants of a project, by group name.
    pub async fn list_group_grants(
        &self,
        project: &str,
        page: PageParams,
    ) -> Result<Page<GroupGrant>, ClientError> {
        let url = self.api(&["projects", project, "group-grants"], &page.pairs())?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    /// Grants `role` to `group` (or changes its grant), limited to
    /// `environments` (slugs; `None` for every environment).
    pub async fn grant_group(
        &self,
        project: &str,
        group: &str,
        role: &str,
        environments: Option<&[String]>,
    ) -> Result<GroupGrant, ClientError> {
        let url = self.api(&["projects", project, "group-grants"], &[])?;
        let body = json!({ "group": group, "role": role, "environments": environments });
        self.json(Method::POST, url, Some(&body), 200).await
    }

    /// Changes an existing grant's role and environments.
    pub async fn update_group_grant(
        &self,
        project: &str,
        group: &str,
        role: &str,
        environments: Option<&[String]>,
    ) -> Result<GroupGrant, ClientError> {
        let url = self.api(&["projects", project, "group-grants", group], &[])?;
        let body = json!({ "role": role, "environments": environments });
        self.json(Method::PATCH, url, Some(&body), 200).await
    }

    /// Revokes a group's grant.
    pub async fn revoke_group_grant(&self, project: &str, group: &str) -> Result<(), ClientError> {
        let url = self.api(&["projects", project, "group-grants", group], &[])?;
        self.empty(Method::DELETE, url, NO_BODY, 204).await
    }
}
