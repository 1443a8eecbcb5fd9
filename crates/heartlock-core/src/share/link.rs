//! Share links: `<base URL>/s/<id>#<base64url(K)>`. The key is only ever in
//! the fragment, which browsers do not send to the server.
use super::{KEY_LEN, LinkKey, ShareError, b64url, b64url_decode_exact};
use url::Url;

/// A parsed share link.
#[derive(Clone)]
pub struct Link {
    /// The server root, without a trailing `/` (a path prefix is kept).
    pub base: String,
    pub id: String,
    pub key: LinkKey,
}

// The key opens the share: never print it.
impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("base", &self.base)
            .field("id", &self.id)
            .field("key", &"<redacted>")
            .finish()
    }
}

/// A share id: 16 to 64 of `[A-Za-z0-9_-]`.
pub fn valid_id(id: &str) -> bool {
    (16..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// The link of share `id` on the server at `base`.
pub fn format_link(base: &str, id: &str, key: &LinkKey) -> Result<String, ShareError> {
    if !valid_id(id) {
        return Err(ShareError::Link("invalid share id"));
    }
    let base = base.trim().trim_end_matches('/');
    let url = Url::parse(base).map_err(|_| ShareError::Link("invalid server URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(ShareError::Link("the server URL must be http(s)://host"));
    }
    Ok(format!("{base}/s/{id}#{}", b64url(key.as_bytes())))
}

/// Reads a link; anything but `http(s)://host[/prefix]/s/<id>#<43 base64url
/// characters>` is refused.
pub fn parse_link(link: &str) -> Result<Link, ShareError> {
    let url = Url::parse(link.trim()).map_err(|_| ShareError::Link("not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(ShareError::Link("a share link starts with http(s)://host"));
    }
    if url.query().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(ShareError::Link("unexpected parts in the link"));
    }
    let fragment = url
        .fragment()
        .ok_or(ShareError::Link("the link has no key (the part after #)"))?;
    if fragment.len() != 43 {
        return Err(ShareError::Link("the key after # is not 43 characters"));
    }
    let key = b64url_decode_exact::<KEY_LEN>(fragment)
        .ok_or(ShareError::Link("the key after # is not base64url"))?;
    let path = url.path();
    let (prefix, id) = path
        .rsplit_once("/s/")
        .ok_or(ShareError::Link("the link's path does not end in /s/<id>"))?;
    if !valid_id(id) {
        return Err(ShareError::Link("invalid share id in the link"));
    }
    let mut root = url.clone();
    root.set_fragment(None);
    root.set_path(prefix);
    let base = root.as_str().trim_end_matches('/').to_string();
    Ok(Link {
        base,
        id: id.to_string(),
        key: LinkKey::from_bytes(key),
    })
}
