//! "Secrets changed in an environment you watch": the email and the push
//! texts, in English and French. Names only (who, which keys, where), never
//! a value; every name is escaped in the HTML part.
use super::{Rendered, escape, html_page, is_fr, link};

/// How the secrets changed (from the audit action of the write).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum How {
    Wrote,
    Imported,
    RolledBack,
}

/// One changed key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyChange {
    pub key: String,
    pub deleted: bool,
}

/// What a watcher is told.
#[derive(Debug, Clone)]
pub struct ChangeNotice<'a> {
    /// Who made the change (a person's name and address, or a token's name).
    pub who: &'a str,
    pub how: How,
    pub project: &'a str,
    pub environment: &'a str,
    /// The first keys, by name (the rest counted in `more`).
    pub keys: &'a [KeyChange],
    pub more: usize,
    /// The environment's page.
    pub url: &'a str,
    /// The account page, where watches are stopped.
    pub account_url: &'a str,
}

fn key_line(k: &KeyChange, fr: bool) -> String {
    match (k.deleted, fr) {
        (false, _) => k.key.clone(),
        (true, false) => format!("{} (deleted)", k.key),
        (true, true) => format!("{} (supprimée)", k.key),
    }
}

fn more_line(more: usize, fr: bool) -> Option<String> {
    (more > 0).then(|| {
        if fr {
            format!("… et {more} de plus")
        } else {
            format!("… and {more} more")
        }
    })
}

fn count(n: &ChangeNotice<'_>) -> usize {
    n.keys.len() + n.more
}

/// The subject of the email and the title of the push.
fn title(n: &ChangeNotice<'_>, fr: bool) -> String {
    let c = count(n);
    match (fr, c) {
        (false, 1) => format!("1 secret changed in {} / {}", n.project, n.environment),
        (false, c) => format!("{c} secrets changed in {} / {}", n.project, n.environment),
        (true, 1) => format!("1 secret modifié dans {} / {}", n.project, n.environment),
        (true, c) => format!(
            "{c} secrets modifiés dans {} / {}",
            n.project, n.environment
        ),
    }
}

fn what(n: &ChangeNotice<'_>, fr: bool) -> &'static str {
    match (n.how, fr) {
        (How::Wrote, false) => "changed",
        (How::Imported, false) => "imported",
        (How::RolledBack, false) => "rolled back",
        (How::Wrote, true) => "a modifié",
        (How::Imported, true) => "a importé",
        (How::RolledBack, true) => "a restauré une version de",
    }
}

/// The email to a watcher.
pub fn secrets_changed(lang: &str, n: &ChangeNotice<'_>) -> Rendered {
    let fr = is_fr(lang);
    let subject = title(n, fr);
    let mut lines: Vec<String> = n.keys.iter().map(|k| key_line(k, fr)).collect();
    lines.extend(more_line(n.more, fr));
    let list_text: String = lines.iter().map(|l| format!("  - {l}\n")).collect();
    let list_html: String = lines
        .iter()
        .map(|l| format!("<li><code>{}</code></li>", escape(l)))
        .collect();
    let (hello, intro, open, stop) = if fr {
        (
            "Bonjour,",
            format!(
                "{} {} dans {} / {} :",
                n.who,
                what(n, fr),
                n.project,
                n.environment
            ),
            "Voir l'environnement :",
            "Vous recevez ce message parce que vous suivez cet environnement. Pour arrêter :",
        )
    } else {
        (
            "Hello,",
            format!(
                "{} {} in {} / {}:",
                n.who,
                what(n, fr),
                n.project,
                n.environment
            ),
            "See the environment:",
            "You get this message because you watch this environment. To stop:",
        )
    };
    let text = format!(
        "{hello}\n\n{intro}\n{list_text}\n{open}\n{}\n\n{stop}\n{}\n",
        n.url, n.account_url
    );
    let intro_html = if fr {
        format!(
            "<strong>{}</strong> {} dans <strong>{} / {}</strong> :",
            escape(n.who),
            escape(what(n, fr)),
            escape(n.project),
            escape(n.environment)
        )
    } else {
        format!(
            "<strong>{}</strong> {} in <strong>{} / {}</strong>:",
            escape(n.who),
            escape(what(n, fr)),
            escape(n.project),
            escape(n.environment)
        )
    };
    let html = html_page(
        if fr { "fr" } else { "en" },
        &subject,
        &[
            hello.into(),
            format!(
                "{intro_html}</p>\n<ul>{list_html}</ul>\n<p>{} {}",
                open,
                link(n.url)
            ),
            format!("{} {}", escape(stop), link(n.account_url)),
        ],
    );
    Rendered {
        subject,
        text,
        html,
    }
}

/// The push notification's title and body (short: system notifications
/// show a few lines).
pub fn secrets_changed_push(lang: &str, n: &ChangeNotice<'_>) -> (String, String) {
    let fr = is_fr(lang);
    let mut names: Vec<String> = n.keys.iter().take(5).map(|k| key_line(k, fr)).collect();
    let rest = count(n).saturating_sub(names.len());
    names.extend(more_line(rest, fr));
    let body = format!("{} {}: {}", n.who, what(n, fr), names.join(", "));
    (title(n, fr), body)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> Vec<KeyChange> {
        vec![
            KeyChange {
                key: "API_KEY".into(),
                deleted: false,
            },
            KeyChange {
                key: "OLD".into(),
                deleted: true,
            },
        ]
    }

    fn notice<'a>(keys: &'a [KeyChange], who: &'a str) -> ChangeNotice<'a> {
        ChangeNotice {
            who,
            how: How::Imported,
            project: "shop",
            environment: "production",
            keys,
            more: 3,
            url: "https://s.example/projects/shop",
            account_url: "https://s.example/account",
        }
    }

    #[test]
    fn lists_names_and_counts_the_rest() {
        let k = keys();
        let en = secrets_changed("en", &notice(&k, "Ann <a@x.io>"));
        assert_eq!(en.subject, "5 secrets changed in shop / production");
        assert!(en.text.contains("  - API_KEY\n"));
        assert!(en.text.contains("OLD (deleted)"));
        assert!(en.text.contains("and 3 more"));
        assert!(en.html.contains("Ann &lt;a@x.io&gt;"));
        assert!(!en.html.contains("<a@x.io>"));
        let fr = secrets_changed("fr", &notice(&k, "Ann"));
        assert!(fr.subject.contains("modifiés"));
        assert!(fr.text.contains("et 3 de plus"));
        let (t, b) = secrets_changed_push("en", &notice(&k, "Ann"));
        assert!(t.contains("shop / production"));
        assert!(b.starts_with("Ann imported: API_KEY"));
    }
}
