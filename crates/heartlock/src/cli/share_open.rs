//! `heartlock share open URL`: no sign-in. Reads the share's public
//! information, derives the access value (with the passphrase, when the
//! share has one), reveals (one view) and decrypts locally.
use super::error::{CliError, CliResult, failed, usage};
use super::output::{self, date_ms};
use super::session::client_for;
use super::share_cmd::{PassphraseArgs, prompt};
use clap::Args;
use heartlock_client::ClientError;
use heartlock_core::share::{self, Content, Kdf, Keys, Passphrase};
use serde_json::json;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

/// The one answer for unknown, expired, used up and revoked links.
const GONE: &str = "this link is no longer available";

#[derive(Args)]
pub struct OpenArgs {
    /// The link, `https://…/s/<id>#<key>` (quote it: `#` starts a comment
    /// in some shells).
    link: String,
    /// Where to write the content (a file share goes to its own name in
    /// this folder by default; `-` for standard output).
    #[arg(long, short = 'o', value_name = "PATH")]
    output: Option<PathBuf>,
    #[command(flatten)]
    passphrase: PassphraseArgs,
}

/// Server refusals as the recipient should read them. A 403 is a wrong
/// access value: the passphrase's fault when there is one, else the key's.
fn explain(e: ClientError, has_passphrase: bool) -> CliError {
    match e.status() {
        Some(404) => failed(GONE),
        Some(403) if has_passphrase => {
            failed("wrong passphrase: the link was not used up; try again with the right one")
        }
        Some(403) => failed("the key in the link is wrong: check that the whole link was copied"),
        _ => CliError::Client(e),
    }
}

pub async fn open(a: OpenArgs, json: bool) -> CliResult<()> {
    let link = share::parse_link(&a.link).map_err(|e| usage(e.to_string()))?;
    // Checked before the reveal, which uses a view.
    if let Some(p) = a.output.as_deref().filter(|p| *p != Path::new("-"))
        && p.symlink_metadata().is_ok()
    {
        return Err(usage(format!(
            "{} already exists: not overwriting it",
            p.display()
        )));
    }
    let client = client_for(&link.base)?;
    let info = client
        .share_public(&link.id)
        .await
        .map_err(|e| explain(e, false))?;
    let kdf = match &info.kdf {
        Some(k) => {
            if k.name != share::KDF_NAME {
                return Err(failed(format!(
                    "this link uses a passphrase scheme this version does not know ({})",
                    k.name
                )));
            }
            let salt = k.salt_bytes()?;
            Some(Kdf {
                salt,
                iterations: k.iterations,
            })
        }
        None => None,
    };
    let passphrase = match &kdf {
        Some(_) => Some(ask_passphrase(&a.passphrase)?),
        None => {
            if a.passphrase.passphrase_prompt || a.passphrase.passphrase_file.is_some() {
                eprintln!("heartlock: this link has no passphrase; ignoring the one given");
            }
            None
        }
    };
    let pass = passphrase
        .as_ref()
        .zip(kdf.as_ref())
        .map(|(p, kdf)| Passphrase {
            passphrase: p.as_str(),
            kdf,
        });
    let keys = Keys::derive(&link.key, pass).map_err(|e| failed(e.to_string()))?;
    let revealed = client
        .reveal_share(&link.id, &keys.access())
        .await
        .map_err(|e| explain(e, kdf.is_some()))?;
    let content = keys
        .open(&revealed.ciphertext)
        .map_err(|e| failed(e.to_string()))?;
    let left = match revealed.views_left {
        0 => "the link is now used up".to_string(),
        1 => "the link opens 1 more time".to_string(),
        n => format!("the link opens {n} more times"),
    };
    let written = deliver(&content, a.output.as_deref(), json)?;
    if json {
        let mut v = json!({
            "id": link.id,
            "views_left": revealed.views_left,
            "expires_at": output::json_time(info.expires_at),
        });
        match (&content, &written) {
            (Content::Text(t), None) => {
                v["type"] = json!("text");
                v["text"] = json!(t);
            }
            (Content::Text(_), Some(p)) => {
                v["type"] = json!("text");
                v["path"] = json!(p.display().to_string());
            }
            (Content::File { name, mime, bytes }, p) => {
                v["type"] = json!("file");
                v["name"] = json!(name);
                v["mime"] = json!(mime);
                v["size"] = json!(bytes.len());
                v["path"] = json!(p.as_ref().map(|p| p.display().to_string()));
            }
        }
        return output::json(&v);
    }
    if let Some(p) = written {
        eprintln!(
            "heartlock: wrote {} ({} bytes); {left}",
            p.display(),
            content.bytes().len()
        );
    } else if revealed.views_left > 0 {
        eprintln!("heartlock: {left} (until {})", date_ms(info.expires_at));
    } else {
        eprintln!("heartlock: {left}");
    }
    Ok(())
}

/// The passphrase of a protected share: from the flags, else a prompt on
/// a terminal.
fn ask_passphrase(p: &PassphraseArgs) -> CliResult<zeroize::Zeroizing<String>> {
    if let Some(given) = p.read(false)? {
        return Ok(given);
    }
    if !std::io::stdin().is_terminal() {
        return Err(usage(
            "this link is protected by a passphrase: use --passphrase-file PATH \
             or --passphrase-prompt",
        ));
    }
    let got = prompt("Passphrase: ")?;
    if got.is_empty() {
        return Err(usage("the passphrase is empty"));
    }
    Ok(got)
}

/// Writes the content where it belongs; the path when it went to a file.
/// Text goes to stdout unless --output; a file to --output or its own name
/// (in JSON mode a file needs a path: stdout carries the JSON).
fn deliver(content: &Content, output: Option<&Path>, json: bool) -> CliResult<Option<PathBuf>> {
    let target = match (content, output) {
        (_, Some(p)) if p == Path::new("-") => {
            if json {
                return Err(usage("--output - cannot be used with --json"));
            }
            None
        }
        (_, Some(p)) => Some(p.to_path_buf()),
        (Content::Text(_), None) => None,
        (Content::File { name, .. }, None) => {
            // Checked again: the header's name decides where we write.
            share::validate_name(name).map_err(|e| failed(e.to_string()))?;
            Some(free_name(name)?)
        }
    };
    match &target {
        Some(path) => write_new(path, content.bytes())?,
        None if json => {}
        None => {
            let bytes = content.bytes();
            let mut stdout = std::io::stdout().lock();
            let res = stdout.write_all(bytes).and_then(|()| {
                // A terminal prompt would glue onto text without a newline.
                if std::io::stdout().is_terminal() && !bytes.ends_with(b"\n") {
                    stdout.write_all(b"\n")?;
                }
                stdout.flush()
            });
            match res {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                    return Err(failed(format!("cannot write to standard output: {e}")));
                }
                _ => {}
            }
        }
    }
    Ok(target)
}

/// `name`, or `name.1`, `name.2`… when taken: the view is already used,
/// so the content must land somewhere, and never over an existing file.
fn free_name(name: &str) -> CliResult<PathBuf> {
    let mut path = PathBuf::from(name);
    for n in 1..=100 {
        if path.symlink_metadata().is_err() {
            if n > 1 {
                eprintln!("heartlock: {name} already exists: not overwriting it");
            }
            return Ok(path);
        }
        path = PathBuf::from(format!("{name}.{n}"));
    }
    Err(failed(format!(
        "{name} and its numbered variants all exist"
    )))
}

/// Creates `path` (never overwriting), readable by its owner only.
fn write_new(path: &Path, bytes: &[u8]) -> CliResult<()> {
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            failed(format!(
                "{} already exists: not overwriting it (use --output PATH)",
                path.display()
            ))
        } else {
            failed(format!("cannot create {}: {e}", path.display()))
        }
    })?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| failed(format!("cannot write {}: {e}", path.display())))
}
