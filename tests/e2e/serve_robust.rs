//! The server under abuse keeps serving and loses no operation: many idle connections, clients
//! that send half a request or trickle their headers and stall, event streams dropped mid-way,
//! bad JSON, a huge body, and a start issued in the middle of it all, which completes.

use crate::common::serve::{Server, curl, get_json, start_through_api, wait_for};
use std::io::{Read, Write};
use std::net::TcpStream;

#[test]
fn abusive_clients_neither_stop_the_server_nor_lose_an_operation() {
    // The abuse below comes from one address: without a rate limit it all reaches the server
    // (the limit has its own test).
    let config = crate::common::serve::scratch("robust-config").join("config.toml");
    std::fs::write(&config, "api_rate_limit = 0\n").expect("config");
    let config = config.display().to_string();
    let server = Server::demo("robust", &["--speed", "0.01", "--config", &config], &[]);
    let host = server.base.trim_start_matches("http://").to_string();
    // The sample show settled: two live, nothing under way.
    let list = wait_for(&server, "/api/destinations", 300, |l| {
        l["destinations"].as_array().is_some_and(|d| {
            d.len() == 4
                && d.iter().filter(|d| d["status"] == "running").count() == 2
                && d.iter().all(|d| d["operation"].is_null())
        })
    });
    let target = list["destinations"]
        .as_array()
        .and_then(|d| d.iter().find(|d| d["status"] != "running"))
        .and_then(|d| d["destinationId"].as_str())
        .expect("a destination not running")
        .to_string();

    // 200 connections that never send a byte, and 20 that send half a request and stall.
    let mut idle: Vec<TcpStream> = (0..200)
        .map(|_| TcpStream::connect(&host).expect("connect"))
        .collect();
    for _ in 0..20 {
        let mut stalled = TcpStream::connect(&host).expect("connect");
        stalled
            .write_all(b"POST /api/destinations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"name\":")
            .expect("half a request");
        idle.push(stalled);
    }
    // 10 that trickle their headers and never finish them (slowloris).
    let mut trickling: Vec<TcpStream> = (0..10)
        .map(|_| {
            let mut slow = TcpStream::connect(&host).expect("connect");
            slow.write_all(b"GET /api/destinations HTTP/1.1\r\nHost: x\r\nX-Slow: 1")
                .expect("part of a header");
            slow
        })
        .collect();
    // 30 event streams, each dropped after its first bytes.
    for _ in 0..30 {
        let mut stream = TcpStream::connect(&host).expect("connect");
        stream
            .write_all(b"GET /api/events HTTP/1.1\r\nHost: x\r\n\r\n")
            .expect("subscribe");
        let mut first = [0u8; 64];
        let _ = stream.read(&mut first);
        drop(stream);
    }
    // Bad JSON and a body far over the limit.
    let bad = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-X",
        "POST",
        &server.url("/api/destinations"),
        "-H",
        "Content-Type: application/json",
        "-d",
        "{not json",
    ]);
    assert_eq!(String::from_utf8_lossy(&bad.stdout), "400");
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(1 << 20));
    let body_file = crate::common::serve::scratch("robust-body").join("huge.json");
    std::fs::write(&body_file, huge).expect("body file");
    let too_large = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-X",
        "POST",
        &server.url("/api/destinations"),
        "-H",
        "Content-Type: application/json",
        "--data-binary",
        &format!("@{}", body_file.display()),
    ]);
    assert_eq!(String::from_utf8_lossy(&too_large.stdout), "413");

    // In the middle of it all, a start: accepted, and it completes.
    assert_eq!(start_through_api(&server, &target), "202");
    wait_for(&server, &format!("/api/destinations/{target}"), 300, |d| {
        d["status"] == "running"
    });
    // The stalled requests were cut off by the request timeout (408) rather than held forever.
    let mut answered = 0;
    for stalled in idle.iter_mut().skip(200) {
        let mut reply = [0u8; 12];
        let _ = stalled.set_read_timeout(Some(std::time::Duration::from_secs(15)));
        let n = stalled.read(&mut reply).unwrap_or(0);
        if reply[..n].starts_with(b"HTTP/1.1 408") {
            answered += 1;
        }
    }
    assert_eq!(answered, 20, "stalled requests not timed out");
    // The trickling ones were closed at the header deadline, not held open.
    for slow in &mut trickling {
        let _ = slow.set_read_timeout(Some(std::time::Duration::from_secs(15)));
        let mut reply = [0u8; 64];
        let closed = match slow.read(&mut reply) {
            Ok(0) => true,
            Ok(n) => reply[..n].starts_with(b"HTTP/1.1 408"),
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        };
        assert!(closed, "a connection trickling its headers was held open");
    }
    let list = get_json(&server, "/api/destinations", &[]);
    assert_eq!(list["destinations"].as_array().map(Vec::len), Some(4));
    drop(idle);
    let (status, _, stderr) = server.stop();
    assert!(status.success(), "{stderr}");
}
