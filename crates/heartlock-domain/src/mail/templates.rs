//! Message texts, plain and HTML, in English and French. Every value put
//! into the HTML part is escaped.

pub mod invitation;
pub mod watch;

/// A rendered message, before the addresses are added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// `en` or `fr` (anything else falls back to English).
fn is_fr(lang: &str) -> bool {
    lang.eq_ignore_ascii_case("fr") || lang.to_ascii_lowercase().starts_with("fr-")
}

/// The supported language closest to `lang`.
pub fn language(lang: &str) -> &'static str {
    if is_fr(lang) { "fr" } else { "en" }
}

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn html_page(lang: &str, title: &str, paragraphs: &[String]) -> String {
    let mut body = String::new();
    for p in paragraphs {
        body.push_str("<p>");
        body.push_str(p);
        body.push_str("</p>\n");
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"{lang}\">\n<head><meta charset=\"utf-8\"><title>{}</title></head>\n\
         <body style=\"font-family: sans-serif\">\n{body}</body>\n</html>\n",
        escape(title)
    )
}

fn link(url: &str) -> String {
    let u = escape(url);
    format!("<a href=\"{u}\">{u}</a>")
}

/// "Your password was changed", sent to the account's address.
pub fn password_changed(lang: &str, account: &str, when: &str, base_url: &str) -> Rendered {
    let url = format!("{}/account", base_url.trim_end_matches('/'));
    if is_fr(lang) {
        let subject = "Votre mot de passe Heartlock a été modifié".to_string();
        let text = format!(
            "Bonjour,\n\nLe mot de passe du compte Heartlock {account} a été modifié le {when}.\n\
             Les autres sessions de ce compte ont été fermées.\n\n\
             Si ce n'est pas vous, connectez-vous et changez-le tout de suite, ou prévenez \
             l'administrateur de votre serveur :\n{url}\n"
        );
        let html = html_page(
            "fr",
            &subject,
            &[
                "Bonjour,".into(),
                format!(
                    "Le mot de passe du compte Heartlock <strong>{}</strong> a été modifié le {}. \
                     Les autres sessions de ce compte ont été fermées.",
                    escape(account),
                    escape(when)
                ),
                format!(
                    "Si ce n'est pas vous, connectez-vous et changez-le tout de suite, ou prévenez \
                     l'administrateur de votre serveur : {}",
                    link(&url)
                ),
            ],
        );
        return Rendered {
            subject,
            text,
            html,
        };
    }
    let subject = "Your Heartlock password was changed".to_string();
    let text = format!(
        "Hello,\n\nThe password of the Heartlock account {account} was changed on {when}.\n\
         Every other session of this account was signed out.\n\n\
         If this was not you, sign in and change it at once, or tell your server's \
         administrator:\n{url}\n"
    );
    let html = html_page(
        "en",
        &subject,
        &[
            "Hello,".into(),
            format!(
                "The password of the Heartlock account <strong>{}</strong> was changed on {}. \
                 Every other session of this account was signed out.",
                escape(account),
                escape(when)
            ),
            format!(
                "If this was not you, sign in and change it at once, or tell your server's \
                 administrator: {}",
                link(&url)
            ),
        ],
    );
    Rendered {
        subject,
        text,
        html,
    }
}

/// "New sign-in from a new browser", sent to the account's address.
pub fn new_sign_in(
    lang: &str,
    account: &str,
    when: &str,
    browser: &str,
    ip: &str,
    base_url: &str,
) -> Rendered {
    let url = format!("{}/account", base_url.trim_end_matches('/'));
    let (subject, hello, what, device, advice, off) = if is_fr(lang) {
        (
            "Nouvelle connexion à Heartlock depuis un nouveau navigateur",
            "Bonjour,",
            format!(
                "Le compte Heartlock {account} s'est connecté le {when} depuis un navigateur qu'il n'avait jamais utilisé."
            ),
            format!("Navigateur : {browser}\nAdresse IP : {ip}"),
            "Si c'est vous, il n'y a rien à faire. Sinon, changez votre mot de passe tout de suite \
             et fermez les autres sessions depuis votre compte :",
            "Ces messages se désactivent depuis la page de votre compte.",
        )
    } else {
        (
            "New sign-in to Heartlock from a new browser",
            "Hello,",
            format!(
                "The Heartlock account {account} signed in on {when} from a browser it had never used before."
            ),
            format!("Browser: {browser}\nIP address: {ip}"),
            "If this was you, there is nothing to do. If not, change your password at once and \
             sign out the other sessions from your account:",
            "You can turn these messages off on your account page.",
        )
    };
    let text = format!("{hello}\n\n{what}\n\n{device}\n\n{advice}\n{url}\n\n{off}\n");
    let html = html_page(
        language(lang),
        subject,
        &[
            hello.into(),
            escape(&what),
            escape(&device).replace('\n', "<br>"),
            format!("{} {}", escape(advice), link(&url)),
            escape(off),
        ],
    );
    Rendered {
        subject: subject.to_string(),
        text,
        html,
    }
}

/// The message of `heartlock mail test`.
pub fn test_message(backend: &str) -> Rendered {
    let subject = "Heartlock test message".to_string();
    let text = format!(
        "This is a test message from Heartlock, sent with `heartlock mail test` through: \
         {backend}.\nIf you can read it, email delivery works.\n"
    );
    let html = html_page(
        "en",
        &subject,
        &[
            format!(
                "This is a test message from Heartlock, sent with <code>heartlock mail test</code> \
                 through: {}.",
                escape(backend)
            ),
            "If you can read it, email delivery works.".into(),
        ],
    );
    Rendered {
        subject,
        text,
        html,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_changed_in_both_languages() {
        let en = password_changed("en", "a@x.io", "2026-01-01 10:00 UTC", "https://s.example/");
        assert!(en.text.contains("https://s.example/account"));
        assert!(en.html.contains("href=\"https://s.example/account\""));
        assert!(en.subject.contains("password was changed"));
        let fr = password_changed(
            "fr-FR",
            "a@x.io",
            "2026-01-01 10:00 UTC",
            "https://s.example",
        );
        assert!(fr.subject.contains("mot de passe"));
        assert!(fr.html.contains("lang=\"fr\""));
        assert_eq!(language("de"), "en");
    }

    #[test]
    fn new_sign_in_names_the_browser_and_escapes_it() {
        let en = new_sign_in(
            "en",
            "a@x.io",
            "now",
            "<script>",
            "10.0.0.1",
            "https://s.example",
        );
        assert!(en.subject.contains("new browser"));
        assert!(en.text.contains("Browser: <script>") && en.text.contains("10.0.0.1"));
        assert!(en.html.contains("&lt;script&gt;") && !en.html.contains("<script>"));
        let fr = new_sign_in("fr", "a@x.io", "now", "Firefox", "::1", "https://s.example");
        assert!(fr.subject.contains("nouveau navigateur") && fr.html.contains("lang=\"fr\""));
    }

    #[test]
    fn html_values_are_escaped() {
        let m = password_changed("en", "<b>@x", "now", "https://s.example");
        assert!(m.html.contains("&lt;b&gt;@x"));
        assert!(!m.html.contains("<b>@x"));
    }
}
