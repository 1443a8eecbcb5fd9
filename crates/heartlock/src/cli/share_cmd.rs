//! `heartlock share` (create a one-time link), `share open | list | revoke`.
//! The value is sealed here (heartlock_core::share, docs/shares.md) and the
//! link key stays in the printed link: the server never sees it.
use super::args::{Output, Target};
use super::context::Context;
use super::error::{CliResult, failed, usage};
use super::output::{self, Table, date_ms};
use super::session::Session;
use super::share_open;
use clap::{Args, Subcommand};
use heartlock_client::{NewShare, ShareKdf, ShareSource};
use heartlock_core::share::{self, Content};
use serde_json::json;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ShareArgs {
    #[command(flatten)]
    target: Target,
    #[command(flatten)]
    out: Output,
    #[command(flatten)]
    create: CreateArgs,
    #[command(subcommand)]
    cmd: Option<ShareCommand>,
}

/// Creating a share (`heartlock share` without a subcommand).
#[derive(Args)]
struct CreateArgs {
    /// Share this file (its name travels encrypted with it).
    #[arg(long, value_name = "PATH", conflicts_with = "secret")]
    file: Option<PathBuf>,
    /// Share this secret of the current project and environment.
    #[arg(long, value_name = "KEY")]
    secret: Option<String>,
    /// How long the link works: 30m, 2h, 7d… (the server's default: 24h).
    #[arg(long, value_name = "DURATION", value_parser = parse_expires)]
    expires: Option<i64>,
    /// How many times the link opens (1 to 100; default 1).
    #[arg(long, value_parser = clap::value_parser!(i64).range(1..=100))]
    views: Option<i64>,
    #[command(flatten)]
    passphrase: PassphraseArgs,
    /// A note only you see in `share list` (not encrypted: no secrets here).
    #[arg(long, value_name = "TEXT")]
    label: Option<String>,
}

/// Where a passphrase comes from.
#[derive(Args, Clone, Default)]
pub struct PassphraseArgs {
    /// Ask for a passphrase (the recipient needs it too).
    #[arg(long, conflicts_with = "passphrase_file")]
    pub passphrase_prompt: bool,
    /// Read the passphrase from this file (its first line).
    #[arg(long, value_name = "PATH")]
    pub passphrase_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum ShareCommand {
    /// Open a share link: no sign-in needed. Text goes to standard output,
    /// a file to --output (or its own name in this folder).
    Open(share_open::OpenArgs),
    /// Your active share links (never their content).
    List,
    /// Revoke one of your links (its content is deleted at once).
    Revoke {
        /// The share's id (or its link).
        id: String,
    },
}

pub async fn run(args: ShareArgs) -> CliResult<()> {
    let json = args.out.json;
    match args.cmd {
        Some(ShareCommand::Open(a)) => share_open::open(a, json).await,
        Some(ShareCommand::List) => list(&args.target, json).await,
        Some(ShareCommand::Revoke { id }) => revoke(&args.target, &id, json).await,
        None => create(&args.target, args.create, json).await,
    }
}

/// `30m`, `2h`, `7d` (anything humantime reads) as whole seconds.
fn parse_expires(s: &str) -> Result<i64, String> {
    let bad = || format!("invalid duration {s:?}: use for example 30m, 2h or 7d");
    let d = humantime::parse_duration(s.trim()).map_err(|_| bad())?;
    if d.subsec_nanos() != 0 || d.as_secs() == 0 {
        return Err(bad());
    }
    i64::try_from(d.as_secs()).map_err(|_| bad())
}

async fn create(target: &Target, a: CreateArgs, json: bool) -> CliResult<()> {
    let ctx = Context::resolve(target)?;
    // Everything local first: a bad file or a mistyped passphrase costs no request.
    let local = match (&a.file, &a.secret) {
        (Some(path), _) => Some(read_file(path)?),
        (None, Some(_)) => None,
        (None, None) => Some(read_stdin()?),
    };
    let passphrase = a.passphrase.read(true)?;
    let mut s = Session::open(&ctx).await?;
    let (content, source) = match (local, &a.secret) {
        (Some(c), _) => (c, None),
        (None, Some(key)) => {
            let (project, env) = (ctx.project()?, ctx.environment()?);
            // Asked first: a refused share should not read (and audit) the value.
            if !s.call(async |c| c.project_sharing(project).await).await? {
                return Err(failed(format!(
                    "the admins of {project} do not allow share links for its secrets"
                )));
            }
            let secret = s
                .call(async |c| c.get_secret(project, env, key).await)
                .await?;
            let source = ShareSource {
                project: project.to_string(),
                environment: env.to_string(),
                key: Some(key.clone()),
            };
            (Content::Text(secret.value.clone()), Some(source))
        }
        (None, None) => return Err(usage("nothing to share")),
    };
    let sealed = share::seal(
        &content,
        passphrase.as_ref().map(|p| p.as_str()),
        share::DEFAULT_ITERATIONS,
    )
    .map_err(|e| failed(e.to_string()))?;
    let new = NewShare {
        ciphertext: sealed.ciphertext.clone(),
        auth: sealed.auth.to_vec(),
        expires_in_secs: a.expires,
        views: a.views,
        kdf: sealed
            .kdf
            .as_ref()
            .map(|k| ShareKdf::new(&k.salt, k.iterations)),
        label: a.label,
        source,
    };
    let created = s.call(async |c| c.create_share(&new).await).await?;
    let link = share::format_link(&s.server, &created.id, &sealed.key)
        .map_err(|e| failed(e.to_string()))?;
    if json {
        return output::json(&json!({
            "id": created.id,
            "link": link,
            "expires_at": output::json_time(created.expires_at),
            "views": created.views_allowed,
            "passphrase": sealed.kdf.is_some(),
        }));
    }
    output::out(&format!("{link}\n"))?;
    let views = match created.views_allowed {
        1 => "opens once".to_string(),
        n => format!("opens {n} times"),
    };
    eprintln!(
        "heartlock: the link {views} and expires at {}{}",
        date_ms(created.expires_at),
        if sealed.kdf.is_some() {
            "; the recipient needs the passphrase too (send it another way)"
        } else {
            ""
        }
    );
    Ok(())
}

/// A file to share: its bytes and its name (without the folders).
fn read_file(path: &Path) -> CliResult<Content> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| usage(format!("{} has no usable file name", path.display())))?
        .to_string();
    share::validate_name(&name)
        .map_err(|_| usage(format!("cannot share a file named {name:?}")))?;
    let bytes =
        std::fs::read(path).map_err(|e| usage(format!("cannot read {}: {e}", path.display())))?;
    Ok(Content::File {
        name,
        mime: None,
        bytes,
    })
}

/// The value from standard input, exactly (refused when empty, and when
/// stdin is a terminal: a typed value would echo and land in scrollback).
fn read_stdin() -> CliResult<Content> {
    if std::io::stdin().is_terminal() {
        return Err(usage(
            "pipe the value to share into standard input \
             (`heartlock share < value.txt`), or use --file PATH or --secret KEY",
        ));
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| usage(format!("cannot read standard input: {e}")))?;
    if bytes.is_empty() {
        return Err(usage(
            "standard input is empty: nothing to share (or use --file PATH or --secret KEY)",
        ));
    }
    let text = String::from_utf8(bytes)
        .map_err(|_| usage("standard input is not UTF-8 text: share it with --file PATH"))?;
    Ok(Content::Text(text))
}

impl PassphraseArgs {
    /// The passphrase from the file or the prompt (asked twice when
    /// `confirm`), or `None` when neither flag is given.
    pub fn read(&self, confirm: bool) -> CliResult<Option<Zeroizing<String>>> {
        if let Some(path) = &self.passphrase_file {
            let raw = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                usage(format!(
                    "cannot read the passphrase file {}: {e}",
                    path.display()
                ))
            })?);
            let line = raw.lines().next().unwrap_or_default();
            if line.is_empty() {
                return Err(usage("the passphrase file's first line is empty"));
            }
            return Ok(Some(Zeroizing::new(line.to_string())));
        }
        if !self.passphrase_prompt {
            return Ok(None);
        }
        let first = prompt("Passphrase: ")?;
        if first.is_empty() {
            return Err(usage("the passphrase is empty"));
        }
        if confirm && *prompt("Passphrase again: ")? != *first {
            return Err(usage("the passphrases do not match"));
        }
        Ok(Some(first))
    }
}

/// A hidden prompt on the terminal.
pub fn prompt(text: &str) -> CliResult<Zeroizing<String>> {
    rpassword::prompt_password(text)
        .map(Zeroizing::new)
        .map_err(|e| {
            usage(format!(
                "cannot ask for the passphrase ({e}): use --passphrase-file PATH"
            ))
        })
}

async fn list(target: &Target, json: bool) -> CliResult<()> {
    let ctx = Context::resolve(target)?;
    let mut s = Session::open(&ctx).await?;
    let shares = s.call_all(async |c, p| c.list_shares(p).await).await?;
    if json {
        let list: Vec<_> = shares
            .iter()
            .map(|x| {
                json!({
                    "id": x.id, "label": x.label, "views_allowed": x.views_allowed,
                    "views_left": x.views_left, "expires_at": output::json_time(x.expires_at),
                    "created_at": output::json_time(x.created_at), "passphrase": x.passphrase,
                    "size": x.size, "source": x.source,
                })
            })
            .collect();
        return output::json(&json!(list));
    }
    let mut t = Table::new(&[
        "ID",
        "LABEL",
        "VIEWS LEFT",
        "EXPIRES",
        "PASSPHRASE",
        "SOURCE",
    ]);
    for x in shares {
        let source = x.source.map_or_else(
            || "-".to_string(),
            |s| {
                format!(
                    "{}/{}/{}",
                    s.project,
                    s.environment,
                    s.key.unwrap_or_default()
                )
            },
        );
        t.row(vec![
            x.id,
            x.label.unwrap_or_else(|| "-".into()),
            format!("{}/{}", x.views_left, x.views_allowed),
            date_ms(x.expires_at),
            if x.passphrase { "yes" } else { "no" }.into(),
            source,
        ]);
    }
    t.print()
}

async fn revoke(target: &Target, id: &str, json: bool) -> CliResult<()> {
    // A pasted link works too (its id is all that is sent).
    let id = match share::parse_link(id) {
        Ok(link) => link.id,
        Err(_) if share::valid_id(id) => id.to_string(),
        Err(_) => return Err(usage("expected a share id or link")),
    };
    let id = id.as_str();
    let ctx = Context::resolve(target)?;
    let mut s = Session::open(&ctx).await?;
    s.call(async |c| c.revoke_share(id).await).await?;
    if json {
        return output::json(&json!({ "revoked": id }));
    }
    output::out(&format!("revoked {id}\n"))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn durations_read_as_seconds() {
        assert_eq!(parse_expires("30m"), Ok(1800));
        assert_eq!(parse_expires("2h"), Ok(7200));
        assert_eq!(parse_expires("7d"), Ok(7 * 86_400));
        assert_eq!(parse_expires("1h 30m"), Ok(5400));
        assert_eq!(parse_expires("1.5h"), Ok(5400));
        for bad in ["", "0s", "2", "soon", "-1h", "1500ms"] {
            let err = parse_expires(bad).unwrap_err();
            assert!(err.contains("30m, 2h or 7d"), "{bad}: {err}");
        }
    }

    #[test]
    fn creating_needs_no_subcommand_and_subcommands_take_their_flags() {
        use clap::Parser;
        #[derive(Parser)]
        struct T {
            #[command(flatten)]
            a: ShareArgs,
        }
        let t = T::try_parse_from(["t", "--views", "3", "--expires", "2h"]).unwrap();
        assert!(t.a.cmd.is_none());
        assert_eq!(
            (t.a.create.views, t.a.create.expires),
            (Some(3), Some(7200))
        );
        let t = T::try_parse_from(["t", "list", "--json"]).unwrap();
        assert!(matches!(t.a.cmd, Some(ShareCommand::List)) && t.a.out.json);
        let t = T::try_parse_from(["t", "open", "https://h/s/x#k", "-o", "f"]).unwrap();
        assert!(matches!(t.a.cmd, Some(ShareCommand::Open(_))));
        // Creation flags do not mix with a subcommand.
        assert!(T::try_parse_from(["t", "--views", "2", "list"]).is_err());
        assert!(T::try_parse_from(["t", "--file", "a", "--secret", "B"]).is_err());
        assert!(T::try_parse_from(["t", "--passphrase-prompt", "--passphrase-file", "p"]).is_err());
    }
}
