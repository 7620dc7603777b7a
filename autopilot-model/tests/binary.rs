//! The `autopilot-server` binary's run contract: flags and env, health endpoints, clean
//! exit on SIGTERM with the database closed.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

struct Server {
    child: Child,
    port: u16,
    log: mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        // Never leave a server behind, whatever the test did.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary on a free port and waits for its "listening" line. The child is
/// owned by the returned `Server`, whose `Drop` reaps it.
#[allow(clippy::zombie_processes)]
fn start(dir: &std::path::Path, extra_env: &[(&str, &str)]) -> Server {
    let mut command = Command::new(env!("CARGO_BIN_EXE_autopilot-server"));
    command
        .arg("--listen")
        .arg("127.0.0.1:0")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/ap.db?mode=rwc", dir.display()),
        )
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in extra_env {
        command.env(k, v);
    }
    let mut child = command.spawn().expect("binary starts");
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
            .recv_timeout(Duration::from_secs(30))
            .expect("server logged its port");
        if let Some(port) = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("port="))
            .and_then(|p| p.parse().ok())
        {
            return Server {
                child,
                port,
                log: rx,
            };
        }
    }
}

#[tokio::test]
async fn serves_health_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), &[("BASE_PATH", "beta")]);
    let base = format!("http://127.0.0.1:{}", server.port);
    let client = reqwest::Client::new();
    for path in ["/healthz", "/readyz", "/beta/$metadata"] {
        let r = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert!(r.headers().contains_key("request-id"));
    }
    let r = client
        .post(format!("{base}/beta/deviceManagement/autopilotEvents"))
        .json(&serde_json::json!({"deviceSerialNumber": "SN"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let status = Command::new("kill")
        .arg("-TERM")
        .arg(server.child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "exit status {exit:?}");
    // Every line up to the end of its stderr: the reader thread may still be forwarding
    // the last ones when the process has exited.
    let log: Vec<String> = server.log.iter().collect();
    assert!(
        log.iter().any(|l| l.contains("autopilot-server stopped")),
        "{log:?}"
    );
    assert!(
        log.iter().any(|l| l.contains("status=201")),
        "request log line: {log:?}"
    );

    // The database was closed cleanly and keeps the write: a restart serves it.
    let mut again = start(dir.path(), &[]);
    let r = client
        .get(format!(
            "http://127.0.0.1:{}/beta/deviceManagement/autopilotEvents/$count",
            again.port
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "1");
    again.child.kill().unwrap();
}
