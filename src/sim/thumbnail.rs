//! DescribeThumbnails: a running channel's current frame. The simulator has no video, so it draws
//! a test pattern: colour bars, a square that moves with the clock (so the preview visibly
//! refreshes) at a height that differs per channel, and a seconds bar along the bottom. While
//! the flow's source is lost the frame is black with a grey "no signal" box, as MediaLive's
//! input-loss slate would be.

use super::errors::not_found;
use super::world::World;
use crate::cloud::{ChannelState, CloudError, ErrorKind, Thumbnail};
use image::ExtendedColorType;
use image::codecs::jpeg::JpegEncoder;
use time::OffsetDateTime;

const CALL: &str = "DescribeThumbnails";
/// The frame size; AWS's thumbnails are small too.
pub(crate) const WIDTH: u32 = 320;
pub(crate) const HEIGHT: u32 = 180;
/// MediaLive makes a new thumbnail every 2 s.
const EVERY_SECONDS: i64 = 2;
const QUALITY: u8 = 80;

type Rgb = [u8; 3];

/// 75 % bars, left to right, as in SMPTE ECR 1-1978.
const BARS: [Rgb; 7] = [
    [191, 191, 191],
    [191, 191, 0],
    [0, 191, 191],
    [0, 191, 0],
    [191, 0, 191],
    [191, 0, 0],
    [0, 0, 191],
];
/// The thin band under the bars: the bars' complements, interleaved with black.
const CASTELLATIONS: [Rgb; 7] = [
    [0, 0, 191],
    [19, 19, 19],
    [191, 0, 191],
    [19, 19, 19],
    [0, 191, 191],
    [19, 19, 19],
    [191, 191, 191],
];
const BOTTOM: [Rgb; 4] = [[0, 33, 76], [255, 255, 255], [50, 0, 106], [19, 19, 19]];

impl World {
    pub(crate) fn describe_thumbnails(
        &mut self,
        channel_id: &str,
    ) -> Result<Option<Thumbnail>, CloudError> {
        let channel = self
            .visible_channel(channel_id)
            .ok_or_else(|| not_found(CALL, "Channel", channel_id))?;
        if channel.state != ChannelState::Running {
            return Ok(None);
        }
        // Frames are taken on a 2 s beat: two calls within one beat see the same frame.
        let now = self.wall_now();
        let taken_at =
            now - time::Duration::seconds(now.unix_timestamp().rem_euclid(EVERY_SECONDS));
        let taken_at = taken_at.replace_nanosecond(0).unwrap_or(taken_at);
        let pixels = test_pattern(taken_at, channel_hash(channel_id), self.source_dropped(now));
        let body = jpeg(&pixels, WIDTH, HEIGHT)?;
        Ok(Some(Thumbnail {
            body,
            content_type: "image/jpeg".into(),
            taken_at: Some(taken_at),
        }))
    }
}

fn channel_hash(id: &str) -> u32 {
    // FNV-1a: stable across runs, unlike the std hasher.
    id.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// The frame at `at` as packed RGB, WIDTH × HEIGHT.
pub(crate) fn test_pattern(at: OffsetDateTime, channel: u32, source_lost: bool) -> Vec<u8> {
    let (w, h) = (WIDTH as usize, HEIGHT as usize);
    let mut rgb = vec![0u8; w * h * 3];
    let mut put = |x: usize, y: usize, c: Rgb| {
        if x < w && y < h {
            let i = (y * w + x) * 3;
            rgb[i..i + 3].copy_from_slice(&c);
        }
    };
    if source_lost {
        for y in h * 2 / 5..h * 3 / 5 {
            for x in w / 3..w * 2 / 3 {
                put(x, y, [64, 64, 64]);
            }
        }
        return rgb;
    }
    let bars_end = h * 2 / 3;
    let castellations_end = h * 3 / 4;
    for y in 0..h {
        for x in 0..w {
            let colour = if y < bars_end {
                BARS[x * 7 / w]
            } else if y < castellations_end {
                CASTELLATIONS[x * 7 / w]
            } else {
                BOTTOM[(x * 4 / w).min(3)]
            };
            put(x, y, colour);
        }
    }
    // The moving square: one pass across in 16 s, at a height of its own per channel.
    let seconds = at.unix_timestamp();
    let size = h / 6;
    let left = (seconds.rem_euclid(16) as usize) * (w - size) / 15;
    let top = (channel as usize % 4) * (bars_end - size) / 3;
    for y in top..top + size {
        for x in left..left + size {
            let edge = y < top + 2 || y >= top + size - 2 || x < left + 2 || x >= left + size - 2;
            put(x, y, if edge { [0, 0, 0] } else { [255, 255, 255] });
        }
    }
    // Seconds of the minute, as a bar along the bottom edge.
    let filled = (seconds.rem_euclid(60) as usize + 1) * w / 60;
    for y in h - 4..h {
        for x in 0..filled {
            put(x, y, [255, 255, 255]);
        }
    }
    rgb
}

pub(crate) fn jpeg(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>, CloudError> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, QUALITY)
        .encode(rgb, width, height, ExtendedColorType::Rgb8)
        .map_err(|e| CloudError::new(CALL, ErrorKind::Other, format!("test pattern: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::*;
    use super::*;
    use crate::cloud::MediaLive;
    use image::GenericImageView;

    fn decode(bytes: &[u8]) -> image::DynamicImage {
        image::load_from_memory_with_format(bytes, image::ImageFormat::Jpeg).unwrap()
    }

    #[tokio::test(start_paused = true)]
    async fn a_running_channel_serves_a_jpeg_test_pattern_that_moves() {
        let sim = sim();
        let (_, ch) = running_channel(&sim, "yt").await;
        let first = sim
            .describe_thumbnails(&ch)
            .await
            .unwrap()
            .expect("a frame");
        assert_eq!(first.content_type, "image/jpeg");
        assert_eq!(&first.body[..2], &[0xFF, 0xD8], "JPEG SOI marker");
        let img = decode(&first.body);
        assert_eq!(img.dimensions(), (WIDTH, HEIGHT));
        // The first bar is grey, the last blue (JPEG is lossy: roughly).
        let [r, g, b, _] = img.get_pixel(5, 5).0;
        assert!(r > 150 && g > 150 && b > 150, "{r} {g} {b}");
        let [r, g, b, _] = img.get_pixel(WIDTH - 20, 20).0;
        assert!(b > 150 && r < 60 && g < 60, "{r} {g} {b}");
        assert!(first.taken_at.is_some());

        secs(4.0).await;
        let later = sim
            .describe_thumbnails(&ch)
            .await
            .unwrap()
            .expect("a frame");
        assert_ne!(first.body, later.body, "the pattern moves with the clock");
        assert!(later.taken_at > first.taken_at);
        assert_eq!(sim.call_counts().get(CALL), Some(&2));
    }

    #[tokio::test(start_paused = true)]
    async fn an_idle_channel_has_no_frame_and_an_unknown_one_is_not_found() {
        let sim = sim();
        let (_, ch) = idle_channel(&sim, "yt").await;
        assert_eq!(sim.describe_thumbnails(&ch).await.unwrap(), None);
        let e = sim.describe_thumbnails("9999999").await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::NotFound);
    }

    #[tokio::test(start_paused = true)]
    async fn injected_faults_apply_to_describe_thumbnails() {
        let sim = sim();
        let (_, ch) = running_channel(&sim, "yt").await;
        sim.apply_fault_command("fail DescribeThumbnails throttled")
            .unwrap();
        let e = sim.describe_thumbnails(&ch).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Throttled);
    }

    #[test]
    fn a_lost_source_draws_the_black_slate() {
        let at = time::macros::datetime!(2026-11-25 10:00 UTC);
        let lost = test_pattern(at, 1, true);
        assert_eq!(&lost[..3], &[0, 0, 0]);
        let live = test_pattern(at, 1, false);
        assert_ne!(&live[..3], &[0, 0, 0]);
    }
}
