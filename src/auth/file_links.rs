//! Signed, expiring links to attachments. An `<img src>` cannot send a bearer token, so the
//! link itself carries the permission: an HMAC of the file, which variant (full or thumbnail)
//! and the expiry, under a key only the server knows.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::clock::Clock;
use crate::domain::Timestamp;
use crate::domain::attachment::Attachment;

type HmacSha256 = Hmac<Sha256>;

/// How long a link works, at least.
pub const LINK_LIFETIME_SECS: i64 = 3600;
/// Expiries are rounded up to this step, so the same file has the same link for a while and a
/// browser's cache keeps working across polls and redraws.
const EXPIRY_STEP_SECS: i64 = 600;

/// Which bytes of an attachment a link names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileVariant {
    Original,
    Thumbnail,
}

impl FileVariant {
    fn tag(self) -> &'static str {
        match self {
            FileVariant::Original => "file",
            FileVariant::Thumbnail => "thumb",
        }
    }
}

/// Makes and checks file links.
#[derive(Clone)]
pub struct FileLinks {
    key: Vec<u8>,
    clock: Clock,
}

impl FileLinks {
    /// `secret` is the server's own secret; the key is derived from it for this one use.
    pub fn new(secret: &[u8], clock: Clock) -> Self {
        let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes any key length");
        mac.update(b"frontdesk file links v1");
        FileLinks {
            key: mac.finalize().into_bytes().to_vec(),
            clock,
        }
    }

    fn signature(&self, id: &str, variant: FileVariant, expires: i64) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(format!("{id}\n{}\n{expires}", variant.tag()).as_bytes());
        mac
    }

    /// `/files/<id>?exp=..&sig=..` (or `/files/<id>/thumb?..`), valid for an hour or a little more.
    pub fn url(&self, attachment: &Attachment, variant: FileVariant) -> String {
        let now_secs = self.clock.now().0.div_euclid(1000);
        let expires = (now_secs + LINK_LIFETIME_SECS).div_euclid(EXPIRY_STEP_SECS)
            * EXPIRY_STEP_SECS
            + EXPIRY_STEP_SECS;
        let sig = hex(&self
            .signature(attachment.id.as_str(), variant, expires)
            .finalize()
            .into_bytes());
        let path = match variant {
            FileVariant::Original => format!("/files/{}", attachment.id),
            FileVariant::Thumbnail => format!("/files/{}/thumb", attachment.id),
        };
        format!("{path}?exp={expires}&sig={sig}")
    }

    /// The thumbnail's link, when the file has one.
    pub fn thumbnail_url(&self, attachment: &Attachment) -> Option<String> {
        attachment
            .has_thumbnail
            .then(|| self.url(attachment, FileVariant::Thumbnail))
    }

    /// True when `sig` signs this file and variant with an expiry that has not passed. The
    /// comparison takes the same time whatever the signature.
    pub fn verify(&self, id: &str, variant: FileVariant, expires: i64, sig: &str) -> bool {
        let now = self.clock.now();
        if Timestamp(expires.saturating_mul(1000)) <= now {
            return false;
        }
        let Some(sig) = unhex(sig) else {
            return false;
        };
        self.signature(id, variant, expires)
            .verify_slice(&sig)
            .is_ok()
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(64), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(raw: &str) -> Option<Vec<u8>> {
    if raw.len() != 64 || !raw.is_ascii() {
        return None;
    }
    (0..raw.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&raw[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::FileKind;
    use crate::domain::attachment::AttachmentId;

    fn file() -> Attachment {
        Attachment {
            id: AttachmentId::generate(),
            session_id: "s".into(),
            name: "a.png".into(),
            kind: FileKind::Png,
            size: 3,
            width: Some(1),
            height: Some(1),
            has_thumbnail: true,
        }
    }

    fn parts(url: &str) -> (i64, String) {
        let query = url.split_once('?').unwrap().1;
        let mut exp = 0;
        let mut sig = String::new();
        for pair in query.split('&') {
            match pair.split_once('=').unwrap() {
                ("exp", v) => exp = v.parse().unwrap(),
                ("sig", v) => sig = v.to_string(),
                _ => {}
            }
        }
        (exp, sig)
    }

    #[test]
    fn a_link_works_for_its_file_and_variant_until_it_expires() {
        let clock = Clock::fixed(Timestamp(1_700_000_000_000));
        let links = FileLinks::new(b"server secret", clock.clone());
        let f = file();
        let (exp, sig) = parts(&links.url(&f, FileVariant::Original));
        assert!(exp - 1_700_000_000 >= LINK_LIFETIME_SECS);
        assert!(links.verify(f.id.as_str(), FileVariant::Original, exp, &sig));
        assert!(
            !links.verify(f.id.as_str(), FileVariant::Thumbnail, exp, &sig),
            "variant is signed"
        );
        assert!(
            !links.verify(file().id.as_str(), FileVariant::Original, exp, &sig),
            "id is signed"
        );
        assert!(
            !links.verify(f.id.as_str(), FileVariant::Original, exp + 600, &sig),
            "expiry is signed"
        );
        let mut tampered = sig.clone().into_bytes();
        tampered[0] = if tampered[0] == b'0' { b'1' } else { b'0' };
        assert!(!links.verify(
            f.id.as_str(),
            FileVariant::Original,
            exp,
            &String::from_utf8(tampered).unwrap()
        ));
        assert!(!links.verify(f.id.as_str(), FileVariant::Original, exp, "zz"));
        clock.advance(std::time::Duration::from_secs(2 * 3600));
        assert!(
            !links.verify(f.id.as_str(), FileVariant::Original, exp, &sig),
            "expired"
        );
    }

    #[test]
    fn another_servers_key_does_not_verify() {
        let clock = Clock::fixed(Timestamp(1_700_000_000_000));
        let f = file();
        let (exp, sig) =
            parts(&FileLinks::new(b"one", clock.clone()).url(&f, FileVariant::Original));
        assert!(!FileLinks::new(b"two", clock).verify(
            f.id.as_str(),
            FileVariant::Original,
            exp,
            &sig
        ));
    }
}
