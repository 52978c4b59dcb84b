//! schemathesis against the built binary: every operation of /api/openapi.json with generated
//! input, once with a user token and once with an agent token; no answer may be a 5xx or fall
//! outside its documented schema.
//!
//! The server and schemathesis run in a network namespace of their own with only a loopback
//! interface: generated input can create webhooks to any address, and their deliveries must
//! not leave this machine.

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use serde_json::json;

use crate::helpers::*;
use crate::process::{Server, run};

const INSTALL: &str = "scripts/install-test-deps.sh";

/// Generated cases per operation and phase: enough to find what breaks, fast enough for CI.
/// `SCHEMATHESIS_MAX_EXAMPLES` asks for a deeper run.
const MAX_EXAMPLES: &str = "20";

/// The schemathesis the install script put in the project's tool folder, or one on `PATH`.
fn schemathesis() -> PathBuf {
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join(".tools/venv/bin/schemathesis");
    if local.exists() {
        return local;
    }
    let on_path = Command::new("schemathesis")
        .arg("--version")
        .output()
        .is_ok_and(|out| out.status.success());
    if on_path {
        return PathBuf::from("schemathesis");
    }
    panic!("schemathesis is not installed: run {INSTALL} (CI runs it before the tests)");
}

/// Moves the calling thread (and every process it starts) into a new network namespace whose
/// only interface, loopback, is up.
fn isolate_network() -> io::Result<()> {
    // SAFETY: plain system calls on this thread's own namespace and a socket it owns.
    unsafe {
        if libc::unshare(libc::CLONE_NEWNET) != 0 {
            return Err(io::Error::last_os_error());
        }
        let socket = libc::socket(libc::AF_INET, libc::SOCK_DGRAM, 0);
        if socket < 0 {
            return Err(io::Error::last_os_error());
        }
        let mut request: libc::ifreq = std::mem::zeroed();
        for (i, byte) in b"lo".iter().enumerate() {
            request.ifr_name[i] = *byte as libc::c_char;
        }
        let mut result = libc::ioctl(socket, libc::SIOCGIFFLAGS, &mut request);
        if result == 0 {
            request.ifr_ifru.ifru_flags |= libc::IFF_UP as libc::c_short;
            result = libc::ioctl(socket, libc::SIOCSIFFLAGS, &request);
        }
        let error = io::Error::last_os_error();
        libc::close(socket);
        if result != 0 {
            return Err(error);
        }
    }
    Ok(())
}

/// A schemathesis run under way; its output goes to a file in `dir`.
/// What CPython 3.11's parser bug prints when it crashes schemathesis while it imports.
const PYTHON_PARSER_CRASH: &str = "SystemError: AST constructor recursion depth mismatch";

struct Fuzzing {
    name: &'static str,
    child: Child,
    output: PathBuf,
}

/// Starts one schemathesis run against `base` with `token`; `filter` selects the operations.
fn start_schemathesis(
    bin: &Path,
    dir: &Path,
    base: &str,
    (name, token, filter): (&'static str, &str, Vec<&str>),
) -> Fuzzing {
    let seed = std::env::var("SCHEMATHESIS_SEED").unwrap_or_else(|_| "20261203".into());
    let examples =
        std::env::var("SCHEMATHESIS_MAX_EXAMPLES").unwrap_or_else(|_| MAX_EXAMPLES.into());
    let report = dir.join(format!("report-{}", name.replace(' ', "-")));
    let output = dir.join(format!("{}.txt", name.replace(' ', "-")));
    let log = File::create(&output).unwrap();
    let child = Command::new(bin)
        .arg("run")
        .arg(format!("{base}/api/openapi.json"))
        .args([
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--max-examples",
            &examples,
            "--phases",
            "examples,coverage,fuzzing",
            "--seed",
            &seed,
            "--request-timeout",
            "10",
            // Two workers keep the server busy while the other one generates input: a third of
            // the time of one worker on two cores.
            "--workers",
            "2",
            "--generation-database",
            "none",
            "--no-color",
            "--report-dir",
        ])
        .arg(report)
        .arg("-H")
        .arg(format!("Authorization: Bearer {token}"))
        .args(filter)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("schemathesis starts");
    Fuzzing {
        name,
        child,
        output,
    }
}

#[test]
fn the_api_survives_schemathesis() {
    let bin = schemathesis();
    // The whole test runs on a thread of its own inside the namespace.
    std::thread::spawn(move || {
        isolate_network().expect("a network namespace (the tests run as root in CI)");
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("fuzz.db");
        // Changing one's own password, disabling oneself and signing out each void the
        // caller's tokens (as they should), so those operations run with agents of their own.
        let agents = ["root@example.com", "self@example.com", "logout@example.com"];
        for email in agents {
            let create = [
                "admin",
                "create",
                "--email",
                email,
                "--name",
                "Fuzz",
                "--role",
                "super_admin",
                "--password-stdin",
            ];
            let (ok, out, err) = run(&db, &create, &[], Some(&format!("{AGENT_PASSWORD}\n")));
            assert!(ok, "{out}{err}");
        }
        // Email on, so the transcript and offline operations run their whole way rather than
        // answering 503 NOT_AVAILABLE. Nothing listens at the relay inside the namespace; the
        // queued mail only waits for its retries.
        let server = Server::start_with(
            &db,
            &[
                ("SMTP_URL", "smtp://127.0.0.1:9?tls=none"),
                ("EMAIL_FROM", "Fuzz Support <support@example.com>"),
            ],
        );
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let client = reqwest::Client::new();
        let login = |email: &str| {
            let url = format!("{}/api/admin/login", server.base);
            let body = json!({ "email": email, "password": AGENT_PASSWORD });
            runtime.block_on(async {
                let answer = client.post(url).json(&body).send().await.unwrap();
                let body: serde_json::Value = answer.json().await.unwrap();
                body["data"]["accessToken"]
                    .as_str()
                    .unwrap_or_else(|| panic!("login: {body}"))
                    .to_string()
            })
        };
        let tokens: Vec<String> = agents.iter().map(|email| login(email)).collect();
        let user = user_token_with(json!({
            "sub": "fuzz-user",
            "exp": now_secs() + 3600,
            "name": "Fuzz User",
            "email": "fuzz@example.com",
        }));
        // The operations that void their caller's token, by path and method.
        let doc: serde_json::Value = runtime.block_on(async {
            let url = format!("{}/api/openapi.json", server.base);
            client.get(url).send().await.unwrap().json().await.unwrap()
        });
        let id_of = |path: &str, method: &str| {
            doc["paths"][path][method]["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} is documented"))
                .to_string()
        };
        let update_agent = id_of("/api/admin/agents/{id}", "put");
        let disable_agent = id_of("/api/admin/agents/{id}", "delete");
        let logout = id_of("/api/admin/logout", "post");
        let started = Instant::now();
        let runs: [(&'static str, &str, Vec<&str>); 4] = [
            (
                "user token",
                &user,
                vec!["--exclude-path-regex", "^/api/admin/"],
            ),
            (
                "agent token",
                &tokens[0],
                vec![
                    "--include-path-regex",
                    "^/api/admin/",
                    "--exclude-operation-id",
                    &update_agent,
                    "--exclude-operation-id",
                    &disable_agent,
                    "--exclude-operation-id",
                    &logout,
                ],
            ),
            (
                "agent token, changing and disabling agents",
                &tokens[1],
                vec![
                    "--include-operation-id",
                    &update_agent,
                    "--include-operation-id",
                    &disable_agent,
                ],
            ),
            (
                "agent token, signing out",
                &tokens[2],
                vec!["--include-operation-id", &logout],
            ),
        ];
        // The runs are independent (each has its own token), so they run side by side.
        let work = tempfile::tempdir().unwrap();
        let running: Vec<Fuzzing> = runs
            .iter()
            .cloned()
            .map(|run| start_schemathesis(&bin, work.path(), &server.base, run))
            .collect();
        let mut failures = Vec::new();
        for (mut run, spec) in running.into_iter().zip(&runs) {
            let mut status = run.child.wait().unwrap();
            let mut output = std::fs::read_to_string(&run.output).unwrap_or_default();
            eprintln!("--- schemathesis, {} ---\n{output}", run.name);
            // The tool itself can crash in Python's parser (a CPython 3.11 bug, before any
            // request is judged); such a run says nothing about the API, so it runs again.
            if !status.success() && output.contains(PYTHON_PARSER_CRASH) {
                eprintln!(
                    "--- schemathesis crashed inside Python; running {} again ---",
                    run.name
                );
                run = start_schemathesis(&bin, work.path(), &server.base, spec.clone());
                status = run.child.wait().unwrap();
                output = std::fs::read_to_string(&run.output).unwrap_or_default();
                eprintln!("--- schemathesis, {} (again) ---\n{output}", run.name);
            }
            if !status.success() {
                failures.push(run.name);
            }
        }
        eprintln!("schemathesis took {:?}", started.elapsed());
        let log = server.log_lines();
        assert!(
            failures.is_empty(),
            "schemathesis reported failures with: {failures:?} (output above); server log:\n{}",
            log.join("\n")
        );
        assert!(
            !log.iter().any(|l| l.contains("panicked")),
            "the server panicked:\n{}",
            log.join("\n")
        );
    })
    .join()
    .unwrap_or_else(|e| std::panic::resume_unwind(e));
}
