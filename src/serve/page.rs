//! The read-only status page: one HTML file with a little vanilla JavaScript, embedded in the
//! binary (no build step, no CDN: it works offline on a control box's LAN). It reads the API
//! with `fetch` and follows `/api/events` through a `ReadableStream`, sending the read token (if
//! one is needed, asked once and kept in sessionStorage) as a header, never in the URL.

pub const HTML: &str = include_str!("page.html");
