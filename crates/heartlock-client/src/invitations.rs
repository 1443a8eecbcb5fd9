//! /api/v1/projects/{project}/invitations and /api/v1/invitations/accept:
//! inviting email addresses to a project. The link's token is never in an
//! answer (it goes by email only).
use crate::{Client, ClientError, NO_BODY, Page, PageParams, User};
use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

/// A pending invitation.
#[derive(Debug, Clone, Deserialize)]
pub struct Invitation {
    pub id: String,
    pub email: String,
    /// `owner`, `admin`, `member` or `viewer`.
    pub role: String,
    /// Slugs of the environments the membership will be limited to; `None` for all.
    #[serde(default)]
    pub environments: Option<Vec<String>>,
    /// `en` or `fr`.
    pub language: String,
    /// Unix milliseconds.
    pub expires_at: i64,
    pub expired: bool,
    pub created_at: i64,
    #[serde(default)]
    pub last_sent_at: Option<i64>,
    #[serde(default)]
    pub invited_by: Option<String>,
}

/// What an invitation asks for.
#[derive(Debug, Clone, Default)]
pub struct NewInvitation {
    pub email: String,
    pub role: String,
    /// Environment slugs; `None` for every environment.
    pub environments: Option<Vec<String>>,
    /// `en` or `fr`; `None` lets the server choose.
    pub language: Option<String>,
}

/// What accepting did.
#[derive(Debug, Clone, Deserialize)]
pub struct AcceptedInvitation {
    pub project: String,
    pub role: String,
    pub account_created: bool,
    pub user: User,
}

impl Client {
    /// The pending invitations of a project, newest first.
    pub async fn list_invitations(
        &self,
        project: &str,
        page: PageParams,
    ) -> Result<Page<Invitation>, ClientError> {
        let url = self.api(&["projects", project, "invitations"], &page.pairs())?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    /// Invites an email address; the server mails the link.
    pub async fn invite(
        &self,
        project: &str,
        new: &NewInvitation,
    ) -> Result<Invitation, ClientError> {
        let url = self.api(&["projects", project, "invitations"], &[])?;
        let body = json!({
            "email": new.email,
            "role": new.role,
            "environments": new.environments,
            "language": new.language,
        });
        self.json(Method::POST, url, Some(&body), 201).await
    }

    /// Sends an invitation again with a new link.
    pub async fn resend_invitation(
        &self,
        project: &str,
        id: &str,
    ) -> Result<Invitation, ClientError> {
        let url = self.api(&["projects", project, "invitations", id, "resend"], &[])?;
        self.json(Method::POST, url, NO_BODY, 200).await
    }

    /// Revokes an invitation.
    pub async fn revoke_invitation(&self, project: &str, id: &str) -> Result<(), ClientError> {
        let url = self.api(&["projects", project, "invitations", id], &[])?;
        self.empty(Method::DELETE, url, NO_BODY, 204).await
    }

    /// Accepts the invitation of link token `token`: as the signed-in
    /// account, or (without credentials) creating one with `password`.
    pub async fn accept_invitation(
        &self,
        token: &str,
        password: Option<&str>,
        display_name: Option<&str>,
    ) -> Result<AcceptedInvitation, ClientError> {
        let url = self.api(&["invitations", "accept"], &[])?;
        let body = json!({ "token": token, "password": password, "display_name": display_name });
        self.json(Method::POST, url, Some(&body), 200).await
    }
}
