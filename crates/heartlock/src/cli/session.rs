//! An authenticated client: a service token, or a login profile whose
//! access token is refreshed when it expires or the server answers 401.
use super::context::Context;
use super::error::{CliError, CliResult, usage};
use super::paths::now_secs;
use super::profile::{self, Profile};
use heartlock_client::{Client, ClientError, Page, PageParams};
use std::path::PathBuf;

pub struct Session {
    pub client: Client,
    pub server: String,
    /// Set when signed in through a profile (so a 401 can refresh).
    profile: Option<(PathBuf, Profile)>,
}

/// A client for `server`, with a clear message for a bad URL.
pub fn client_for(server: &str) -> CliResult<Client> {
    Client::new(server).map_err(|e| match e {
        ClientError::Url => usage(format!(
            "invalid server URL {server:?}: expected http(s)://host[:port]"
        )),
        other => CliError::Client(other),
    })
}

impl Session {
    /// A session from the service token, else the login profile.
    pub async fn open(ctx: &Context) -> CliResult<Session> {
        let server = ctx.server()?.to_string();
        let client = client_for(&server)?;
        if let Some(token) = &ctx.service_token {
            return Ok(Session {
                client: client.with_token(token.clone()),
                server,
                profile: None,
            });
        }
        let Some((path, prof)) = ctx.profile.clone() else {
            return Err(usage(format!(
                "not logged in to {server}: run `heartlock login --server {server}` \
                 or set HEARTLOCK_TOKEN"
            )));
        };
        let mut session = Session {
            client: client.with_token(prof.access_token.clone()),
            server,
            profile: Some((path, prof)),
        };
        if !session
            .profile
            .as_ref()
            .is_some_and(|(_, p)| p.access_fresh(now_secs()))
        {
            session.refresh().await?;
        }
        Ok(session)
    }

    /// Runs one API call, refreshing the session and retrying once on 401.
    pub async fn call<T>(
        &mut self,
        f: impl AsyncFn(&Client) -> Result<T, ClientError>,
    ) -> CliResult<T> {
        match f(&self.client).await {
            Err(e) if e.status() == Some(401) && self.profile.is_some() => {
                self.refresh().await?;
                Ok(f(&self.client).await?)
            }
            other => Ok(other?),
        }
    }

    /// Every page of a list.
    pub async fn call_all<T>(
        &mut self,
        f: impl AsyncFn(&Client, PageParams) -> Result<Page<T>, ClientError>,
    ) -> CliResult<Vec<T>> {
        let mut all = Vec::new();
        for page in 1u32.. {
            let params = PageParams::new(page, 500);
            let got = self.call(async |c| f(c, params).await).await?;
            let done = got.items.is_empty()
                || i64::try_from(all.len() + got.items.len()).unwrap_or(i64::MAX) >= got.total;
            all.extend(got.items);
            if done {
                break;
            }
        }
        Ok(all)
    }

    /// Gets a new access token with the profile's refresh token, under the
    /// profile lock, and saves the rotated refresh token atomically.
    async fn refresh(&mut self) -> CliResult<()> {
        let Some((path, mine)) = &self.profile else {
            return Ok(());
        };
        let path = path.clone();
        let _lock = profile::lock(&path)?;
        let Some(mut current) = profile::load(&path)? else {
            return Err(usage(format!(
                "not logged in to {}: run `heartlock login`",
                self.server
            )));
        };
        // Another command may have refreshed while we waited for the lock.
        if current.access_token != mine.access_token && current.access_fresh(now_secs()) {
            self.client.set_token(current.access_token.clone());
            self.profile = Some((path, current));
            return Ok(());
        }
        let fresh = client_for(&self.server)?
            .refresh(&current.refresh_token)
            .await?;
        current.access_token = fresh.access_token;
        current.access_expires_at = fresh.expires_at;
        current.refresh_token = fresh.refresh_token;
        current.refresh_expires_at = fresh.refresh_expires_at;
        profile::save(&path, &current)?;
        self.client.set_token(current.access_token.clone());
        self.profile = Some((path, current));
        Ok(())
    }
}
