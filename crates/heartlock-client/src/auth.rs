//! /api/v1/auth: accounts and sessions.
use crate::{Client, ClientError, NO_BODY, PasswordChanged, TokenResponse, User};
use reqwest::Method;
use serde_json::json;

impl Client {
    /// Creates an account (if the server allows registration) and signs in.
    pub async fn register(
        &self,
        email: &str,
        password: &str,
        display_name: Option<&str>,
    ) -> Result<TokenResponse, ClientError> {
        let url = self.api(&["auth", "register"], &[])?;
        let mut body = json!({ "email": email, "password": password });
        if let Some(name) = display_name {
            body["display_name"] = json!(name);
        }
        self.json(Method::POST, url, Some(&body), 201).await
    }

    /// Signs in with email and password. The client's token is not changed:
    /// use [`Client::set_token`] with the returned access token.
    pub async fn login(&self, email: &str, password: &str) -> Result<TokenResponse, ClientError> {
        let url = self.api(&["auth", "login"], &[])?;
        self.json(
            Method::POST,
            url,
            Some(&json!({ "email": email, "password": password })),
            200,
        )
        .await
    }

    /// Redeems the one-time code of a CLI single sign-on (`heartlock login
    /// --sso`) with its PKCE verifier; the same tokens as [`Client::login`].
    pub async fn sso_exchange(
        &self,
        code: &str,
        code_verifier: &str,
    ) -> Result<TokenResponse, ClientError> {
        let url = self.api(&["auth", "sso", "exchange"], &[])?;
        self.json(
            Method::POST,
            url,
            Some(&json!({ "code": code, "code_verifier": code_verifier })),
            200,
        )
        .await
    }

    /// Exchanges a refresh token for new tokens (the old one stops working).
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenResponse, ClientError> {
        let url = self.api(&["auth", "refresh"], &[])?;
        self.json(
            Method::POST,
            url,
            Some(&json!({ "refresh_token": refresh_token })),
            200,
        )
        .await
    }

    /// Ends the current session.
    pub async fn logout(&self) -> Result<(), ClientError> {
        let url = self.api(&["auth", "logout"], &[])?;
        self.empty(Method::POST, url, NO_BODY, 204).await
    }

    /// Changes the password; every other session is signed out.
    pub async fn change_password(
        &self,
        current_password: &str,
        new_password: &str,
    ) -> Result<PasswordChanged, ClientError> {
        let url = self.api(&["auth", "password"], &[])?;
        let body = json!({ "current_password": current_password, "new_password": new_password });
        self.json(Method::POST, url, Some(&body), 200).await
    }

    /// The signed-in user.
    pub async fn me(&self) -> Result<User, ClientError> {
        let url = self.api(&["auth", "me"], &[])?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }
}
