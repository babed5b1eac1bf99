//! `onair serve` measured (docs/PERFORMANCE.md):
//!
//! 1. AWS calls in one simulated minute with 0, 1 and 50 clients polling every read route every
//!    second (in process, on the paused clock, counted by the simulator: reads must add none).
//! 2. GET /api/destinations with 50 destinations: p50 / p99 latency and requests a second at 1,
//!    10 and 100 concurrent keep-alive clients, against the real binary (`serve --demo
//!    --sample-size 50`) over loopback.
//! 3. 100 event-stream subscribers while a bulk start of 20 runs: the fan-out delay of each event
//!    (from the first subscriber's receipt to each other's), p50 / p99, and the server process's
//!    CPU time and RSS from /proc.
//!
//! `cargo bench --bench serve` (add `-- --quick` for the short run of tests/perf/quick.sh).
//! The clients run on the same machine as the server: figures include their contention.

mod support;

use onair::serve::{self, ServeOptions, auth::Tokens};
use onair::sim::SimConfig;
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

fn main() {
    let quick = support::quick();
    calls_per_minute();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        latency(quick).await;
        fan_out(quick).await;
    });
}

// ---- 1. reads cost AWS nothing ----

fn calls_per_minute() {
    println!("AWS calls in one simulated minute (refresh every 10 s), simulator call counter");
    println!(
        "{:>8} | {:>10} | {:>9} | {:>10}",
        "clients", "AWS calls", "refreshes", "API reads"
    );
    for clients in [0usize, 1, 50] {
        let rt = support::paused_runtime();
        let (calls, reads) = rt.block_on(async {
            let rig = support::rig(SimConfig::unlimited(), 10);
            for i in 0..5 {
                rig.engine.add(support::draft(i)).expect("add");
            }
            rig.engine.settle().await;
            let ids: Vec<_> = rig.engine.records().iter().map(|r| r.id()).collect();
            for (_, r) in rig.engine.start_many(&ids) {
                r.expect("start");
            }
            rig.engine.settle().await;
            let mut options = ServeOptions::new("127.0.0.1:0".parse().expect("address"));
            options.rate_limit = 0;
            let support::Rig {
                sim,
                engine,
                events,
            } = rig;
            let app = serve::app(engine.clone(), events, &options, Tokens::none());
            let refresh = engine.spawn_refresh_loop();
            tokio::time::sleep(Duration::from_millis(1)).await;
            sim.reset_call_counts();
            let reads = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
            let mut pollers = Vec::new();
            for _ in 0..clients {
                let router = app.router.clone();
                let reads = reads.clone();
                let id = ids[0];
                pollers.push(tokio::spawn(async move {
                    use tower::ServiceExt;
                    let mut tick = tokio::time::interval(Duration::from_secs(1));
                    loop {
                        tick.tick().await;
                        for path in [
                            "/api/destinations".to_string(),
                            format!("/api/destinations/{id}/metrics"),
                            "/api/mediaconnect/flow/status".to_string(),
                        ] {
                            let request = axum::http::Request::builder()
                                .uri(path)
                                .body(axum::body::Body::empty())
                                .expect("request");
                            let response = router.clone().oneshot(request).await.expect("answer");
                            assert!(response.status().is_success());
                            reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        }
                    }
                }));
            }
            tokio::time::sleep(Duration::from_secs(60)).await;
            for p in pollers {
                p.abort();
            }
            refresh.abort();
            let counts = sim.call_counts();
            (counts, reads.load(std::sync::atomic::Ordering::Relaxed))
        });
        let total: u64 = calls.values().sum();
        let refreshes = calls.get("ListChannels").copied().unwrap_or(0);
        println!("{clients:>8} | {total:>10} | {refreshes:>9} | {reads:>10}");
    }
}

// ---- the real binary ----

struct Server {
    child: Child,
    addr: String,
    _dir: std::path::PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_server(name: &str, args: &[&str]) -> Server {
    use std::io::BufRead;
    let dir = std::env::temp_dir().join(format!("onair-bench-serve-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let config = dir.join("config.toml");
    std::fs::write(
        &config,
        "channel_quota = 60\ninput_quota = 60\napi_rate_limit = 0\n",
    )
    .expect("config");
    let mut child = Command::new(env!("CARGO_BIN_EXE_onair"))
        .args(["--config", &config.display().to_string(), "serve", "--demo"])
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .env("XDG_STATE_HOME", &dir)
        .env("HOME", &dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("onair serve");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let addr = line
        .trim()
        .trim_start_matches("onair serve: listening on http://")
        .to_string();
    Server {
        child,
        addr,
        _dir: dir,
    }
}

/// One request on a keep-alive connection; the body's bytes.
async fn request(
    conn: &mut BufReader<TcpStream>,
    method: &str,
    path: &str,
    body: &str,
) -> std::io::Result<(u16, Vec<u8>)> {
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    conn.get_mut().write_all(head.as_bytes()).await?;
    let mut status = 0;
    let mut length = 0usize;
    let mut line = String::new();
    loop {
        line.clear();
        if conn.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if let Some(code) = l.strip_prefix("HTTP/1.1 ") {
            status = code.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
        } else if let Some((k, v)) = l.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    conn.read_exact(&mut body).await?;
    Ok((status, body))
}

async fn connect(addr: &str) -> BufReader<TcpStream> {
    BufReader::new(TcpStream::connect(addr).await.expect("connect"))
}

async fn list(addr: &str) -> serde_json::Value {
    let mut conn = connect(addr).await;
    let (_, body) = request(&mut conn, "GET", "/api/destinations", "")
        .await
        .expect("list");
    serde_json::from_slice(&body).expect("json")
}

async fn wait_until(addr: &str, what: &str, done: impl Fn(&serde_json::Value) -> bool) {
    for _ in 0..1200 {
        if done(&list(addr).await) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let last = list(addr).await;
    let states: Vec<String> = last["destinations"]
        .as_array()
        .map(|d| {
            d.iter()
                .map(|d| format!("{} {}", d["status"], d["lastError"]))
                .collect()
        })
        .unwrap_or_default();
    panic!("the server never reached: {what}; states: {states:#?}");
}

fn count_status(list: &serde_json::Value, status: &str) -> usize {
    list["destinations"]
        .as_array()
        .map_or(0, |d| d.iter().filter(|d| d["status"] == status).count())
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

// ---- 2. read latency ----

/// An in-process server on a loopback socket over a simulator without a rate limit (50 chains
/// can't be built in reasonable time under the demo's 5 calls a second), 50 destinations live.
async fn in_process_server() -> (String, tokio::task::JoinHandle<()>) {
    let sim_config = SimConfig {
        speed: 0.001,
        rate_limit: None,
        medialive_metric_resolution: Duration::from_secs(1),
        ..SimConfig::default()
    };
    let rig = support::rig_with(sim_config, 60, |c| {
        c.refresh_interval = Duration::from_secs(2);
        c.metric_period = Duration::from_secs(2);
    });
    for i in 0..50 {
        rig.engine.add(support::draft(i)).expect("add");
    }
    rig.engine.settle().await;
    let ids: Vec<_> = rig.engine.records().iter().map(|r| r.id()).collect();
    for (_, r) in rig.engine.start_many(&ids) {
        r.expect("start");
    }
    rig.engine.settle().await;
    let mut options = ServeOptions::new("127.0.0.1:0".parse().expect("address"));
    options.rate_limit = 0;
    let support::Rig { engine, events, .. } = rig;
    let app = serve::app(engine.clone(), events, &options, Tokens::none());
    let _refresh = engine.spawn_refresh_loop();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    // The binary's own accept loop (header deadline, peer address), not axum's.
    let shutdown = app.shared.shutdown.clone();
    let server = tokio::spawn(async move {
        // Held for as long as it serves: a dropped sender reads as a shutdown.
        let _sender = app.shutdown;
        serve::listener::serve(
            listener,
            app.router,
            shutdown,
            Duration::from_secs(10),
            Duration::from_secs(1),
        )
        .await;
    });
    (addr, server)
}

async fn latency(quick: bool) {
    let (addr, server) = in_process_server().await;
    wait_until(&addr, "50 destinations running", |l| {
        count_status(l, "running") == 50
    })
    .await;
    let window = Duration::from_secs(if quick { 1 } else { 5 });
    println!();
    println!(
        "GET /api/destinations, 50 live destinations (~{} KB a response), keep-alive clients, {} s each",
        list(&addr).await.to_string().len() / 1024,
        window.as_secs()
    );
    println!(
        "{:>8} | {:>9} | {:>9} | {:>10} | {:>7}",
        "clients", "p50", "p99", "requests/s", "errors"
    );
    for clients in [1usize, 10, 100] {
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..clients {
            let addr = addr.clone();
            tasks.push(tokio::spawn(async move {
                let mut conn = connect(&addr).await;
                let mut times = Vec::new();
                let mut errors = 0u64;
                while started.elapsed() < window {
                    let t = Instant::now();
                    match request(&mut conn, "GET", "/api/destinations", "").await {
                        Ok((200, body)) if body.len() > 1000 => times.push(t.elapsed()),
                        _ => errors += 1,
                    }
                }
                (times, errors)
            }));
        }
        let mut all = Vec::new();
        let mut errors = 0;
        for t in tasks {
            let (times, e) = t.await.expect("client");
            all.extend(times);
            errors += e;
        }
        let elapsed = started.elapsed().as_secs_f64();
        all.sort();
        println!(
            "{clients:>8} | {:>7.2}ms | {:>7.2}ms | {:>10.0} | {errors:>7}",
            percentile(&all, 0.5).as_secs_f64() * 1000.0,
            percentile(&all, 0.99).as_secs_f64() * 1000.0,
            all.len() as f64 / elapsed,
        );
    }
    server.abort();
}

// ---- 3. event fan-out ----

/// CPU seconds (user + system) and RSS / peak RSS in MiB of a process, from /proc.
fn proc_usage(pid: u32) -> (f64, f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name's closing parenthesis: utime is the 12th, stime the 13th.
    let after = stat.rsplit_once(") ").map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields
        .get(11)
        .and_then(|u| u.parse::<f64>().ok())
        .unwrap_or(0.0)
        + fields
            .get(12)
            .and_then(|s| s.parse::<f64>().ok())
            .unwrap_or(0.0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kib = |field: &str| {
        status
            .lines()
            .find(|l| l.starts_with(field))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // USER_HZ is 100 on Linux.
    (
        ticks / 100.0,
        kib("VmRSS:") / 1024.0,
        kib("VmHWM:") / 1024.0,
    )
}

async fn fan_out(quick: bool) {
    let subscribers = if quick { 20 } else { 100 };
    // The demo's simulator (5 MediaLive calls a second, as AWS): 20 feeds built and started by
    // --sample-size, then stopped, so the measured bulk start is a start and nothing else.
    let server = spawn_server("fanout", &["--sample-size", "20", "--speed", "0.02"]);
    let addr = server.addr.clone();
    wait_until(&addr, "20 running", |l| count_status(l, "running") >= 20).await;
    let ids: Vec<String> = list(&addr).await["destinations"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|d| d["destinationId"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut conn = connect(&addr).await;
    let body = serde_json::json!({ "ids": ids }).to_string();
    let (status, _) = request(&mut conn, "POST", "/api/destinations/stop", &body)
        .await
        .expect("bulk stop");
    assert_eq!(status, 202);
    let n = ids.len();
    wait_until(&addr, "all idle", |l| count_status(l, "idle") == n).await;

    // Each subscriber: the receipt time of every event id, until it has seen 20 destinations
    // reach running (or 120 s pass).
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(subscribers);
    let mut tasks = Vec::new();
    for _ in 0..subscribers {
        let addr = addr.clone();
        let ready = ready_tx.clone();
        tasks.push(tokio::spawn(async move {
            let mut conn = connect(&addr).await;
            conn.get_mut()
                .write_all(b"GET /api/events HTTP/1.1\r\nHost: bench\r\n\r\n")
                .await
                .expect("subscribe");
            let mut seen: HashMap<u64, Instant> = HashMap::new();
            let mut running = std::collections::HashSet::new();
            let mut line = String::new();
            let mut announced = false;
            let deadline = Instant::now() + Duration::from_secs(120);
            while running.len() < n && Instant::now() < deadline {
                line.clear();
                let read =
                    tokio::time::timeout(Duration::from_secs(5), conn.read_line(&mut line)).await;
                let Ok(Ok(n)) = read else { continue };
                if n == 0 {
                    break;
                }
                if !announced && line.trim_end().is_empty() {
                    // End of the response head: subscribed.
                    announced = true;
                    let _ = ready.send(()).await;
                }
                if let Some(v) = line.strip_prefix("id: ") {
                    let id: u64 = v.trim().parse().unwrap_or(0);
                    seen.entry(id).or_insert_with(Instant::now);
                } else if let Some(data) = line.strip_prefix("data: ")
                    && data.contains("\"status\":\"running\"")
                    && let Some(at) = data.find("\"destinationId\":\"")
                {
                    let from = at + "\"destinationId\":\"".len();
                    running.insert(data.get(from..from + 36).unwrap_or_default().to_string());
                }
            }
            seen
        }));
    }
    drop(ready_tx);
    for _ in 0..subscribers {
        ready_rx.recv().await;
    }
    let pid = server.child.id();
    let (cpu_before, _, _) = proc_usage(pid);
    let started = Instant::now();
    let body = serde_json::json!({ "ids": ids }).to_string();
    let (status, _) = request(&mut conn, "POST", "/api/destinations/start", &body)
        .await
        .expect("bulk start");
    assert_eq!(status, 202);
    wait_until(&addr, "all started", |l| count_status(l, "running") == n).await;
    let wall = started.elapsed();
    // Let the last events reach everyone.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (cpu_after, rss, peak) = proc_usage(pid);
    for t in &tasks {
        t.abort();
    }
    let mut per_subscriber = Vec::new();
    for t in tasks {
        if let Ok(seen) = t.await {
            per_subscriber.push(seen);
        }
    }
    // Fan-out delay: each subscriber's receipt of an event after the first subscriber's.
    let mut first: HashMap<u64, Instant> = HashMap::new();
    for seen in &per_subscriber {
        for (id, at) in seen {
            first
                .entry(*id)
                .and_modify(|f| *f = (*f).min(*at))
                .or_insert(*at);
        }
    }
    let mut delays: Vec<Duration> = per_subscriber
        .iter()
        .flat_map(|seen| seen.iter().map(|(id, at)| at.duration_since(first[id])))
        .collect();
    delays.sort();
    println!();
    println!(
        "{subscribers} event-stream subscribers, bulk start of {n} (real binary, demo simulator at speed 0.02)"
    );
    println!(
        "events {} (per subscriber {}) | fan-out delay p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        delays.len(),
        first.len(),
        percentile(&delays, 0.5).as_secs_f64() * 1000.0,
        percentile(&delays, 0.99).as_secs_f64() * 1000.0,
        delays.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
    );
    println!(
        "server: {:.2} s CPU over {:.1} s ({:.0} % of one core), RSS {:.1} MiB (peak {:.1} MiB)",
        cpu_after - cpu_before,
        wall.as_secs_f64(),
        (cpu_after - cpu_before) / wall.as_secs_f64() * 100.0,
        rss,
        peak
    );
}
