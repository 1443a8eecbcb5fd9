//! What a cell of the web authorization matrix must answer, and how an
//! answer is shown in the matrix.
use super::web::Reply;

/// What a cell must answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// This status (and no redirect).
    Status(u16),
    /// 303 to the login page, with `?next=` to come back.
    Login,
    /// 303 to exactly this location (a trailing `*`: starting with it).
    See(&'static str),
}

impl Expect {
    pub fn matches(self, r: &Reply) -> bool {
        match self {
            Expect::Status(s) => r.status == s && r.location.is_empty(),
            Expect::Login => r.status == 303 && r.location.starts_with("/login?next="),
            Expect::See(to) => {
                r.status == 303
                    && match to.strip_suffix('*') {
                        Some(prefix) => r.location.starts_with(prefix),
                        None => r.location == to,
                    }
            }
        }
    }

    /// Whether the form was allowed to do its work.
    pub fn allowed(self) -> bool {
        match self {
            Expect::Status(s) => (200..300).contains(&s),
            Expect::Login => false,
            Expect::See(_) => true,
        }
    }

    pub fn short(self) -> String {
        match self {
            Expect::Status(s) => s.to_string(),
            Expect::Login => "login".into(),
            Expect::See(_) => "303".into(),
        }
    }
}

/// The page's `<title>`, to tell an error page from the page wanted.
pub fn title(html: &str) -> String {
    let Some(start) = html.find("<title>") else {
        return String::new();
    };
    let rest = &html[start + 7..];
    let end = rest.find("</title>").unwrap_or(rest.len());
    format!(" \"{}\"", rest[..end].trim())
}

pub fn short(r: &Reply) -> String {
    if r.status == 303 && r.location.starts_with("/login?next=") {
        "login".into()
    } else {
        r.status.to_string()
    }
}
