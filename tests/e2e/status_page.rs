//! The status page in a real headless Chromium (installed by tests/setup.sh from Debian's
//! `chromium` package): it loads from `onair serve --demo`, shows the demo's destinations, shows
//! a start made through the API, and renders at phone (390 px) and desktop (1280 px) width.
//! The screenshots are kept as test artefacts in target/artefacts/status-page-*.png.

use crate::common::serve::{Server, curl, get_json, scratch, start_through_api, wait_for};
use std::path::{Path, PathBuf};
use std::process::Command;

fn chromium() -> &'static str {
    // Debian's package installs /usr/bin/chromium; setup.sh installs it.
    "chromium"
}

/// Runs headless Chromium on `url` with `args`, bounded (an open event stream keeps a page
/// busy; `timeout` ends a Chromium that waits for it).
fn headless(url: &str, args: &[&str], profile: &Path) -> std::process::Output {
    Command::new("timeout")
        .args(["-k", "5", "60", chromium()])
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            "--virtual-time-budget=4000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs (tests/setup.sh installs it)")
}

fn dump_dom(url: &str, profile: &Path) -> String {
    let out = headless(url, &["--dump-dom"], profile);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn artefacts() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/artefacts");
    std::fs::create_dir_all(&dir).expect("target/artefacts");
    dir
}

/// A PNG's width and height from its IHDR chunk.
fn png_size(bytes: &[u8]) -> Option<(u32, u32)> {
    if bytes.len() < 24 || &bytes[..8] != b"\x89PNG\r\n\x1a\n" || &bytes[12..16] != b"IHDR" {
        return None;
    }
    let width = u32::from_be_bytes(bytes[16..20].try_into().ok()?);
    let height = u32::from_be_bytes(bytes[20..24].try_into().ok()?);
    Some((width, height))
}

/// The text of the `.state` element in the card of destination `id`.
fn state_in_dom(dom: &str, id: &str) -> Option<String> {
    let card = dom.find(&format!("data-id=\"{id}\""))?;
    let rest = &dom[card..];
    let state = rest.find("class=\"state ")?;
    let rest = &rest[state..];
    let open = rest.find('>')?;
    let close = rest.find("</span>")?;
    Some(rest[open + 1..close].to_string())
}

/// One page kept open in a headless Chromium, read through the DevTools protocol: what the page
/// shows now, without reloading it. Killed when dropped.
struct LivePage {
    chromium: std::process::Child,
    socket: tungstenite::WebSocket<std::net::TcpStream>,
    next_id: u64,
}

impl LivePage {
    fn open(url: &str, profile: &Path) -> Self {
        let _ = std::fs::remove_file(profile.join("DevToolsActivePort"));
        let chromium = Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(url)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("chromium runs (tests/setup.sh installs it)");
        // Chromium writes the port it chose into the profile.
        let port = poll(|| {
            let text = std::fs::read_to_string(profile.join("DevToolsActivePort")).ok()?;
            text.lines().next()?.trim().parse::<u16>().ok()
        });
        let target = poll(|| {
            let out = curl(&["-s", &format!("http://127.0.0.1:{port}/json/list")]);
            let list: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
            list.as_array()?
                .iter()
                .find(|t| t["type"] == "page")
                .and_then(|t| t["webSocketDebuggerUrl"].as_str())
                .map(str::to_string)
        });
        let stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("DevTools port");
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .expect("timeout");
        let (socket, _) = tungstenite::client(target.as_str(), stream).expect("DevTools socket");
        LivePage {
            chromium,
            socket,
            next_id: 1,
        }
    }

    /// `expression` evaluated in the page, as a string (empty when it threw or gave nothing).
    fn eval(&mut self, expression: &str) -> String {
        let id = self.next_id;
        self.next_id += 1;
        let call = serde_json::json!({
            "id": id,
            "method": "Runtime.evaluate",
            "params": { "expression": expression, "returnByValue": true },
        });
        self.socket
            .send(tungstenite::Message::text(call.to_string()))
            .expect("send to DevTools");
        loop {
            let message = self.socket.read().expect("DevTools answer");
            let Ok(text) = message.to_text() else {
                continue;
            };
            let answer: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
            if answer["id"] == id {
                return answer["result"]["result"]["value"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string();
            }
        }
    }
}

impl Drop for LivePage {
    fn drop(&mut self) {
        let _ = self.chromium.kill();
        let _ = self.chromium.wait();
    }
}

/// Retries `f` for up to 30 s.
fn poll<T>(f: impl Fn() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        if let Some(value) = f() {
            return value;
        }
        assert!(std::time::Instant::now() < deadline, "gave up waiting");
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

/// The page follows the event stream: a start made through the API shows on the page that was
/// already open, without a reload.
#[test]
fn an_open_status_page_follows_a_start_without_reloading() {
    let server = Server::demo("live-page", &["--speed", "0.01"], &[]);
    let list = wait_for(&server, "/api/destinations", 300, |l| {
        l["destinations"].as_array().is_some_and(|d| {
            d.len() == 4 && d.iter().filter(|d| d["status"] == "running").count() == 2
        })
    });
    let id = list["destinations"]
        .as_array()
        .and_then(|d| {
            d.iter()
                .find(|d| d["status"] == "idle" || d["status"] == "parked")
        })
        .and_then(|d| d["destinationId"].as_str())
        .expect("an idle destination")
        .to_string();
    let profile = scratch("chromium-live");
    let mut page = LivePage::open(&server.url("/"), &profile);
    let state =
        format!("(document.querySelector('[data-id=\"{id}\"] .state') || {{}}).textContent || ''");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !matches!(page.eval(&state).as_str(), "idle" | "parked") {
        assert!(
            std::time::Instant::now() < deadline,
            "the page never showed the row"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    // Marks the document: a reload would lose the mark.
    page.eval("window.onairTestMark = 'same page'; 'ok'");
    assert_eq!(start_through_api(&server, &id), "202");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while page.eval(&state) != "running" {
        assert!(
            std::time::Instant::now() < deadline,
            "the open page still says {:?}",
            page.eval(&state)
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    assert_eq!(page.eval("window.onairTestMark || ''"), "same page");
    assert!(
        page.eval("document.body.innerText")
            .contains("3 of 4 on air")
    );
    drop(page);
    let (status, _, _) = server.stop();
    assert!(status.success());
}

#[test]
fn the_status_page_shows_the_demo_follows_a_start_and_fits_a_phone() {
    let server = Server::demo("page", &["--speed", "0.01"], &[]);
    // The sample show: four destinations, two of which go live.
    let list = wait_for(&server, "/api/destinations", 300, |l| {
        l["destinations"].as_array().is_some_and(|d| {
            d.len() == 4 && d.iter().filter(|d| d["status"] == "running").count() == 2
        })
    });
    // Idle, or parked already if the demo's (sped-up) park_after has passed.
    let resting = |d: &serde_json::Value| d["status"] == "idle" || d["status"] == "parked";
    let idle = list["destinations"]
        .as_array()
        .and_then(|d| d.iter().find(|d| resting(d)))
        .expect("an idle destination");
    let id = idle["destinationId"].as_str().expect("id").to_string();
    let profile = scratch("chromium-profile");

    let dom = dump_dom(&server.url("/"), &profile);
    for name in ["YouTube main", "YouTube backup", "Twitch", "Restream"] {
        assert!(dom.contains(name), "{name} not on the page:\n{dom}");
    }
    assert!(dom.contains("2 of 4 on air"), "{dom}");
    let shown = state_in_dom(&dom, &id);
    assert!(
        matches!(shown.as_deref(), Some("idle" | "parked")),
        "{shown:?}\n{dom}"
    );
    assert!(dom.contains("ACTIVE"), "flow status missing:\n{dom}");

    assert_eq!(start_through_api(&server, &id), "202");
    wait_for(&server, &format!("/api/destinations/{id}"), 300, |d| {
        d["status"] == "running"
    });
    let dom = dump_dom(&server.url("/"), &profile);
    assert_eq!(state_in_dom(&dom, &id).as_deref(), Some("running"), "{dom}");
    assert!(dom.contains("3 of 4 on air"), "{dom}");
    assert!(dom.contains("<svg class=\"spark\""), "no sparkline:\n{dom}");

    for (name, width, height) in [("phone", 390u32, 844u32), ("desktop", 1280, 800)] {
        let file = artefacts().join(format!("status-page-{name}.png"));
        let _ = std::fs::remove_file(&file);
        let out = headless(
            &server.url("/"),
            &[
                &format!("--screenshot={}", file.display()),
                &format!("--window-size={width},{height}"),
            ],
            &profile,
        );
        let bytes = std::fs::read(&file).unwrap_or_else(|e| {
            panic!(
                "{name} screenshot missing ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert_eq!(png_size(&bytes), Some((width, height)), "{name}");
        // A blank page compresses to a few hundred bytes; a rendered one is many kilobytes.
        assert!(bytes.len() > 10_000, "{name}: only {} bytes", bytes.len());
    }
    let _ = get_json(&server, "/api/destinations", &[]);
    let (status, _, _) = server.stop();
    assert!(status.success());
}
