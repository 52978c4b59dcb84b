//! A throwaway PostgreSQL cluster for the tests, started on first use in a temporary folder and
//! gone with the test process: initdb and the server run as an unprivileged user (`postgres`,
//! else `nobody`, when the tests run as root), listen only on a Unix socket in that folder, and
//! get SIGQUIT when the test process dies. Each test gets a database of its own, copied from a
//! template the migrations were applied to once.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const TEMPLATE: &str = "frontdesk_template";
const ROLE: &str = "frontdesk";

/// The running cluster: where its socket is.
pub struct Cluster {
    dir: PathBuf,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static NEXT_DATABASE: AtomicUsize = AtomicUsize::new(0);

impl Cluster {
    /// The cluster of this test process, started (and its template migrated) on first call.
    pub fn get() -> &'static Cluster {
        CLUSTER.get_or_init(|| {
            // Started from a thread that lives as long as the process: the server's death
            // signal follows the thread that started it.
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let cluster = Cluster::start();
                tx.send(cluster).expect("hand the cluster over");
                loop {
                    std::thread::park();
                }
            });
            rx.recv().expect("the cluster starts")
        })
    }

    /// A URL for database `name` of this cluster.
    pub fn url(&self, name: &str) -> String {
        let socket_dir = self
            .dir
            .to_str()
            .expect("a UTF-8 temp path")
            .replace('/', "%2F");
        format!("postgres://{ROLE}@{socket_dir}/{name}")
    }

    /// A new empty database (migrated, with no rows), its URL.
    pub async fn fresh_database(&self) -> String {
        let name = format!(
            "t{}_{}",
            std::process::id(),
            NEXT_DATABASE.fetch_add(1, Ordering::Relaxed)
        );
        let (admin, connection) =
            tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls)
                .await
                .expect("connect to the test cluster");
        tokio::spawn(connection);
        admin
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}"))
            .await
            .expect("create a test database from the template");
        self.url(&name)
    }

    /// As [`Cluster::fresh_database`], for synchronous code (a thread with its own runtime).
    #[allow(dead_code)]
    pub fn fresh_database_blocking(&'static self) -> String {
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the set-up")
                .block_on(self.fresh_database())
        })
        .join()
        .expect("create a test database")
    }

    fn start() -> Cluster {
        remove_stale_clusters();
        let dir = std::env::temp_dir().join(format!("frontdesk-pg-{}", std::process::id()));
        let server = Server::init(&dir);
        // Runs until this process ends: it gets SIGQUIT then, and the process that would reap
        // it is gone too.
        #[allow(clippy::zombie_processes)]
        let _ = server.spawn();
        let cluster = Cluster { dir };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime for the set-up");
        runtime.block_on(cluster.make_template());
        cluster
    }

    /// Waits for the server to take connections, then creates and migrates the template.
    async fn make_template(&self) {
        let admin = connect_when_up(&self.url("postgres")).await;
        admin
            .batch_execute(&format!("CREATE DATABASE {TEMPLATE}"))
            .await
            .expect("create the template database");
        let files = self.dir.join("template-files");
        let store = frontdesk::store::PgStore::open(
            &self.url(TEMPLATE),
            frontdesk::store::files::FileDir::at(&files),
        )
        .await
        .expect("migrate the template database");
        drop(store);
        // A template must have no connections when it is copied: wait for the store's to go.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let open: i64 = admin
                .query_one(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = $1",
                    &[&TEMPLATE],
                )
                .await
                .expect("count connections")
                .get(0);
            if open == 0 {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "the template keeps {open} connections"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Connects to `url` once the server takes connections (it may still be starting).
async fn connect_when_up(url: &str) -> tokio_postgres::Client {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match tokio_postgres::connect(url, tokio_postgres::NoTls).await {
            Ok((client, connection)) => {
                tokio::spawn(connection);
                return client;
            }
            Err(e) => {
                assert!(
                    Instant::now() < deadline,
                    "the test cluster takes no connections: {e}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// One cluster's folder and how to run its server.
struct Server {
    dir: PathBuf,
    bin: PathBuf,
    runner: Runner,
}

impl Server {
    /// A new cluster in `dir` (emptied first), owned by the user the server runs as.
    fn init(dir: &Path) -> Server {
        let bin = server_bin_dir();
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir).expect("create the cluster folder");
        let runner = Runner::for_this_process();
        runner.give(dir);
        let status = runner
            .command(&bin.join("initdb"))
            .args([
                "-A",
                "trust",
                "-U",
                ROLE,
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ])
            .arg("-D")
            .arg(dir.join("data"))
            .stdout(Stdio::null())
            .status()
            .expect("run initdb");
        assert!(status.success(), "initdb failed");
        Server {
            dir: dir.to_path_buf(),
            bin,
            runner,
        }
    }

    /// Starts the server; it dies with the thread that called this.
    fn spawn(&self) -> Child {
        self.runner
            .server(&self.bin.join("postgres"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-c", "listen_addresses="])
            .arg("-c")
            .arg(format!("unix_socket_directories={}", self.dir.display()))
            .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
            .args(["-c", "full_page_writes=off", "-c", "max_connections=400"])
            .args(["-c", "shared_buffers=64MB", "-c", "log_min_messages=fatal"])
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(self.dir.join("server.log"))
                    .expect("server log"),
            ))
            .spawn()
            .expect("start postgres")
    }
}

/// A cluster of one test's own, which the test may restart: for what a restart of the
/// database does to the servers using it. Stopped and removed when dropped.
#[allow(dead_code)]
pub struct PrivateCluster {
    server: Server,
    child: Child,
}

#[allow(dead_code)]
impl PrivateCluster {
    pub async fn start() -> PrivateCluster {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "frontdesk-pg-{}-private-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let server = Server::init(&dir);
        let child = server.spawn();
        let cluster = PrivateCluster { server, child };
        let admin = connect_when_up(&cluster.url("postgres")).await;
        admin
            .batch_execute("CREATE DATABASE frontdesk")
            .await
            .expect("create the database");
        cluster
    }

    pub fn url(&self, name: &str) -> String {
        Cluster {
            dir: self.server.dir.clone(),
        }
        .url(name)
    }

    /// Stops the server as an operator would (fast shutdown: sessions are cut, committed data
    /// stays), starts it again and waits until it takes connections.
    pub async fn restart(&mut self) {
        self.stop();
        self.start_again().await;
    }

    /// Stops the server (fast shutdown) and waits until it is gone.
    pub fn stop(&mut self) {
        // SAFETY: signalling our own child process.
        unsafe {
            libc::kill(self.child.id() as i32, libc::SIGINT);
        }
        self.child.wait().expect("the server stops");
    }

    /// Starts the stopped server again and waits until it takes connections.
    pub async fn start_again(&mut self) {
        self.child = self.server.spawn();
        connect_when_up(&self.url("postgres")).await;
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.server.dir);
    }
}

/// Where the PostgreSQL server programs are: `PG_BIN`, else Debian's newest
/// `/usr/lib/postgresql/<version>/bin`.
fn server_bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (scripts/install-test-deps.sh installs it)")
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, bin)| bin.join("postgres").is_file())
        .collect();
    versions.sort();
    versions
        .pop()
        .expect("a PostgreSQL server under /usr/lib/postgresql")
        .1
}

/// Clusters left by test processes that are gone (their servers died with them).
fn remove_stale_clusters() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix("frontdesk-pg-"))
            .and_then(|p| p.parse::<i32>().ok())
        else {
            continue;
        };
        if !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Who runs initdb and the server: PostgreSQL refuses to run as root.
struct Runner {
    /// `(uid, gid)` to switch to; `None` runs as this process.
    switch_to: Option<(u32, u32)>,
}

impl Runner {
    fn for_this_process() -> Runner {
        // SAFETY: getuid has no preconditions.
        if unsafe { libc::getuid() } != 0 {
            return Runner { switch_to: None };
        }
        for name in ["postgres", "nobody"] {
            let c_name = std::ffi::CString::new(name).expect("a user name");
            // SAFETY: a valid C string; the answer is read at once, before any other call.
            let entry = unsafe { libc::getpwnam(c_name.as_ptr()) };
            if !entry.is_null() {
                // SAFETY: non-null, points at the static passwd entry just returned.
                let (uid, gid) = unsafe { ((*entry).pw_uid, (*entry).pw_gid) };
                return Runner {
                    switch_to: Some((uid, gid)),
                };
            }
        }
        panic!("running as root, and there is no `postgres` or `nobody` user to run PostgreSQL as");
    }

    /// Hands `dir` to the user the cluster runs as.
    fn give(&self, dir: &Path) {
        if let Some((uid, gid)) = self.switch_to {
            std::os::unix::fs::chown(dir, Some(uid), Some(gid)).expect("chown the cluster folder");
        }
    }

    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        if let Some((uid, gid)) = self.switch_to {
            // std also drops root's supplementary groups when it switches the user.
            command.uid(uid).gid(gid).env("HOME", "/");
        }
        command
    }

    /// As `command`, for a process that must die with this one.
    fn server(&self, program: &Path) -> Command {
        let mut command = self.command(program);
        // SAFETY: prctl is async-signal-safe. Runs after the switch of user (which would
        // clear the setting), as std applies uid and gid before pre_exec hooks.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGQUIT) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        command
    }
}
