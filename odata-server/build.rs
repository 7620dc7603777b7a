//! The framework's tests embed their model's migrations with `sqlx::migrate!`; rebuild
//! when one is added or changed.
fn main() {
    println!("cargo:rerun-if-changed=tests/migrations");
}
