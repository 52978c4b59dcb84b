//! Images: every raster kind is accepted and re-encoded, thumbnails are served, a photo's GPS
//! position never leaves the server, bombs and polyglots are defused.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageEncoder, ImageFormat, RgbImage};
use reqwest::StatusCode;

use super::{fetch, id_of, send_files, upload, upload_ok};
use crate::helpers::{TestApp, assert_error, expect_ok};

fn picture(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 251) as u8, (y % 241) as u8, 90])
    })
}

fn encoded(format: ImageFormat, width: u32, height: u32) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(picture(width, height))
        .write_to(&mut out, format)
        .expect("encode fixture");
    out.into_inner()
}

/// A phone photo: JPEG with an EXIF block naming a GPS position (and a marker to look for).
fn photo_with_gps() -> Vec<u8> {
    let mut exif = b"II\x2a\0\x08\0\0\0\x01\0".to_vec();
    exif.extend_from_slice(&[
        0x25, 0x88, 0x04, 0x00, 0x01, 0, 0, 0, 26, 0, 0, 0, 0, 0, 0, 0,
    ]);
    exif.extend_from_slice(&[
        1, 0, 0x01, 0x00, 0x02, 0x00, 0x02, 0, 0, 0, b'N', 0, 0, 0, 0, 0, 0, 0,
    ]);
    exif.extend_from_slice(b"GPS-48.8584N-2.2945E");
    let mut out = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut out, 90);
    encoder.set_exif_metadata(exif).expect("exif");
    encoder
        .write_image(
            picture(800, 600).as_raw(),
            800,
            600,
            image::ExtendedColorType::Rgb8,
        )
        .expect("encode photo");
    out
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn chat(app: &TestApp) -> (String, String) {
    let token = app.user_token("u1");
    let session = app.start_session(&token, Some("chat_images")).await;
    (token, session["sessionId"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn a_photos_gps_position_never_reaches_disk_or_the_viewer() {
    let app = TestApp::spawn().await;
    let (token, session) = chat(&app).await;
    let original = photo_with_gps();
    assert!(contains(&original, b"GPS-48.8584N"));
    let file = upload_ok(&app, &token, &session, "IMG_0001.JPG", &original).await;
    assert_eq!(file["contentType"], "image/jpeg");
    assert_eq!(
        (file["width"].as_u64(), file["height"].as_u64()),
        (Some(800), Some(600))
    );
    expect_ok(
        "send",
        send_files(&app, &token, &session, "msg_photo", None, &[id_of(&file)]).await,
    );

    let poll = app.poll(&token, &session, None).await;
    let shown = &poll["messages"].as_array().unwrap().last().unwrap()["attachments"][0];
    let (status, headers, served) = fetch(&app, shown["url"].as_str().unwrap(), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/jpeg");
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("inline;"),
        "images show inline"
    );
    assert_eq!(
        headers["content-security-policy"],
        "sandbox; default-src 'none'"
    );
    assert!(
        !contains(&served, b"GPS-48.8584N"),
        "the served photo has no GPS"
    );
    assert!(!contains(&served, b"Exif\0\0"), "nor any EXIF block");
    let decoded = image::load_from_memory(&served).expect("a real JPEG");
    assert_eq!((decoded.width(), decoded.height()), (800, 600));

    // Nothing on disk carries the position either.
    let root = app.dir.path().join("frontdesk.db.files");
    for entry in walk(&root) {
        let bytes = std::fs::read(&entry).unwrap();
        assert!(!contains(&bytes, b"GPS-48.8584N"), "{}", entry.display());
    }

    let thumb = shown["thumbnailUrl"]
        .as_str()
        .expect("a thumbnail for an 800 px photo");
    let (status, headers, bytes) = fetch(&app, thumb, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-type"], "image/jpeg");
    let thumb = image::load_from_memory(&bytes).expect("a real thumbnail");
    assert_eq!((thumb.width(), thumb.height()), (320, 240));
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            files.extend(walk(&entry.path()));
        } else {
            files.push(entry.path());
        }
    }
    files
}

#[tokio::test]
async fn every_allowed_image_kind_is_stored_as_itself() {
    let app = TestApp::spawn().await;
    let (token, session) = chat(&app).await;
    for (format, mime) in [
        (ImageFormat::Png, "image/png"),
        (ImageFormat::Jpeg, "image/jpeg"),
        (ImageFormat::Gif, "image/gif"),
        (ImageFormat::WebP, "image/webp"),
    ] {
        let bytes = encoded(format, 400, 100);
        let file = upload_ok(&app, &token, &session, "picture.bin", &bytes).await;
        assert_eq!(file["contentType"], mime);
        let (status, headers, served) = fetch(&app, file["url"].as_str().unwrap(), None).await;
        assert_eq!(status, StatusCode::OK, "{mime}");
        assert_eq!(headers["content-type"], mime);
        assert_eq!(image::guess_format(&served).unwrap(), format);
        assert!(
            file["thumbnailUrl"].is_string(),
            "{mime}: a 400 px image gets a thumbnail"
        );
    }
    // A small image needs no thumbnail.
    let small = upload_ok(
        &app,
        &token,
        &session,
        "icon.png",
        &encoded(ImageFormat::Png, 32, 32),
    )
    .await;
    assert!(small.get("thumbnailUrl").is_none(), "{small}");
}

#[tokio::test]
async fn a_decompression_bomb_and_a_broken_image_are_refused_without_decoding() {
    let app = TestApp::spawn().await;
    let (token, session) = chat(&app).await;
    let mut bomb = encoded(ImageFormat::Png, 1, 1);
    bomb[16..20].copy_from_slice(&50_000u32.to_be_bytes());
    bomb[20..24].copy_from_slice(&50_000u32.to_be_bytes());
    let crc = crc32(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    assert!(bomb.len() < 200, "a tiny file");
    let (status, body) = upload(&app, &token, &session, "bomb.png", &bomb).await;
    assert_error(status, &body, 415, "UNSUPPORTED_FILE_TYPE");
    assert!(
        body["message"].as_str().unwrap().contains("50000 x 50000"),
        "{body}"
    );

    let mut broken = encoded(ImageFormat::Png, 64, 64);
    broken.truncate(70);
    let (status, body) = upload(&app, &token, &session, "broken.png", &broken).await;
    assert_error(status, &body, 415, "UNSUPPORTED_FILE_TYPE");
    assert_eq!(app.count_rows("SELECT COUNT(*) FROM attachments"), 0);
    // The server is fine afterwards.
    upload_ok(
        &app,
        &token,
        &session,
        "ok.png",
        &encoded(ImageFormat::Png, 8, 8),
    )
    .await;
}

#[tokio::test]
async fn a_polyglot_image_loses_its_hidden_payload() {
    let app = TestApp::spawn().await;
    let (token, session) = chat(&app).await;
    let mut polyglot = encoded(ImageFormat::Gif, 16, 16);
    polyglot.extend_from_slice(b"<html><script>alert(document.cookie)</script></html>");
    let file = upload_ok(&app, &token, &session, "cat.gif.html", &polyglot).await;
    assert_eq!(file["contentType"], "image/gif");
    let (status, headers, served) = fetch(&app, file["url"].as_str().unwrap(), None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert!(
        !contains(&served, b"<script"),
        "re-encoding dropped the payload"
    );
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
