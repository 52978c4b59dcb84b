//! The kinds of file a chat accepts, decided from content (see `media::sniff`).

/// A file type frontdesk knows how to store and serve.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileKind {
    Png,
    Jpeg,
    Gif,
    Webp,
    Pdf,
    Text,
    Csv,
}

impl FileKind {
    pub const ALL: [FileKind; 7] = [
        FileKind::Png,
        FileKind::Jpeg,
        FileKind::Gif,
        FileKind::Webp,
        FileKind::Pdf,
        FileKind::Text,
        FileKind::Csv,
    ];

    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Png => "image/png",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Gif => "image/gif",
            FileKind::Webp => "image/webp",
            FileKind::Pdf => "application/pdf",
            FileKind::Text => "text/plain",
            FileKind::Csv => "text/csv",
        }
    }

    /// The word for this kind in the `ATTACHMENT_TYPES` setting.
    pub fn token(self) -> &'static str {
        match self {
            FileKind::Png => "png",
            FileKind::Jpeg => "jpeg",
            FileKind::Gif => "gif",
            FileKind::Webp => "webp",
            FileKind::Pdf => "pdf",
            FileKind::Text => "text",
            FileKind::Csv => "csv",
        }
    }

    /// A token or a mime type, any case.
    pub fn from_token(raw: &str) -> Option<FileKind> {
        let raw = raw.trim().to_ascii_lowercase();
        FileKind::ALL
            .into_iter()
            .find(|k| k.token() == raw || k.mime() == raw || (raw == "jpg" && *k == FileKind::Jpeg))
    }

    pub fn is_raster_image(self) -> bool {
        matches!(
            self,
            FileKind::Png | FileKind::Jpeg | FileKind::Gif | FileKind::Webp
        )
    }

    pub fn extension(self) -> &'static str {
        match self {
            FileKind::Png => "png",
            FileKind::Jpeg => "jpg",
            FileKind::Gif => "gif",
            FileKind::Webp => "webp",
            FileKind::Pdf => "pdf",
            FileKind::Text => "txt",
            FileKind::Csv => "csv",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            FileKind::Png => "PNG image",
            FileKind::Jpeg => "JPEG image",
            FileKind::Gif => "GIF image",
            FileKind::Webp => "WebP image",
            FileKind::Pdf => "PDF document",
            FileKind::Text => "text file",
            FileKind::Csv => "CSV file",
        }
    }
}
