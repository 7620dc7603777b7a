//! The performance yardstick of design §8: a bare actix-web + sqlx program that serves one
//! event by key from the same SQLite file as JSON, with none of the OData layers. The load
//! script (`tests/load/run.sh`) measures it next to `autopilot-server`.
//!
//! Usage: `bare_key_read <sqlite-url> <listen-addr>`

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Map, Value};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions, SqliteRow};
use sqlx::{Column, Row, TypeInfo, ValueRef};
use std::str::FromStr;

async fn event(pool: web::Data<SqlitePool>, id: web::Path<String>) -> HttpResponse {
    let row = sqlx::query("SELECT * FROM autopilot_events WHERE \"_tenant\" = '' AND id = ?")
        .bind(id.into_inner())
        .fetch_optional(pool.get_ref())
        .await;
    match row {
        Ok(Some(row)) => HttpResponse::Ok()
            .content_type("application/json")
            .body(Value::Object(to_json(&row)).to_string()),
        Ok(None) => HttpResponse::NotFound().finish(),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

/// Every column as a JSON member, typed by its SQLite storage class.
fn to_json(row: &SqliteRow) -> Map<String, Value> {
    let mut out = Map::new();
    for (i, column) in row.columns().iter().enumerate() {
        let value = match row.try_get_raw(i) {
            Ok(raw) if raw.is_null() => Value::Null,
            Ok(raw) => match raw.type_info().name() {
                "INTEGER" => row
                    .try_get::<i64, _>(i)
                    .map(Value::from)
                    .unwrap_or(Value::Null),
                "REAL" => row
                    .try_get::<f64, _>(i)
                    .map(Value::from)
                    .unwrap_or(Value::Null),
                _ => row
                    .try_get::<String, _>(i)
                    .map(Value::from)
                    .unwrap_or(Value::Null),
            },
            Err(_) => Value::Null,
        };
        out.insert(column.name().to_owned(), value);
    }
    out
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let url = args
        .next()
        .unwrap_or_else(|| "sqlite://autopilot.db".into());
    let listen = args.next().unwrap_or_else(|| "127.0.0.1:18932".into());
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(SqliteConnectOptions::from_str(&url)?.read_only(true))
        .await?;
    let pool = web::Data::new(pool);
    HttpServer::new(move || {
        App::new()
            .app_data(pool.clone())
            .route("/e/{id}", web::get().to(event))
    })
    .bind(listen)?
    .run()
    .await?;
    Ok(())
}
