//! A picture drawn with upper half blocks: each cell is two pixels, the top one the foreground
//! colour of '▀', the bottom one the background. Plain text and colour escapes only, so it works
//! over any SSH session (no sixel, kitty or iTerm protocol needed).
//!
//! Monochrome (NO_COLOR, `:theme mono`) can't carry colour at all (crossterm drops it), so the
//! picture becomes shade characters by brightness instead: a rough but recognisable image.

use crate::tui::preview::Pixels;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::widgets::Widget;

const UPPER_HALF: &str = "▀";
const SHADES: [&str; 5] = [" ", "░", "▒", "▓", "█"];

pub struct HalfBlocks<'a> {
    pixels: &'a Pixels,
    mono: bool,
}

impl<'a> HalfBlocks<'a> {
    pub fn new(pixels: &'a Pixels) -> Self {
        Self {
            pixels,
            mono: false,
        }
    }

    pub fn mono(mut self, mono: bool) -> Self {
        self.mono = mono;
        self
    }
}

/// The largest picture, in (columns, pixel rows), that fits `cols` × `rows` cells keeping the
/// image's aspect. A cell is about twice as tall as wide, so its two half-block pixels are square.
pub fn fit(image_w: u16, image_h: u16, cols: u16, rows: u16) -> (u16, u16) {
    if image_w == 0 || image_h == 0 || cols == 0 || rows == 0 {
        return (0, 0);
    }
    let (iw, ih) = (f64::from(image_w), f64::from(image_h));
    let scale = (f64::from(cols) / iw).min(f64::from(rows) * 2.0 / ih);
    let w = ((iw * scale).round() as u16).clamp(1, cols);
    let h = ((ih * scale).round() as u16).clamp(1, rows * 2);
    (w, h)
}

/// The mean colour of the source pixels under target pixel (tx, ty) of a `tw` × `th` picture.
fn sample(p: &Pixels, tx: u16, ty: u16, tw: u16, th: u16) -> [u8; 3] {
    let span = |t: u16, target: u16, source: u16| {
        let (t, target, source) = (u32::from(t), u32::from(target), u32::from(source));
        let from = t * source / target;
        let to = ((t + 1) * source / target).max(from + 1);
        (from as u16, to as u16)
    };
    let (x0, x1) = span(tx, tw, p.width());
    let (y0, y1) = span(ty, th, p.height());
    let mut sum = [0u32; 3];
    let mut n = 0u32;
    for y in y0..y1 {
        for x in x0..x1 {
            let c = p.get(x, y);
            for (s, v) in sum.iter_mut().zip(c) {
                *s += u32::from(v);
            }
            n += 1;
        }
    }
    let n = n.max(1);
    sum.map(|s| (s / n) as u8)
}

fn luma([r, g, b]: [u8; 3]) -> f64 {
    0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b)
}

impl Widget for HalfBlocks<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let p = self.pixels;
        let (w, h) = fit(p.width(), p.height(), area.width, area.height);
        if w == 0 {
            return;
        }
        let rows = h.div_ceil(2);
        // Centred in the area.
        let left = area.x + (area.width - w) / 2;
        let top = area.y + (area.height - rows) / 2;
        for row in 0..rows {
            for col in 0..w {
                let upper = sample(p, col, row * 2, w, h);
                // An odd height leaves the last row's lower half to the terminal's background.
                let lower = (row * 2 + 1 < h).then(|| sample(p, col, row * 2 + 1, w, h));
                let Some(cell) = buf.cell_mut((left + col, top + row)) else {
                    continue;
                };
                if self.mono {
                    let level = match lower {
                        Some(lower) => (luma(upper) + luma(lower)) / 2.0,
                        None => luma(upper) / 2.0,
                    };
                    let shade = ((level / 255.0) * 4.0).round().clamp(0.0, 4.0) as usize;
                    cell.set_symbol(SHADES[shade])
                        .set_fg(Color::Reset)
                        .set_bg(Color::Reset);
                } else {
                    let [r, g, b] = upper;
                    cell.set_symbol(UPPER_HALF).set_fg(Color::Rgb(r, g, b));
                    match lower {
                        Some([r, g, b]) => cell.set_bg(Color::Rgb(r, g, b)),
                        None => cell.set_bg(Color::Reset),
                    };
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RED: [u8; 3] = [255, 0, 0];
    const GREEN: [u8; 3] = [0, 255, 0];
    const BLUE: [u8; 3] = [0, 0, 255];
    const WHITE: [u8; 3] = [255, 255, 255];

    fn pixels(w: u16, h: u16, rows: &[[u8; 3]]) -> Pixels {
        Pixels::new(w, h, rows.iter().flatten().copied().collect()).unwrap()
    }

    fn rgb(c: [u8; 3]) -> Color {
        Color::Rgb(c[0], c[1], c[2])
    }

    #[test]
    fn two_by_four_pixels_make_two_by_two_cells() {
        // Rows top to bottom: red red / green blue / white white / blue green.
        let p = pixels(2, 4, &[RED, RED, GREEN, BLUE, WHITE, WHITE, BLUE, GREEN]);
        let area = Rect::new(0, 0, 2, 2);
        let mut buf = Buffer::empty(area);
        HalfBlocks::new(&p).render(area, &mut buf);
        let expect = [
            ((0, 0), RED, GREEN),
            ((1, 0), RED, BLUE),
            ((0, 1), WHITE, BLUE),
            ((1, 1), WHITE, GREEN),
        ];
        for ((x, y), fg, bg) in expect {
            let cell = &buf[(x, y)];
            assert_eq!(cell.symbol(), "▀", "({x},{y})");
            assert_eq!(cell.fg, rgb(fg), "fg ({x},{y})");
            assert_eq!(cell.bg, rgb(bg), "bg ({x},{y})");
        }
    }

    #[test]
    fn the_picture_keeps_its_aspect_and_is_centred() {
        // 16:9 in a wide, short area: height decides.
        assert_eq!(fit(160, 90, 100, 9), (32, 18));
        // In a narrow, tall area: width decides.
        assert_eq!(fit(160, 90, 32, 40), (32, 18));
        assert_eq!(fit(160, 90, 0, 10), (0, 0));

        let p = pixels(2, 2, &[RED, RED, RED, RED]);
        let area = Rect::new(0, 0, 6, 3);
        let mut buf = Buffer::empty(area);
        HalfBlocks::new(&p).render(area, &mut buf);
        // A 2×2 picture grows to 6×6 pixels: 6 columns by 3 rows fill the area.
        assert_eq!(buf[(0, 0)].symbol(), "▀");
        assert_eq!(buf[(5, 2)].fg, rgb(RED));
    }

    #[test]
    fn shrinking_averages_the_pixels_under_each_cell() {
        // 4×2 → 2×1 pixel columns: red+blue averaged.
        let p = pixels(4, 4, &[RED, BLUE, RED, BLUE].repeat(4));
        let area = Rect::new(0, 0, 2, 1);
        let mut buf = Buffer::empty(area);
        HalfBlocks::new(&p).render(area, &mut buf);
        assert_eq!(buf[(0, 0)].fg, Color::Rgb(127, 0, 127));
    }

    #[test]
    fn an_odd_height_leaves_the_last_lower_half_to_the_terminal() {
        let p = pixels(1, 3, &[RED, GREEN, BLUE]);
        let area = Rect::new(0, 0, 1, 2);
        let mut buf = Buffer::empty(area);
        HalfBlocks::new(&p).render(area, &mut buf);
        // 1 column wide, so 3 pixels tall: the second row has only its upper half.
        assert_eq!(buf[(0, 1)].fg, rgb(BLUE));
        assert_eq!(buf[(0, 1)].bg, Color::Reset);
    }

    #[test]
    fn monochrome_draws_shades_by_brightness_without_colour() {
        let p = pixels(2, 2, &[WHITE, [0, 0, 0], WHITE, [0, 0, 0]]);
        let area = Rect::new(0, 0, 2, 1);
        let mut buf = Buffer::empty(area);
        HalfBlocks::new(&p).mono(true).render(area, &mut buf);
        assert_eq!(buf[(0, 0)].symbol(), "█");
        assert_eq!(buf[(1, 0)].symbol(), " ");
        assert_eq!(buf[(0, 0)].fg, Color::Reset);
        assert_eq!(buf[(0, 0)].bg, Color::Reset);
    }
}
