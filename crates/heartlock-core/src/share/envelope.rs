//! The plaintext of a share: a one-line compact JSON header, `\n`, then the
//! content bytes. Readers fail closed: anything but a version-1 `text` or
//! `file` header with exactly the documented fields is refused.
use super::ShareError;
use serde::{Deserialize, Serialize};

/// The longest file name a header may carry, in characters.
pub const MAX_NAME_CHARS: usize = 255;
/// The longest MIME type a header may carry, in characters.
pub const MAX_MIME_CHARS: usize = 255;
/// A header longer than this is not one we wrote (name and mime are bounded).
const MAX_HEADER_BYTES: usize = 4096;

/// What a share carries.
#[derive(Clone, PartialEq, Eq)]
pub enum Content {
    /// UTF-8 text (a password, a `.env` file).
    Text(String),
    /// A file: its name (no path), an optional MIME type, its bytes.
    File {
        name: String,
        mime: Option<String>,
        bytes: Vec<u8>,
    },
}

// The content is the secret: never print it.
impl std::fmt::Debug for Content {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Content::Text(t) => write!(f, "Text(<{} bytes>)", t.len()),
            Content::File { name, mime, bytes } => f
                .debug_struct("File")
                .field("name", name)
                .field("mime", mime)
                .field("bytes", &format_args!("<{} bytes>", bytes.len()))
                .finish(),
        }
    }
}

impl Content {
    /// The content's own bytes (without the header).
    pub fn bytes(&self) -> &[u8] {
        match self {
            Content::Text(t) => t.as_bytes(),
            Content::File { bytes, .. } => bytes,
        }
    }
}

/// Field order is the wire order (v, type, name, mime), like the browser's.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    v: u64,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    mime: Option<String>,
}

/// Checks a file name: 1 to 255 characters, no path separators, no NUL,
/// not `.` or `..` (a reader may write the file under this name). Counted
/// in UTF-16 units, as the browser's `name.length` does, so that a name
/// one side accepts the other does too.
pub fn validate_name(name: &str) -> Result<(), ShareError> {
    let bad = name.is_empty()
        || name.encode_utf16().count() > MAX_NAME_CHARS
        || name == "."
        || name == ".."
        || name.contains(['/', '\\', '\0']);
    if bad {
        return Err(ShareError::Header(
            "the file name must be 1 to 255 characters without / or \\",
        ));
    }
    Ok(())
}

fn validate_mime(mime: &str) -> Result<(), ShareError> {
    if mime.is_empty()
        || mime.chars().count() > MAX_MIME_CHARS
        || mime.chars().any(char::is_control)
    {
        return Err(ShareError::Header("invalid MIME type"));
    }
    Ok(())
}

/// The envelope of `content`.
pub fn encode(content: &Content) -> Result<Vec<u8>, ShareError> {
    let (header, body) = match content {
        Content::Text(t) => (
            Header {
                v: 1,
                kind: "text".into(),
                name: None,
                mime: None,
            },
            t.as_bytes(),
        ),
        Content::File { name, mime, bytes } => {
            validate_name(name)?;
            if let Some(m) = mime {
                validate_mime(m)?;
            }
            (
                Header {
                    v: 1,
                    kind: "file".into(),
                    name: Some(name.clone()),
                    mime: mime.clone(),
                },
                bytes.as_slice(),
            )
        }
    };
    let mut out =
        serde_json::to_vec(&header).map_err(|_| ShareError::Header("cannot encode the header"))?;
    out.push(b'\n');
    out.extend_from_slice(body);
    Ok(out)
}

/// Reads an envelope.
pub fn decode(plain: &[u8]) -> Result<Content, ShareError> {
    let end = plain
        .iter()
        .take(MAX_HEADER_BYTES + 1)
        .position(|b| *b == b'\n')
        .ok_or(ShareError::Header("no header line"))?;
    let (line, rest) = plain.split_at(end);
    let body = rest.get(1..).unwrap_or_default();
    // The error's text could quote the header: keep only our own message.
    let header: Header = serde_json::from_slice(line)
        .map_err(|_| ShareError::Header("the header does not parse"))?;
    if header.v != 1 {
        return Err(ShareError::Header("unsupported version"));
    }
    match header.kind.as_str() {
        "text" => {
            if header.name.is_some() || header.mime.is_some() {
                return Err(ShareError::Header("a text header has no name or mime"));
            }
            let text = String::from_utf8(body.to_vec())
                .map_err(|_| ShareError::Header("the text is not UTF-8"))?;
            Ok(Content::Text(text))
        }
        "file" => {
            let name = header
                .name
                .ok_or(ShareError::Header("a file header needs a name"))?;
            validate_name(&name)?;
            if let Some(m) = &header.mime {
                validate_mime(m)?;
            }
            Ok(Content::File {
                name,
                mime: header.mime,
                bytes: body.to_vec(),
            })
        }
        _ => Err(ShareError::Header("unsupported content type")),
    }
}
