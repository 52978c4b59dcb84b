//! The type of a file from its first bytes, never from its name or declared type.

use crate::domain::FileKind;

/// How much of the start of a file decides its type.
pub const SNIFF_BYTES: usize = 8192;

/// What the start of a file says it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sniffed {
    /// A kind frontdesk can store (whether this deployment allows it is the caller's call).
    Allowed(FileKind),
    /// Anything else, named for the error message ("HTML", "an executable", ...).
    Refused(&'static str),
}

/// Decides a file's kind from `head` (its first up to [`SNIFF_BYTES`]). `file_name` only tells
/// CSV from plain text, two kinds that are both inert text.
pub fn sniff(head: &[u8], file_name: &str) -> Sniffed {
    if let Some(markup) = markup(head) {
        return Sniffed::Refused(markup);
    }
    if let Some(found) = infer::get(head) {
        return by_magic(found);
    }
    if is_text(head) {
        let csv = file_name.to_ascii_lowercase().ends_with(".csv");
        return Sniffed::Allowed(if csv { FileKind::Csv } else { FileKind::Text });
    }
    Sniffed::Refused("an unknown binary format")
}

fn by_magic(found: infer::Type) -> Sniffed {
    use infer::MatcherType as M;
    match (found.mime_type(), found.matcher_type()) {
        ("image/png", _) => Sniffed::Allowed(FileKind::Png),
        ("image/jpeg", _) => Sniffed::Allowed(FileKind::Jpeg),
        ("image/gif", _) => Sniffed::Allowed(FileKind::Gif),
        ("image/webp", _) => Sniffed::Allowed(FileKind::Webp),
        ("application/pdf", _) => Sniffed::Allowed(FileKind::Pdf),
        ("text/html", _) => Sniffed::Refused("HTML"),
        ("text/xml", _) | ("application/xml", _) => Sniffed::Refused("XML"),
        ("image/svg+xml", _) => Sniffed::Refused("SVG"),
        (_, M::App) => Sniffed::Refused("an executable"),
        (_, M::Archive) => Sniffed::Refused("an archive"),
        (_, M::Image) => Sniffed::Refused("an image format that is not supported"),
        (_, M::Audio) => Sniffed::Refused("audio"),
        (_, M::Video) => Sniffed::Refused("video"),
        (_, M::Doc) => Sniffed::Refused("an office document"),
        (_, M::Font) => Sniffed::Refused("a font"),
        (_, M::Text) => Sniffed::Refused("a script"),
        _ => Sniffed::Refused("an unknown binary format"),
    }
}

/// Markup a browser could run, whatever the file claims to be: HTML, SVG or XML at the start
/// (after an optional byte-order mark and white space).
fn markup(head: &[u8]) -> Option<&'static str> {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let opening: Vec<u8> = head[start..]
        .iter()
        .take(512)
        .map(u8::to_ascii_lowercase)
        .collect();
    if !opening.starts_with(b"<") {
        return None;
    }
    let contains = |needle: &[u8]| opening.windows(needle.len()).any(|w| w == needle);
    if contains(b"<svg") {
        return Some("SVG");
    }
    const HTML_OPENINGS: [&[u8]; 12] = [
        b"<!doctype",
        b"<html",
        b"<head",
        b"<body",
        b"<script",
        b"<iframe",
        b"<title",
        b"<meta",
        b"<style",
        b"<div",
        b"<a ",
        b"<!--",
    ];
    if HTML_OPENINGS.iter().any(|tag| opening.starts_with(tag)) {
        return Some("HTML");
    }
    if opening.starts_with(b"<?xml") {
        return Some("XML");
    }
    None
}

/// UTF-8 (a character cut at the very end of `head` is fine) without control bytes other than
/// tab, line feed, carriage return and form feed.
fn is_text(head: &[u8]) -> bool {
    let valid = match std::str::from_utf8(head) {
        Ok(_) => true,
        // Only an incomplete character at the end: the head cut it.
        Err(e) => e.error_len().is_none() && head.len() - e.valid_up_to() < 4,
    };
    valid
        && head
            .iter()
            .all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\n' | b'\r' | 0x0c))
        && !head.contains(&0x7f)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_kinds_are_known_by_their_content() {
        let cases: [(&[u8], &str, FileKind); 7] = [
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "x.bin", FileKind::Png),
            (b"\xFF\xD8\xFF\xE0\0\x10JFIF\0", "x", FileKind::Jpeg),
            (b"GIF89a\x01\0\x01\0", "a.png", FileKind::Gif),
            (b"RIFF\x24\0\0\0WEBPVP8 ", "a", FileKind::Webp),
            (
                b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n",
                "invoice.exe",
                FileKind::Pdf,
            ),
            (
                "Grüße 👋\nline two\r\n\tindented".as_bytes(),
                "notes",
                FileKind::Text,
            ),
            (b"name,qty\nbolt,3\n", "stock.CSV", FileKind::Csv),
        ];
        for (head, name, kind) in cases {
            assert_eq!(sniff(head, name), Sniffed::Allowed(kind), "{name}");
        }
    }

    #[test]
    fn markup_executables_and_binaries_are_refused_whatever_their_name() {
        let cases: [(&[u8], &str); 11] = [
            (b"<!DOCTYPE html><html><script>alert(1)</script>", "HTML"),
            (b"\xEF\xBB\xBF  \n<html><body>hi", "HTML"),
            (b"<script>alert(1)</script>", "HTML"),
            (
                b"<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
                "SVG",
            ),
            (
                b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
                "SVG",
            ),
            (b"<?xml version=\"1.0\"?><note/>", "XML"),
            (
                b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\x3e\0",
                "an executable",
            ),
            (
                b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0\xb8\0\0\0\0\0\0\0\x40\0",
                "an executable",
            ),
            (b"PK\x03\x04\x14\0\0\0\x08\0", "an archive"),
            (b"plain start\0with a NUL", "an unknown binary format"),
            (b"\x01\x02\x03\x04\x05", "an unknown binary format"),
        ];
        for (head, what) in cases {
            // Real files go on past their magic numbers; some matchers look that far.
            let mut padded = head.to_vec();
            if what == "an executable" {
                padded.resize(256, 0);
            }
            assert_eq!(
                sniff(&padded, "photo.png"),
                Sniffed::Refused(what),
                "{what}: {head:?}"
            );
        }
    }

    #[test]
    fn markup_inside_text_is_just_text() {
        assert_eq!(
            sniff(b"note: <html><script>alert(1)</script>", "a.txt"),
            Sniffed::Allowed(FileKind::Text)
        );
        assert_eq!(
            sniff(b"1 < 2 and <b> is bold", "a.txt"),
            Sniffed::Allowed(FileKind::Text)
        );
    }

    #[test]
    fn a_character_cut_by_the_head_is_still_text() {
        let mut head = "é".repeat(10).into_bytes();
        head.push(0xC3); // the first byte of another é
        assert_eq!(sniff(&head, "a.txt"), Sniffed::Allowed(FileKind::Text));
        head.push(b'x'); // not a continuation byte: broken UTF-8 in the middle
        assert_eq!(
            sniff(&head, "a.txt"),
            Sniffed::Refused("an unknown binary format")
        );
    }
}
