//! What a file is and how an image is made safe to keep: blocking, CPU-only work that
//! service/ runs off the async runtime. No storage, no network.

mod picture;
mod sniff;

pub use picture::{ImageLimits, MediaError, PreparedImage, THUMBNAIL_SIDE, prepare_image};
pub use sniff::{SNIFF_BYTES, Sniffed, sniff};
