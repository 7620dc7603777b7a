//! Crash safety and graceful shutdown of the real `autopilot-server` binary: an
//! acknowledged write survives `kill -9`, and SIGTERM lets in-flight requests finish.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use sqlx::Connection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const EVENTS: &str = "/beta/deviceManagement/autopilotEvents";

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary on a free port over `dir/ap.db` and waits for its "listening" line.
#[allow(clippy::zombie_processes)] // reaped by `Server::drop`
fn start(dir: &Path) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_autopilot-server"))
        .args(["--listen", "127.0.0.1:0"])
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/ap.db?mode=rwc", dir.display()),
        )
        .env("RUST_LOG", "warn,odata_server::cli=info")
        .env_remove("AUTH_MODE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary starts");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("server logged its port");
        if let Some(port) = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("port="))
            .and_then(|p| p.parse().ok())
        {
            // Keep draining stderr so the server never blocks on a full pipe.
            std::thread::spawn(move || while rx.recv().is_ok() {});
            return Server { child, port };
        }
    }
}

fn signal(server: &Server, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(server.child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
}

fn event(serial: &str) -> serde_json::Value {
    serde_json::json!({
        "deviceSerialNumber": serial,
        "eventDateTime": "2016-12-31T23:59:23.3984029-08:00",
        "deploymentState": "success",
        "deploymentDuration": "PT3M21.5549443S",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_acknowledged_write_survives_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path());
    let url = format!("http://127.0.0.1:{}{EVENTS}", server.port);
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (url, acknowledged, stop) = (url.clone(), acknowledged.clone(), stop.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let Ok(r) = client
                        .post(&url)
                        .json(&event(&format!("SN-{w}-{n}")))
                        .send()
                        .await
                    else {
                        break; // the server is gone
                    };
                    if r.status() != 201 {
                        assert!(!r.status().is_server_error(), "{}", r.status());
                        break;
                    }
                    let Ok(body) = r.json::<serde_json::Value>().await else {
                        break; // killed before the body arrived: not acknowledged
                    };
                    acknowledged
                        .lock()
                        .unwrap()
                        .push(body["id"].as_str().unwrap().to_owned());
                }
            })
        })
        .collect();
    // Kill in the middle of the load, once a few hundred writes were acknowledged.
    while acknowledged.lock().unwrap().len() < 300 {
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.child.kill().unwrap(); // SIGKILL
    server.child.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() >= 300);

    // The file is intact and holds every acknowledged row.
    let db = format!("sqlite://{}/ap.db", dir.path().display());
    let mut conn = sqlx::SqliteConnection::connect(&db).await.unwrap();
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(check, "ok");
    let stored: Vec<String> = sqlx::query_scalar("SELECT id FROM autopilot_events")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let stored: std::collections::BTreeSet<String> = stored.into_iter().collect();
    let lost: Vec<&String> = acknowledged
        .iter()
        .filter(|id| !stored.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged writes lost: {lost:?}",
        lost.len()
    );
    conn.close().await.unwrap();

    // The server starts again on the same database and serves the rows.
    let again = start(dir.path());
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{}{EVENTS}", again.port);
    let count: usize = client
        .get(format!("{base}/$count"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(count, stored.len());
    for id in acknowledged.iter().step_by(25) {
        let r = client.get(format!("{base}/{id}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{id}");
    }
    let r = client
        .post(&base)
        .json(&event("after-restart"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

/// Sends the head and the first half of a POST body, and returns once the request is in
/// flight: a worker has taken up the connection and parsed the head, which it confirms by
/// answering `Expect: 100-continue`. (A connection accepted but not yet taken up by a
/// worker when the shutdown begins is closed with it, as any idle connection.)
async fn half_sent_post(port: u16, body: &[u8]) -> tokio::net::TcpStream {
    const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let head = format!(
        "POST {EVENTS} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&body[..body.len() / 2]).await.unwrap();
    stream.flush().await.unwrap();
    let mut interim = [0; CONTINUE.len()];
    stream.read_exact(&mut interim).await.unwrap();
    assert_eq!(&interim[..], CONTINUE);
    stream
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigterm_lets_in_flight_requests_finish_and_refuses_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path());
    let port = server.port;
    // A large-ish batch of requests, each stopped half-way through its body.
    let bodies: Vec<Vec<u8>> = (0..24)
        .map(|i| event(&format!("IN-FLIGHT-{i}")).to_string().into_bytes())
        .collect();
    let mut streams = Vec::new();
    for body in &bodies {
        streams.push(half_sent_post(port, body).await);
    }
    signal(&server, "TERM");
    // New connections are refused once the listener is closed.
    let mut refused = false;
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        refused,
        "the listener still accepts connections after SIGTERM"
    );

    // The in-flight requests complete normally.
    for (mut stream, body) in streams.into_iter().zip(&bodies) {
        stream.write_all(&body[body.len() / 2..]).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        assert!(
            response.starts_with("HTTP/1.1 201"),
            "{}",
            response.lines().next().unwrap_or_default()
        );
    }
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "exit status {exit:?}");
    assert_eq!(exit.code(), Some(0));

    // Everything acknowledged is there after a restart.
    let again = start(dir.path());
    let count = reqwest::get(format!("http://127.0.0.1:{}{EVENTS}/$count", again.port))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(count, bodies.len().to_string());
}

#[tokio::test]
async fn a_closed_log_pipe_does_not_stop_the_service() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_autopilot-server"))
        .args(["--listen", "127.0.0.1:0"])
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/ap.db?mode=rwc", dir.path().display()),
        )
        .env("RUST_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let port: u16 = loop {
        let line = lines.next().expect("server logged its port").unwrap();
        if let Some(port) = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("port="))
            .and_then(|p| p.parse().ok())
        {
            break port;
        }
    };
    drop(lines); // the log reader goes away: every further log line fails to write
    let server = Server { child, port };
    // Bounded, so a hung server fails the test instead of hanging it.
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{}", server.port);
    for i in 0..20 {
        let r = client
            .post(format!("{base}{EVENTS}"))
            .json(&event(&format!("SN-{i}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }
    let r = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}
