//! The real binary's `migrate-to-postgres`, as an operator runs it.

use std::path::Path;
use std::process::{Output, Stdio};

use tokio::process::{Child, Command};

const BIN: &str = env!("CARGO_BIN_EXE_frontdesk");

/// `frontdesk migrate-to-postgres --from <db> --to <url> <extra>`, with a clean environment.
pub fn command(from: &Path, url: &str, extra: &[&str]) -> Command {
    let mut command = bare_command(from);
    command.args(["--to", url]).args(extra);
    command
}

/// `frontdesk migrate-to-postgres --from <db>`, with a clean environment.
fn bare_command(from: &Path) -> Command {
    let mut command = Command::new(BIN);
    command
        .env_clear()
        .env("RUST_LOG", "warn")
        .arg("migrate-to-postgres")
        .arg("--from")
        .arg(from)
        .stdin(Stdio::null())
        .kill_on_drop(true);
    command
}

/// Runs the command without `--to`, with `DATABASE_URL` set to `database_url` if given.
pub async fn run_without_to(from: &Path, database_url: Option<&str>) -> Output {
    let mut command = bare_command(from);
    if let Some(url) = database_url {
        command.env("DATABASE_URL", url);
    }
    crate::helpers::within("migrate-to-postgres", command.output())
        .await
        .expect("the binary runs")
}

/// Runs the command to its end.
pub async fn run(from: &Path, url: &str, extra: &[&str]) -> Output {
    crate::helpers::within("migrate-to-postgres", command(from, url, extra).output())
        .await
        .expect("the binary runs")
}

/// Starts the command in the background (its output is not kept).
/// Starts a run with `--pause-after-batches` in `extra` and answers once it says it has paused
/// with a batch written but not committed (a line on its standard error).
pub async fn start_until_paused(from: &Path, url: &str, extra: &[&str]) -> Child {
    use tokio::io::AsyncBufReadExt;
    let mut child = command(from, url, extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut lines = tokio::io::BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut said = Vec::new();
    while let Some(line) = lines.next_line().await.expect("read the run's stderr") {
        if line.contains("paused before committing a batch") {
            // Keep draining, so the paused process never blocks on a full pipe.
            tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
            return child;
        }
        said.push(line);
    }
    panic!("the run ended without pausing: {said:?}");
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts the run succeeded; answers its standard output.
pub fn succeeded(output: &Output) -> String {
    assert!(
        output.status.success(),
        "migrate-to-postgres failed ({}):\n{}\n{}",
        output.status,
        stdout(output),
        stderr(output)
    );
    stdout(output)
}

/// Asserts the run was refused with a message containing each of `words`.
pub fn refused(output: &Output, words: &[&str]) {
    let message = stderr(output);
    assert!(
        !output.status.success(),
        "migrate-to-postgres should have refused:\n{}\n{message}",
        stdout(output)
    );
    for word in words {
        assert!(message.contains(word), "{word:?} in:\n{message}");
    }
}
