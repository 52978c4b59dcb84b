//! Files sent in a chat: their ids, names, and how a message that has only files reads to a
//! client that predates them.

use rand::Rng;
use rand::distr::Alphanumeric;

use super::FileKind;
use crate::error::{Error, Result};

/// Longest stored file name, in characters.
pub const MAX_NAME_CHARS: usize = 200;

/// Most files one message may carry.
pub const MAX_PER_MESSAGE: usize = 10;

/// An upload's id: `att_` and 24 random letters and digits, made by the server only.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AttachmentId(String);

impl AttachmentId {
    const PREFIX: &'static str = "att_";
    const RANDOM_LEN: usize = 24;

    pub fn generate() -> Self {
        let suffix: String = rand::rng()
            .sample_iter(&Alphanumeric)
            .take(Self::RANDOM_LEN)
            .map(char::from)
            .collect();
        AttachmentId(format!("{}{suffix}", Self::PREFIX))
    }

    /// An id sent by a client; anything not in the server's own shape is refused as the field
    /// `field`, without saying whether such an upload exists.
    pub fn parse(field: &'static str, raw: &str) -> Result<Self> {
        let well_formed = raw.strip_prefix(Self::PREFIX).is_some_and(|rest| {
            rest.len() == Self::RANDOM_LEN && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        });
        if well_formed {
            Ok(AttachmentId(raw.to_string()))
        } else {
            Err(Error::validation(
                field,
                format!("{field} holds an unknown attachment id"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for AttachmentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The ids a message takes: at most [`MAX_PER_MESSAGE`], each once, in the order sent.
pub fn parse_message_attachments(raw: &[String]) -> Result<Vec<AttachmentId>> {
    if raw.len() > MAX_PER_MESSAGE {
        return Err(Error::validation(
            "attachments",
            format!("a message may carry at most {MAX_PER_MESSAGE} attachments"),
        ));
    }
    let mut ids: Vec<AttachmentId> = Vec::with_capacity(raw.len());
    for r in raw {
        let id = AttachmentId::parse("attachments", r)?;
        if ids.contains(&id) {
            return Err(Error::validation(
                "attachments",
                "an attachment is listed twice",
            ));
        }
        ids.push(id);
    }
    Ok(ids)
}

/// A file name as shown to people: the last path segment, without control characters, trimmed
/// and cut to [`MAX_NAME_CHARS`]; "file" when nothing usable is left. Never used to decide the
/// type or where the bytes are stored.
pub fn clean_file_name(raw: &str, kind: FileKind) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() || cleaned.chars().all(|c| c == '.') {
        format!("file.{}", kind.extension())
    } else {
        cleaned.to_string()
    }
}

/// A stored upload as every answer shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attachment {
    pub id: AttachmentId,
    pub session_id: String,
    pub name: String,
    pub kind: FileKind,
    pub size: u64,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub has_thumbnail: bool,
}

/// The plain text a message with files and no words shows in clients that predate files:
/// "Sent a file: invoice.pdf", "Sent 3 files: a.png, b.png, c.pdf".
pub fn fallback_text(files: &[Attachment]) -> String {
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    match names.as_slice() {
        [] => String::new(),
        [one] => format!("Sent a file: {one}"),
        many => format!("Sent {} files: {}", many.len(), many.join(", ")),
    }
}

/// The kinds a deployment accepts (`ATTACHMENT_TYPES`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedKinds(Vec<FileKind>);

impl Default for AllowedKinds {
    fn default() -> Self {
        AllowedKinds(FileKind::ALL.to_vec())
    }
}

impl AllowedKinds {
    /// A comma-separated list of kinds (`png,jpeg,pdf`, mime types also accepted); an unknown
    /// word is an error naming it.
    pub fn parse(raw: &str) -> std::result::Result<Self, String> {
        let mut kinds = Vec::new();
        for word in raw.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let kind = FileKind::from_token(word).ok_or_else(|| {
                let known: Vec<&str> = FileKind::ALL.iter().map(|k| k.token()).collect();
                format!("unknown type {word:?} (known: {})", known.join(", "))
            })?;
            if !kinds.contains(&kind) {
                kinds.push(kind);
            }
        }
        if kinds.is_empty() {
            return Err("must name at least one type".into());
        }
        Ok(AllowedKinds(kinds))
    }

    pub fn allows(&self, kind: FileKind) -> bool {
        self.0.contains(&kind)
    }

    /// "PNG image, JPEG image, PDF document" for error messages.
    pub fn describe(&self) -> String {
        self.0
            .iter()
            .map(|k| k.label())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn tokens(&self) -> String {
        self.0
            .iter()
            .map(|k| k.token())
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_only_the_servers_shape() {
        let id = AttachmentId::generate();
        assert!(AttachmentId::parse("attachments", id.as_str()).is_ok());
        for bad in [
            "",
            "att_",
            "att_short",
            "msg_1234567890123456789012345",
            "att_../../../etc/passwd000000",
            "att_<script>alert(1)</script>xx",
        ] {
            assert!(
                AttachmentId::parse("attachments", bad).is_err(),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn names_lose_paths_and_control_characters() {
        assert_eq!(
            clean_file_name("C:\\Users\\me\\photo.jpg", FileKind::Jpeg),
            "photo.jpg"
        );
        assert_eq!(
            clean_file_name("../../etc/passwd", FileKind::Text),
            "passwd"
        );
        assert_eq!(clean_file_name("a\u{0}b\nc.txt", FileKind::Text), "abc.txt");
        assert_eq!(clean_file_name("  ", FileKind::Pdf), "file.pdf");
        assert_eq!(clean_file_name("..", FileKind::Png), "file.png");
        assert_eq!(
            clean_file_name(&"x".repeat(500), FileKind::Png)
                .chars()
                .count(),
            MAX_NAME_CHARS
        );
        assert_eq!(
            clean_file_name("<img src=x onerror=alert(1)>.png", FileKind::Png),
            "<img src=x onerror=alert(1)>.png",
            "kept as text, escaped where shown"
        );
    }

    #[test]
    fn a_message_takes_each_file_once_and_not_too_many() {
        let a = AttachmentId::generate().into_string();
        assert!(parse_message_attachments(&[a.clone(), a.clone()]).is_err());
        let many: Vec<String> = (0..=MAX_PER_MESSAGE)
            .map(|_| AttachmentId::generate().into_string())
            .collect();
        assert!(parse_message_attachments(&many).is_err());
        assert_eq!(parse_message_attachments(&many[..3]).unwrap().len(), 3);
    }

    #[test]
    fn fallback_names_the_files() {
        let file = |name: &str| Attachment {
            id: AttachmentId::generate(),
            session_id: "s".into(),
            name: name.into(),
            kind: FileKind::Pdf,
            size: 1,
            width: None,
            height: None,
            has_thumbnail: false,
        };
        assert_eq!(fallback_text(&[file("a.pdf")]), "Sent a file: a.pdf");
        assert_eq!(
            fallback_text(&[file("a.pdf"), file("b.png")]),
            "Sent 2 files: a.pdf, b.png"
        );
    }

    #[test]
    fn allowed_kinds_parse_tokens_and_mime_types() {
        let kinds = AllowedKinds::parse("png, image/jpeg,PDF").unwrap();
        assert!(kinds.allows(FileKind::Jpeg) && kinds.allows(FileKind::Pdf));
        assert!(!kinds.allows(FileKind::Text));
        assert!(AllowedKinds::parse("png,exe").unwrap_err().contains("exe"));
        assert!(AllowedKinds::parse(" , ").is_err());
    }
}
