//! The binary's authentication flags and its secure default: without authentication it
//! serves loopback only, `--auth none` is explicit and logged, secrets never reach the log.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const SECRET: &str = "binary-test-secret-with-at-least-32-bytes";

struct Server {
    child: Child,
    port: Option<u16>,
    log: Vec<String>,
    /// Further stderr lines; the reader thread keeps the pipe drained.
    rest: mpsc::Receiver<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary with `args` and `env` until it logs its port or exits.
#[allow(clippy::zombie_processes)] // reaped by `Server::drop`
fn run(args: &[&str], env: &[(&str, &str)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_autopilot-server"));
    command
        .args(args)
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/ap.db?mode=rwc", dir.keep().display()),
        )
        .env("RUST_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for var in [
        "AUTH_MODE",
        "AUTH_HS256_SECRET",
        "AUTH_AUDIENCE",
        "AUTH_ISSUER",
    ] {
        command.env_remove(var);
    }
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut log = Vec::new();
    while let Ok(line) = rx.recv_timeout(Duration::from_secs(60)) {
        let port = line
            .split_whitespace()
            .find_map(|w| w.strip_prefix("port="))
            .and_then(|p| p.parse().ok());
        log.push(line);
        if port.is_some() {
            return Server {
                child,
                port,
                log,
                rest: rx,
            };
        }
    }
    // stderr closed: the process exited.
    Server {
        child,
        port: None,
        log,
        rest: rx,
    }
}

#[test]
fn without_auth_a_non_loopback_address_is_refused() {
    let mut server = run(&["--listen", "0.0.0.0:0"], &[]);
    assert_eq!(server.port, None, "must not listen: {:?}", server.log);
    let status = server.child.wait().unwrap();
    assert!(!status.success());
    assert!(
        server.log.iter().any(|l| l.contains("--auth none")),
        "the error says how to opt out: {:?}",
        server.log
    );
}

#[test]
fn without_auth_loopback_is_served_with_a_warning() {
    let server = run(&["--listen", "127.0.0.1:0"], &[]);
    assert!(server.port.is_some(), "{:?}", server.log);
    assert!(
        server
            .log
            .iter()
            .any(|l| l.contains("WARN") && l.contains("authentication is not configured")),
        "{:?}",
        server.log
    );
}

#[test]
fn explicit_auth_none_serves_any_address_and_warns() {
    let server = run(&["--listen", "0.0.0.0:0", "--auth", "none"], &[]);
    assert!(server.port.is_some(), "{:?}", server.log);
    assert!(
        server
            .log
            .iter()
            .any(|l| l.contains("WARN") && l.contains("authentication is disabled")),
        "{:?}",
        server.log
    );
}

#[tokio::test]
async fn hs256_from_the_environment_and_secrets_stay_out_of_the_log() {
    let mut server = run(
        &["--listen", "0.0.0.0:0"],
        &[
            ("AUTH_MODE", "hs256"),
            ("AUTH_HS256_SECRET", SECRET),
            ("AUTH_AUDIENCE", "api://autopilot"),
            ("AUTH_ISSUER", "https://issuer.test/"),
        ],
    );
    let port = server.port.expect("starts with auth on any address");
    let base = format!("http://127.0.0.1:{port}/beta/deviceManagement/autopilotEvents");
    let client = reqwest::Client::new();
    assert_eq!(client.get(&base).send().await.unwrap().status(), 401);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let claims = serde_json::json!({
        "aud": "api://autopilot", "iss": "https://issuer.test/", "exp": now + 300,
        "tid": "t1", "scp": "DeviceManagementManagedDevices.ReadWrite.All",
    });
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let r = client.get(&base).bearer_auth(&token).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = client
        .get(&base)
        .bearer_auth("garbage.token.value")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // Stop the server and read everything it logged (at debug level).
    let _ = Command::new("kill")
        .arg("-TERM")
        .arg(server.child.id().to_string())
        .status();
    let exit = server.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
    let rest: Vec<String> = server.rest.iter().collect(); // until the pipe closes
    let log = format!("{}\n{}", server.log.join("\n"), rest.join("\n"));
    assert!(
        log.contains("bearer token rejected"),
        "debug log of the rejection"
    );
    assert!(!log.contains(SECRET), "the secret was logged");
    assert!(!log.contains(&token), "a token was logged");
    assert!(!log.contains("garbage.token.value"), "a token was logged");
}

#[test]
fn incomplete_auth_configuration_refuses_to_start() {
    for env in [
        vec![("AUTH_MODE", "hs256")],
        vec![
            ("AUTH_MODE", "hs256"),
            ("AUTH_HS256_SECRET", SECRET),
            ("AUTH_AUDIENCE", "a"),
        ],
        vec![
            ("AUTH_MODE", "hs256"),
            ("AUTH_HS256_SECRET", "short"),
            ("AUTH_AUDIENCE", "a"),
            ("AUTH_ISSUER", "i"),
        ],
        vec![
            ("AUTH_MODE", "jwks"),
            ("AUTH_AUDIENCE", "a"),
            ("AUTH_ISSUER", "i"),
        ],
    ] {
        let mut server = run(&["--listen", "127.0.0.1:0"], &env);
        assert_eq!(server.port, None, "{env:?}: {:?}", server.log);
        assert!(!server.child.wait().unwrap().success());
        assert!(!server.log.join("\n").contains(SECRET));
    }
}
