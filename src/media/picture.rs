//! Raster images made safe to keep: the size checked from the header before anything is
//! decoded, pixels turned upright, every byte of metadata (EXIF with its GPS position, ICC,
//! XMP, comments) dropped by re-encoding, and a small thumbnail.

use std::fs::File;
use std::io::{BufReader, Cursor};
use std::path::Path;

use image::codecs::jpeg::JpegEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::domain::FileKind;

/// The longest side of a thumbnail, in pixels.
pub const THUMBNAIL_SIDE: u32 = 320;
const JPEG_QUALITY: u8 = 85;

/// The largest image accepted.
#[derive(Clone, Debug)]
pub struct ImageLimits {
    pub max_pixels: u64,
    pub max_side: u32,
}

impl Default for ImageLimits {
    /// 40 megapixels (more than any phone camera), 12,000 pixels a side.
    fn default() -> Self {
        ImageLimits {
            max_pixels: 40_000_000,
            max_side: 12_000,
        }
    }
}

/// An image re-encoded without metadata, and its thumbnail when it is larger than one.
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
    #[error("the image is {width} x {height} pixels, more than is accepted")]
    TooLarge { width: u32, height: u32 },
    #[error("the image could not be read: {0}")]
    Undecodable(String),
}

fn undecodable(e: impl std::fmt::Display) -> MediaError {
    MediaError::Undecodable(e.to_string())
}

fn format_of(kind: FileKind) -> Result<ImageFormat, MediaError> {
    match kind {
        FileKind::Png => Ok(ImageFormat::Png),
        FileKind::Jpeg => Ok(ImageFormat::Jpeg),
        FileKind::Gif => Ok(ImageFormat::Gif),
        FileKind::Webp => Ok(ImageFormat::WebP),
        other => Err(MediaError::Undecodable(format!(
            "{} is not an image",
            other.label()
        ))),
    }
}

fn reader(path: &Path, format: ImageFormat) -> Result<ImageReader<BufReader<File>>, MediaError> {
    let file = File::open(path).map_err(undecodable)?;
    Ok(ImageReader::with_format(BufReader::new(file), format))
}

/// Re-encodes the image at `path` (already sniffed as `kind`) in the same format without
/// metadata. The dimensions are read from the header first: an image over `limits` is refused
/// before a pixel is decoded, so a small file claiming 50,000 x 50,000 pixels costs nothing.
/// Animated GIF and WebP keep their first frame.
pub fn prepare_image(
    path: &Path,
    kind: FileKind,
    limits: &ImageLimits,
) -> Result<PreparedImage, MediaError> {
    let format = format_of(kind)?;
    let (width, height) = reader(path, format)?
        .into_dimensions()
        .map_err(undecodable)?;
    if width > limits.max_side
        || height > limits.max_side
        || u64::from(width) * u64::from(height) > limits.max_pixels
    {
        return Err(MediaError::TooLarge { width, height });
    }
    let image = decode_upright(path, format, limits)?;
    let bytes = encode(&image, kind)?;
    let thumbnail_kind = if kind == FileKind::Jpeg {
        FileKind::Jpeg
    } else {
        FileKind::Png
    };
    let thumbnail = if image.width() > THUMBNAIL_SIDE || image.height() > THUMBNAIL_SIDE {
        Some(encode(
            &image.thumbnail(THUMBNAIL_SIDE, THUMBNAIL_SIDE),
            thumbnail_kind,
        )?)
    } else {
        None
    };
    Ok(PreparedImage {
        bytes,
        kind,
        width: image.width(),
        height: image.height(),
        thumbnail,
        thumbnail_kind,
    })
}

/// Decodes within limits and applies the EXIF orientation: the re-encoded file has no EXIF,
/// so a photo taken sideways would otherwise show sideways.
fn decode_upright(
    path: &Path,
    format: ImageFormat,
    limits: &ImageLimits,
) -> Result<DynamicImage, MediaError> {
    let mut reader = reader(path, format)?;
    let mut decode_limits = Limits::default();
    decode_limits.max_image_width = Some(limits.max_side);
    decode_limits.max_image_height = Some(limits.max_side);
    // RGBA at 16 bits a channel is the largest a decoder produces.
    decode_limits.max_alloc = Some(limits.max_pixels.saturating_mul(8));
    reader.limits(decode_limits);
    let mut decoder = reader.into_decoder().map_err(undecodable)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(undecodable)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// Encodes with no metadata at all: the encoders are given pixels only.
fn encode(image: &DynamicImage, kind: FileKind) -> Result<Vec<u8>, MediaError> {
    let mut out = Cursor::new(Vec::new());
    match kind {
        FileKind::Jpeg => image
            .write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
            .map_err(undecodable)?,
        // GIF and lossless WebP take 8-bit RGBA only.
        FileKind::Gif | FileKind::Webp => DynamicImage::ImageRgba8(image.to_rgba8())
            .write_to(&mut out, format_of(kind)?)
            .map_err(undecodable)?,
        _ => image
            .write_to(&mut out, format_of(kind)?)
            .map_err(undecodable)?,
    }
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, RgbImage};

    fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    fn gradient(width: u32, height: u32) -> RgbImage {
        RgbImage::from_fn(width, height, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        })
    }

    /// A JPEG with an EXIF block holding an orientation and a GPS pointer, and a marker string.
    fn jpeg_with_exif(width: u32, height: u32, orientation: u16) -> Vec<u8> {
        // Little-endian TIFF: IFD0 with Orientation (0x0112) and GPSInfo (0x8825) -> GPS IFD
        // with GPSLatitudeRef "N"; then the marker bytes.
        let mut exif = b"II\x2a\0\x08\0\0\0".to_vec();
        exif.extend_from_slice(&2u16.to_le_bytes());
        exif.extend_from_slice(&[0x12, 0x01, 0x03, 0x00, 0x01, 0, 0, 0]);
        exif.extend_from_slice(&orientation.to_le_bytes());
        exif.extend_from_slice(&[0, 0]);
        exif.extend_from_slice(&[0x25, 0x88, 0x04, 0x00, 0x01, 0, 0, 0]);
        exif.extend_from_slice(&38u32.to_le_bytes());
        exif.extend_from_slice(&0u32.to_le_bytes());
        exif.extend_from_slice(&1u16.to_le_bytes());
        exif.extend_from_slice(&[0x01, 0x00, 0x02, 0x00, 0x02, 0, 0, 0, b'N', 0, 0, 0]);
        exif.extend_from_slice(&0u32.to_le_bytes());
        exif.extend_from_slice(b"GPS-MARKER-51.5007N-0.1246W");
        let mut out = Vec::new();
        let mut encoder = JpegEncoder::new_with_quality(&mut out, 90);
        encoder.set_exif_metadata(exif).unwrap();
        encoder
            .write_image(
                gradient(width, height).as_raw(),
                width,
                height,
                image::ExtendedColorType::Rgb8,
            )
            .unwrap();
        out
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[test]
    fn a_photo_loses_its_exif_and_gps_and_is_turned_upright() {
        let dir = tempfile::tempdir().unwrap();
        let original = jpeg_with_exif(600, 400, 6);
        assert!(
            contains(&original, b"GPS-MARKER"),
            "the fixture carries the marker"
        );
        let path = write(&dir, "photo", &original);
        let prepared = prepare_image(&path, FileKind::Jpeg, &ImageLimits::default()).unwrap();
        assert!(!contains(&prepared.bytes, b"GPS-MARKER"));
        assert!(
            !contains(&prepared.bytes, b"Exif\0\0"),
            "no EXIF segment at all"
        );
        assert_eq!(
            (prepared.width, prepared.height),
            (400, 600),
            "orientation 6 turns it"
        );
        let thumb = prepared.thumbnail.expect("a thumbnail for a 600 px image");
        let thumb = image::load_from_memory_with_format(&thumb, ImageFormat::Jpeg).unwrap();
        assert_eq!((thumb.width(), thumb.height()), (213, 320));
        assert_eq!(prepared.thumbnail_kind, FileKind::Jpeg);
    }

    #[test]
    fn a_decompression_bomb_is_refused_from_its_header() {
        // A real 1x1 PNG whose IHDR then claims 50,000 x 50,000 (CRC fixed up).
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(&[0, 0, 0], 1, 1, image::ExtendedColorType::Rgb8)
            .unwrap();
        png[16..20].copy_from_slice(&50_000u32.to_be_bytes());
        png[20..24].copy_from_slice(&50_000u32.to_be_bytes());
        let crc = crc32(&png[12..29]);
        png[29..33].copy_from_slice(&crc.to_be_bytes());
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "bomb", &png);
        match prepare_image(&path, FileKind::Png, &ImageLimits::default()) {
            Err(MediaError::TooLarge { width, height }) => {
                assert_eq!((width, height), (50_000, 50_000))
            }
            other => panic!("not refused as too large: {:?}", other.map(|p| p.width)),
        }
    }

    #[test]
    fn bytes_after_an_image_are_dropped() {
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(
                gradient(4, 4).as_raw(),
                4,
                4,
                image::ExtendedColorType::Rgb8,
            )
            .unwrap();
        png.extend_from_slice(b"<html><script>alert(1)</script></html>");
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "polyglot", &png);
        let prepared = prepare_image(&path, FileKind::Png, &ImageLimits::default()).unwrap();
        assert!(!contains(&prepared.bytes, b"<script"));
        assert!(
            prepared.thumbnail.is_none(),
            "a 4 px image is its own thumbnail"
        );
    }

    #[test]
    fn every_raster_kind_round_trips_in_its_own_format() {
        let dir = tempfile::tempdir().unwrap();
        for (kind, format) in [
            (FileKind::Png, ImageFormat::Png),
            (FileKind::Jpeg, ImageFormat::Jpeg),
            (FileKind::Gif, ImageFormat::Gif),
            (FileKind::Webp, ImageFormat::WebP),
        ] {
            let mut bytes = Cursor::new(Vec::new());
            DynamicImage::ImageRgb8(gradient(500, 50))
                .write_to(&mut bytes, format)
                .unwrap();
            let path = write(&dir, kind.token(), bytes.get_ref());
            let prepared = prepare_image(&path, kind, &ImageLimits::default()).unwrap();
            assert_eq!(
                image::guess_format(&prepared.bytes).unwrap(),
                format,
                "{kind:?}"
            );
            assert_eq!((prepared.width, prepared.height), (500, 50));
            assert!(prepared.thumbnail.is_some(), "{kind:?}");
        }
    }

    #[test]
    fn garbage_after_a_valid_header_is_undecodable_not_a_panic() {
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(
                gradient(64, 64).as_raw(),
                64,
                64,
                image::ExtendedColorType::Rgb8,
            )
            .unwrap();
        png.truncate(60);
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "cut", &png);
        assert!(matches!(
            prepare_image(&path, FileKind::Png, &ImageLimits::default()),
            Err(MediaError::Undecodable(_))
        ));
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
}
