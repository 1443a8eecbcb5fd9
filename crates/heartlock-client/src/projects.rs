//! /api/v1/projects: projects, environments, members and service tokens.
use crate::{
    Client, ClientError, CreatedToken, Environment, EnvironmentUpdate, Member, NO_BODY, NewProject,
    NewToken, Page, PageParams, Project, ProjectQuery, ProjectUpdate, TokenInfo,
};
use reqwest::Method;
use serde_json::json;

impl Client {
    /// Projects visible to the caller.
    pub async fn list_projects(&self, query: &ProjectQuery) -> Result<Page<Project>, ClientError> {
        let [page, per_page] = query.page.pairs();
        let url = self.api(&["projects"], &[("q", query.q.clone()), page, per_page])?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    /// Creates a project; the caller becomes its owner.
    pub async fn create_project(&self, project: &NewProject) -> Result<Project, ClientError> {
        let url = self.api(&["projects"], &[])?;
        self.json(Method::POST, url, Some(project), 201).await
    }

    pub async fn get_project(&self, project: &str) -> Result<Project, ClientError> {
        let url = self.api(&["projects", project], &[])?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    pub async fn update_project(
        &self,
        project: &str,
        update: &ProjectUpdate,
    ) -> Result<Project, ClientError> {
        let url = self.api(&["projects", project], &[])?;
        self.json(Method::PATCH, url, Some(update), 200).await
    }

    /// Deletes a project with all its environments and secrets.
    pub async fn delete_project(&self, project: &str) -> Result<(), ClientError> {
        let url = self.api(&["projects", project], &[])?;
        self.empty(Method::DELETE, url, NO_BODY, 204).await
    }

    pub async fn list_environments(
        &self,
        project: &str,
        page: PageParams,
    ) -> Result<Page<Environment>, ClientError> {
        let url = self.api(&["projects", project, "environments"], &page.pairs())?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    /// Adds an environment; `name` defaults to the slug.
    pub async fn create_environment(
        &self,
        project: &str,
        slug: &str,
        name: Option<&str>,
    ) -> Result<Environment, ClientError> {
        let url = self.api(&["projects", project, "environments"], &[])?;
        let mut body = json!({ "slug": slug });
        if let Some(name) = name {
            body["name"] = json!(name);
        }
        self.json(Method::POST, url, Some(&body), 201).await
    }

    pub async fn update_environment(
        &self,
        project: &str,
        env: &str,
        update: &EnvironmentUpdate,
    ) -> Result<Environment, ClientError> {
        let url = self.api(&["projects", project, "environments", env], &[])?;
        self.json(Method::PATCH, url, Some(update), 200).await
    }

    /// Deletes an environment and its secrets.
    pub async fn delete_environment(&self, project: &str, env: &str) -> Result<(), ClientError> {
        let url = self.api(&["projects", project, "environments", env], &[])?;
        self.empty(Method::DELETE, url, NO_BODY, 204).await
    }

    pub async fn list_members(
        &self,
        project: &str,
        page: PageParams,
    ) -> Result<Page<Member>, ClientError> {
        let url = self.api(&["projects", project, "members"], &page.pairs())?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    /// Adds a user (by email) with `role`, or changes their role; they
    /// reach every environment.
    pub async fn add_member(
        &self,
        project: &str,
        email: &str,
        role: &str,
    ) -> Result<Member, ClientError> {
        self.add_member_in(project, email, role, None).await
    }

    /// Adds a user (by email) with `role`, or changes their role, limited
    /// to `environments` (slugs; `None` for every environment).
    pub async fn add_member_in(
        &self,
        project: &str,
        email: &str,
        role: &str,
        environments: Option<&[String]>,
    ) -> Result<Member, ClientError> {
        let url = self.api(&["projects", project, "members"], &[])?;
        let body = json!({ "email": email, "role": role, "environments": environments });
        self.json(Method::POST, url, Some(&body), 200).await
    }

    /// Changes a member's role; they then reach every environment.
    pub async fn update_member(
        &self,
        project: &str,
        user_id: &str,
        role: &str,
    ) -> Result<Member, ClientError> {
        self.update_member_in(project, user_id, role, None).await
    }

    /// Changes a member's role and environments (slugs; `None` for all).
    pub async fn update_member_in(
        &self,
        project: &str,
        user_id: &str,
        role: &str,
        environments: Option<&[String]>,
    ) -> Result<Member, ClientError> {
        let url = self.api(&["projects", project, "members", user_id], &[])?;
        let body = json!({ "role": role, "environments": environments });
        self.json(Method::PATCH, url, Some(&body), 200).await
    }

    pub async fn remove_member(&self, project: &str, user_id: &str) -> Result<(), ClientError> {
        let url = self.api(&["projects", project, "members", user_id], &[])?;
        self.empty(Method::DELETE, url, NO_BODY, 204).await
    }

    /// Service tokens of a project, newest first.
    pub async fn list_tokens(
        &self,
        project: &str,
        page: PageParams,
    ) -> Result<Page<TokenInfo>, ClientError> {
        let url = self.api(&["projects", project, "tokens"], &page.pairs())?;
        self.json(Method::GET, url, NO_BODY, 200).await
    }

    /// Creates a service token; the answer holds the token, shown only once.
    pub async fn create_token(
        &self,
        project: &str,
        token: &NewToken,
    ) -> Result<CreatedToken, ClientError> {
        let url = self.api(&["projects", project, "tokens"], &[])?;
        self.json(Method::POST, url, Some(token), 201).await
    }

    pub async fn revoke_token(&self, project: &str, token_id: &str) -> Result<(), ClientError> {
        let url = self.api(&["projects", project, "tokens", token_id], &[])?;
        self.empty(Method::DELETE, url, NO_BODY, 204).await
    }
}
