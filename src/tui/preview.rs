//! The details view's preview of a running channel: the JPEG MediaLive serves is decoded and
//! shrunk once, when it arrives, into a small RGB grid kept in the state, so drawing stays a pure
//! and cheap function of the state.

use crate::cloud::Thumbnail;
use crate::domain::DestinationId;
use image::imageops::FilterType;
use image::{ImageFormat, ImageReader, Limits};
use std::io::Cursor;
use time::OffsetDateTime;

/// The grid kept: enough for a preview half a wide terminal across (each column is one pixel,
/// each row two), 27 KB at most.
pub const MAX_WIDTH: u32 = 128;
pub const MAX_HEIGHT: u32 = 72;
/// Larger images are refused before decoding: AWS's are a few hundred pixels across, and the
/// bytes come from the network.
const MAX_SOURCE_SIDE: u32 = 4096;
const MAX_DECODE_BYTES: u64 = 64 * 1024 * 1024;

/// A small picture: packed RGB, row by row.
#[derive(Clone, PartialEq, Eq)]
pub struct Pixels {
    width: u16,
    height: u16,
    rgb: Vec<u8>,
}

// The bytes would flood any debug print of the state.
impl std::fmt::Debug for Pixels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pixels({}×{})", self.width, self.height)
    }
}

impl Pixels {
    /// `None` unless `rgb` holds exactly `width × height` pixels, at least one.
    pub fn new(width: u16, height: u16, rgb: Vec<u8>) -> Option<Self> {
        let n = usize::from(width) * usize::from(height);
        (n > 0 && rgb.len() == n * 3).then_some(Self { width, height, rgb })
    }

    pub fn width(&self) -> u16 {
        self.width
    }

    pub fn height(&self) -> u16 {
        self.height
    }

    /// The pixel at (x, y), clamped to the picture.
    pub fn get(&self, x: u16, y: u16) -> [u8; 3] {
        let x = usize::from(x.min(self.width - 1));
        let y = usize::from(y.min(self.height - 1));
        let i = (y * usize::from(self.width) + x) * 3;
        [self.rgb[i], self.rgb[i + 1], self.rgb[i + 2]]
    }

    /// Bytes held.
    pub fn size(&self) -> usize {
        self.rgb.len()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("the preview is not an image onair can read ({0})")]
    Unreadable(String),
    #[error("the preview image is empty")]
    Empty,
}

/// Decodes a JPEG and shrinks it to fit MAX_WIDTH × MAX_HEIGHT, keeping its aspect.
pub fn decode(bytes: &[u8]) -> Result<Pixels, DecodeError> {
    let unreadable = |e: image::ImageError| DecodeError::Unreadable(e.to_string());
    let mut reader = ImageReader::with_format(Cursor::new(bytes), ImageFormat::Jpeg);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SOURCE_SIDE);
    limits.max_image_height = Some(MAX_SOURCE_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let image = reader.decode().map_err(unreadable)?;
    let image = if image.width() > MAX_WIDTH || image.height() > MAX_HEIGHT {
        // Triangle averages neighbours: bars and text stay legible, unlike nearest-neighbour.
        image.resize(MAX_WIDTH, MAX_HEIGHT, FilterType::Triangle)
    } else {
        image
    };
    let rgb = image.to_rgb8();
    let (w, h) = (rgb.width(), rgb.height());
    let (Ok(w), Ok(h)) = (u16::try_from(w), u16::try_from(h)) else {
        return Err(DecodeError::Empty);
    };
    Pixels::new(w, h, rgb.into_raw()).ok_or(DecodeError::Empty)
}

/// What the details view shows in its preview panel.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Preview {
    /// Asked for, no answer yet.
    #[default]
    Waiting,
    Frame {
        pixels: Pixels,
        taken_at: Option<OffsetDateTime>,
        /// Why the newest fetch failed, when this frame is the last good one kept on screen.
        stale: Option<String>,
    },
    /// AWS has no frame: the channel isn't running, or thumbnails are off in it.
    NoFrame,
    /// The call failed or the image could not be read.
    Failed(String),
}

impl Preview {
    /// The preview for an engine answer; a decoding failure becomes `Failed` with its reason.
    pub fn from_answer(answer: Result<Option<Thumbnail>, String>) -> Self {
        match answer {
            Ok(Some(t)) => match decode(&t.body) {
                Ok(pixels) => Preview::Frame {
                    pixels,
                    taken_at: t.taken_at,
                    stale: None,
                },
                Err(e) => Preview::Failed(e.to_string()),
            },
            Ok(None) => Preview::NoFrame,
            Err(message) => Preview::Failed(message),
        }
    }

    /// What replaces `before` when this answer arrives: a failed fetch keeps the last good
    /// frame on screen, marked stale with the reason, rather than blanking a picture the
    /// operator was watching for one throttled call.
    pub fn after(self, before: &Preview) -> Preview {
        match (self, before) {
            (
                Preview::Failed(why),
                Preview::Frame {
                    pixels, taken_at, ..
                },
            ) => Preview::Frame {
                pixels: pixels.clone(),
                taken_at: *taken_at,
                stale: Some(why),
            },
            (next, _) => next,
        }
    }

    /// Why the preview failed, if it did (a stale frame included).
    fn failure(&self) -> Option<&str> {
        match self {
            Preview::Failed(why) => Some(why),
            Preview::Frame {
                stale: Some(why), ..
            } => Some(why),
            _ => None,
        }
    }

    /// A failure worth a log line: a new one, not the same one again every refresh.
    pub fn new_failure(&self, before: &Preview) -> Option<&str> {
        match (self.failure(), before.failure()) {
            (Some(now), Some(then)) if now == then => None,
            (now, _) => now,
        }
    }
}

/// The destination whose preview the view wants fetched now, if any: the one in the open details
/// view, while it runs. The engine paces the calls; this only says who.
pub fn wanted(state: &super::state::AppState) -> Option<DestinationId> {
    let super::state::Mode::Details(details) = &state.mode else {
        return None;
    };
    let row = state.row(details.id)?;
    (row.record.status == crate::domain::Status::Running).then_some(details.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::codecs::jpeg::JpegEncoder;

    fn jpeg(width: u32, height: u32, colour: [u8; 3]) -> Vec<u8> {
        let rgb: Vec<u8> = (0..width * height).flat_map(|_| colour).collect();
        let mut out = Vec::new();
        JpegEncoder::new_with_quality(&mut out, 90)
            .encode(&rgb, width, height, image::ExtendedColorType::Rgb8)
            .unwrap();
        out
    }

    #[test]
    fn a_large_jpeg_is_shrunk_to_fit_keeping_its_aspect() {
        let pixels = decode(&jpeg(640, 360, [200, 30, 30])).unwrap();
        assert_eq!((pixels.width(), pixels.height()), (128, 72));
        assert_eq!(pixels.size(), 128 * 72 * 3);
        let [r, g, b] = pixels.get(64, 36);
        assert!(r > 180 && g < 60 && b < 60, "{r} {g} {b}");
        // 4:3 fits by height.
        let pixels = decode(&jpeg(400, 300, [0, 0, 0])).unwrap();
        assert_eq!((pixels.width(), pixels.height()), (96, 72));
    }

    #[test]
    fn a_small_jpeg_is_kept_as_it_is() {
        let pixels = decode(&jpeg(32, 18, [10, 200, 10])).unwrap();
        assert_eq!((pixels.width(), pixels.height()), (32, 18));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(matches!(decode(b""), Err(DecodeError::Unreadable(_))));
        assert!(matches!(
            decode(b"\xFF\xD8\xFF\xE0 not really a jpeg"),
            Err(DecodeError::Unreadable(_))
        ));
        let mut cut = jpeg(64, 64, [1, 2, 3]);
        cut.truncate(cut.len() / 3);
        // A truncated JPEG may decode partially or fail; either way no panic.
        let _ = decode(&cut);
    }

    #[test]
    fn a_failed_fetch_keeps_the_last_frame_marked_stale_and_logs_once() {
        let answer = || {
            Ok(Some(Thumbnail {
                body: jpeg(16, 9, [255, 255, 255]),
                content_type: "image/jpeg".into(),
                taken_at: None,
            }))
        };
        let shown = Preview::from_answer(answer()).after(&Preview::Waiting);
        let throttled = || Preview::from_answer(Err("DescribeThumbnails: throttled".into()));
        let kept = throttled().after(&shown);
        assert!(
            matches!(&kept, Preview::Frame { stale: Some(why), .. } if why.contains("throttled")),
            "{kept:?}"
        );
        assert_eq!(
            kept.new_failure(&shown),
            Some("DescribeThumbnails: throttled")
        );
        let again = throttled().after(&kept);
        assert_eq!(
            again.new_failure(&kept),
            None,
            "the same failure is logged once"
        );
        let fresh = Preview::from_answer(answer()).after(&again);
        assert!(
            matches!(fresh, Preview::Frame { stale: None, .. }),
            "{fresh:?}"
        );
        // With no frame to keep, a failure says so.
        assert!(matches!(
            throttled().after(&Preview::Waiting),
            Preview::Failed(_)
        ));
    }

    #[test]
    fn answers_become_previews() {
        let frame = Thumbnail {
            body: jpeg(16, 9, [255, 255, 255]),
            content_type: "image/jpeg".into(),
            taken_at: None,
        };
        assert!(matches!(
            Preview::from_answer(Ok(Some(frame))),
            Preview::Frame { .. }
        ));
        assert_eq!(Preview::from_answer(Ok(None)), Preview::NoFrame);
        let broken = Thumbnail {
            body: b"nope".to_vec(),
            content_type: "image/jpeg".into(),
            taken_at: None,
        };
        let failed = Preview::from_answer(Ok(Some(broken)));
        assert!(
            matches!(&failed, Preview::Failed(m) if m.contains("not an image")),
            "{failed:?}"
        );
        assert_eq!(
            failed.new_failure(&Preview::Waiting),
            Some(match &failed {
                Preview::Failed(m) => m.as_str(),
                _ => unreachable!(),
            })
        );
        assert_eq!(failed.new_failure(&failed.clone()), None);
    }

    #[test]
    fn pixels_refuse_a_wrong_length() {
        assert!(Pixels::new(2, 2, vec![0; 11]).is_none());
        assert!(Pixels::new(0, 0, Vec::new()).is_none());
        assert!(Pixels::new(2, 2, vec![0; 12]).is_some());
    }
}
