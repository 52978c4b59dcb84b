//! Placeholder until the media module lands: the interface service/ codes against.

use std::path::Path;

use crate::domain::FileKind;

pub enum Sniffed {
    Allowed(FileKind),
    Refused(&'static str),
}

pub fn sniff(head: &[u8], file_name: &str) -> Sniffed {
    if head.starts_with(b"\x89PNG") {
        return Sniffed::Allowed(FileKind::Png);
    }
    if head.starts_with(b"%PDF-") {
        return Sniffed::Allowed(FileKind::Pdf);
    }
    let lower = String::from_utf8_lossy(head)
        .trim_start()
        .to_ascii_lowercase();
    if lower.starts_with("<svg") || lower.starts_with("<?xml") {
        return Sniffed::Refused("SVG");
    }
    if lower.starts_with("<!doctype") || lower.starts_with("<html") {
        return Sniffed::Refused("HTML");
    }
    if std::str::from_utf8(head).is_ok() && !head.contains(&0) {
        if file_name.ends_with(".csv") {
            return Sniffed::Allowed(FileKind::Csv);
        }
        return Sniffed::Allowed(FileKind::Text);
    }
    Sniffed::Refused("an unknown binary format")
}

#[derive(Clone, Debug)]
pub struct ImageLimits {
    pub max_pixels: u64,
    pub max_side: u32,
}

impl Default for ImageLimits {
    fn default() -> Self {
        ImageLimits {
            max_pixels: 40_000_000,
            max_side: 12_000,
        }
    }
}

pub struct PreparedImage {
    pub bytes: Vec<u8>,
    pub kind: FileKind,
    pub width: u32,
    pub height: u32,
    pub thumbnail: Option<Vec<u8>>,
    pub thumbnail_kind: FileKind,
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("The image is too large ({width} x {height} pixels)")]
    TooLarge { width: u32, height: u32 },
    #[error("The image could not be read: {0}")]
    Undecodable(String),
}

pub fn prepare_image(
    _path: &Path,
    _kind: FileKind,
    _limits: &ImageLimits,
) -> Result<PreparedImage, MediaError> {
    Err(MediaError::Undecodable("not built yet".into()))
}
