// The migrations and static files are embedded in the binary. A file added to (or removed
// from) those folders must rebuild the crate, not only a changed one.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=static");
    println!("cargo:rerun-if-changed=templates");
}
