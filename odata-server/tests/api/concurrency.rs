//! 16 concurrent clients doing mixed POST/PATCH/DELETE/GET against one SQLite file: no
//! request fails (no `SQLITE_BUSY` reaches a client), every acknowledged write is visible
//! afterwards and the counts add up.

use std::collections::BTreeMap;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, product, spawn_with};

const CLIENTS: u64 = 16;
const REQUESTS_PER_CLIENT: u64 = 150;

/// A tiny deterministic generator, so a failure replays the same operations.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}

/// Runs one client's operations on its own keys; returns the acknowledged final state
/// (sku → stock) and the keys it deleted.
async fn client(app: &TestApp, id: u64) -> (BTreeMap<String, i64>, Vec<String>) {
    let mut rng = Lcg(id * 7919 + 1);
    let mut live: BTreeMap<String, i64> = BTreeMap::new();
    let mut deleted = Vec::new();
    let mut next = 0;
    for step in 0..REQUESTS_PER_CLIENT {
        let roll = rng.below(100);
        let pick = |rng: &mut Lcg, live: &BTreeMap<String, i64>| {
            let i = rng.below(live.len() as u64) as usize;
            live.keys().nth(i).cloned().unwrap()
        };
        if live.is_empty() || roll < 35 {
            let sku = format!("c{id}-{next}");
            next += 1;
            let r = app
                .post_json("products", &product(&sku))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::CREATED, "POST {sku}");
            live.insert(sku, 3);
        } else if roll < 60 {
            let sku = pick(&mut rng, &live);
            let stock = (id * 1000 + step) as i64;
            let r = app
                .patch_json(&format!("products('{sku}')"), &json!({"stock": stock}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "PATCH {sku}");
            live.insert(sku, stock);
        } else if roll < 72 {
            let sku = pick(&mut rng, &live);
            let r = app
                .client
                .delete(app.url(&format!("products('{sku}')")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::NO_CONTENT, "DELETE {sku}");
            live.remove(&sku);
            deleted.push(sku);
        } else if roll < 92 {
            let sku = pick(&mut rng, &live);
            let r = app.get(&format!("products('{sku}')")).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "GET {sku}");
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["stock"], live[&sku], "read-your-writes for {sku}");
        } else {
            let r = app.get("products?$top=20").send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "GET collection");
        }
    }
    (live, deleted)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_clients_mixed_writes_all_acknowledged_writes_survive() {
    let app = std::sync::Arc::new(spawn_with(|s| s.reader_connections = 4).await);
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|id| {
            let app = app.clone();
            tokio::spawn(async move { client(&app, id).await })
        })
        .collect();
    let mut expected: BTreeMap<String, i64> = BTreeMap::new();
    let mut deleted = Vec::new();
    for task in tasks {
        let (live, gone) = task.await.unwrap();
        expected.extend(live);
        deleted.extend(gone);
    }
    assert!(!expected.is_empty() && !deleted.is_empty());
    let count: usize = app
        .get("products/$count")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(count, expected.len(), "final count");
    for (sku, stock) in &expected {
        let body: Value = app.get_json(&format!("products('{sku}')")).await;
        assert_eq!(&body["stock"], stock, "{sku}");
    }
    for sku in &deleted {
        let r = app.get(&format!("products('{sku}')")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{sku} was deleted");
    }
}

/// Concurrent writes share commits; one that fails (a duplicate key, a stale ETag) fails
/// alone and takes none of the writes committed with it down.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failing_writes_among_concurrent_ones_fail_alone() {
    let app = std::sync::Arc::new(spawn_with(|s| s.reader_connections = 4).await);
    let r = app
        .post_json("products", &product("dup"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|id| {
            let app = app.clone();
            tokio::spawn(async move {
                for step in 0..20 {
                    let (sku, expected) = match step % 3 {
                        0 => (format!("f{id}-{step}"), StatusCode::CREATED),
                        _ => ("dup".to_owned(), StatusCode::CONFLICT),
                    };
                    let r = app
                        .post_json("products", &product(&sku))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), expected, "POST {sku}");
                    let r = app
                        .patch_json("products('dup')", &json!({"stock": 1}))
                        .header("If-Match", "W/\"0\"")
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), StatusCode::PRECONDITION_FAILED);
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    let count = app
        .get("products/$count")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(count, (1 + CLIENTS * 7).to_string());
    for id in 0..CLIENTS {
        for step in (0..20).step_by(3) {
            let r = app
                .get(&format!("products('f{id}-{step}')"))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::OK, "f{id}-{step}");
        }
    }
}
