//! "You are invited to a project": the message carrying a one-time link,
//! and the sealed outbox row for it.
use super::{Rendered, escape, html_page, is_fr, language, link};
use crate::Domain;
use crate::error::DomainResult;
use crate::mail::{Email, MailContext, base_url, seal, when};
use heartlock_store::NewOutboxMessage;

/// What the message says.
pub struct Invite<'a> {
    pub lang: &'a str,
    /// Who invited (display name and email).
    pub inviter: &'a str,
    pub project: &'a str,
    pub role: &'a str,
    /// The expiry, already formatted.
    pub expires: &'a str,
    pub url: &'a str,
}

pub fn render(i: &Invite<'_>) -> Rendered {
    let (subject, hello, what, act, later, ignore) = if is_fr(i.lang) {
        (
            format!("Invitation au projet {} sur Heartlock", i.project),
            "Bonjour,",
            format!(
                "{} vous invite à rejoindre le projet {} sur Heartlock avec le rôle {}.",
                i.inviter, i.project, i.role
            ),
            "Pour accepter, ouvrez ce lien (il ne sert qu'une fois) :",
            format!("Le lien expire le {}.", i.expires),
            "Si vous n'attendiez pas cette invitation, ignorez ce message.",
        )
    } else {
        (
            format!("Invitation to the {} project on Heartlock", i.project),
            "Hello,",
            format!(
                "{} invites you to join the {} project on Heartlock as {}.",
                i.inviter, i.project, i.role
            ),
            "To accept, open this link (it works once):",
            format!("The link expires on {}.", i.expires),
            "If you did not expect this invitation, ignore this message.",
        )
    };
    let text = format!(
        "{hello}\n\n{what}\n\n{act}\n{}\n\n{later}\n{ignore}\n",
        i.url
    );
    let html = html_page(
        language(i.lang),
        &subject,
        &[
            hello.into(),
            escape(&what),
            format!("{}<br>{}", escape(act), link(i.url)),
            escape(&later),
            escape(ignore),
        ],
    );
    Rendered {
        subject,
        text,
        html,
    }
}

/// What the domain knows when it sends an invitation.
pub(crate) struct Params<'a> {
    pub lang: &'a str,
    pub inviter: &'a str,
    pub project: &'a str,
    pub role: &'a str,
    pub expires_at: i64,
}

/// The invitation message to `to`, sealed for the outbox. `token` is the
/// link's secret: it lives only in the sealed payload.
pub(crate) fn message(
    dom: &Domain,
    ctx: &MailContext,
    to: &str,
    token: &str,
    p: &Params<'_>,
) -> DomainResult<NewOutboxMessage> {
    let url = format!(
        "{}/invite/{token}",
        base_url(dom, ctx).trim_end_matches('/')
    );
    let expires = when(p.expires_at);
    let r = render(&Invite {
        lang: p.lang,
        inviter: p.inviter,
        project: p.project,
        role: p.role,
        expires: &expires,
        url: &url,
    });
    let email = Email {
        from: dom.settings.email.default_from_email.clone(),
        to: to.to_string(),
        subject: r.subject,
        text: r.text,
        html: r.html,
    };
    seal(dom, &email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_carry_the_link_and_escape_names() {
        for lang in ["en", "fr"] {
            let r = render(&Invite {
                lang,
                inviter: "Ann <ann@example.com>",
                project: "payments",
                role: "member",
                expires: "2026-12-08 10:00 UTC",
                url: "https://hl.example.com/invite/hl_inv_abc",
            });
            assert!(r.text.contains("https://hl.example.com/invite/hl_inv_abc"));
            assert!(
                r.html
                    .contains("href=\"https://hl.example.com/invite/hl_inv_abc\"")
            );
            assert!(r.html.contains("Ann &lt;ann@example.com&gt;"));
            assert!(r.html.contains(&format!("lang=\"{lang}\"")));
            assert!(r.subject.contains("payments"));
        }
    }
}
