//! Resolves the server, project, environment and credentials of a command.
//! Precedence: flag > environment variable > `.heartlock.toml` > profile.
use super::args::Target;
use super::error::{CliResult, usage};
use super::profile::{self, Profile};
use super::project_file;
use std::path::PathBuf;

/// A service token from `HEARTLOCK_TOKEN` replaces the login profile.
pub const TOKEN_ENV: &str = "HEARTLOCK_TOKEN";

/// A non-empty environment variable.
pub fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

#[derive(Clone)]
pub struct Context {
    pub server: Option<String>,
    pub project: Option<String>,
    pub environment: Option<String>,
    /// The service token from the environment, if any.
    pub service_token: Option<String>,
    /// The login profile of `server`, if any, and where it lives.
    pub profile: Option<(PathBuf, Profile)>,
}

impl Context {
    pub fn resolve(target: &Target) -> CliResult<Context> {
        let file = project_file::find()?.map(|(_, f)| f).unwrap_or_default();
        let server = match pick(&target.server, "HEARTLOCK_SERVER", &file.server) {
            Some(s) => Some(s),
            None => profile::default_server()?,
        };
        let profile = match &server {
            Some(s) => {
                let path = profile::profile_path(s)?;
                profile::load(&path)?.map(|p| (path, p))
            }
            None => None,
        };
        let from_profile =
            |f: fn(&Profile) -> &Option<String>| profile.as_ref().and_then(|(_, p)| f(p).clone());
        let project = pick(&target.project, "HEARTLOCK_PROJECT", &file.project)
            .or_else(|| from_profile(|p| &p.project));
        let environment = pick(
            &target.environment,
            "HEARTLOCK_ENVIRONMENT",
            &file.environment,
        )
        .or_else(|| from_profile(|p| &p.environment));
        Ok(Context {
            server: server.map(|s| profile::normalize_server(&s)),
            project,
            environment,
            service_token: env_var(TOKEN_ENV),
            profile,
        })
    }

    pub fn server(&self) -> CliResult<&str> {
        self.server.as_deref().ok_or_else(|| {
            usage(
                "no server: use --server, HEARTLOCK_SERVER, `heartlock setup` \
                 or `heartlock login --server URL`",
            )
        })
    }

    pub fn project(&self) -> CliResult<&str> {
        self.project.as_deref().ok_or_else(|| {
            usage("no project: use -p/--project, HEARTLOCK_PROJECT or `heartlock setup`")
        })
    }

    pub fn environment(&self) -> CliResult<&str> {
        self.environment.as_deref().ok_or_else(|| {
            usage(
                "no environment: use -e/--environment, HEARTLOCK_ENVIRONMENT \
                 or `heartlock setup`",
            )
        })
    }
}

fn pick(flag: &Option<String>, env: &str, file: &Option<String>) -> Option<String> {
    flag.clone()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| env_var(env))
        .or_else(|| file.clone().filter(|v| !v.trim().is_empty()))
}
