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
    /// The server's port, which names its Unix socket too.
    port: u16,
}

/// The port of a cluster that listens on no TCP port (it still names the socket).
const DEFAULT_PORT: u16 = 5432;

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
        format!("postgres://{ROLE}@{socket_dir}:{}/{name}", self.port)
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
        let cluster = Cluster {
            dir,
            port: DEFAULT_PORT,
        };
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
    /// The TCP port of a cluster that demands TLS there; others listen on no TCP port.
    tcp_port: Option<u16>,
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
            tcp_port: None,
        }
    }

    /// Makes the server listen on a free TCP port of 127.0.0.1 as well, where it takes only
    /// TLS connections, with a certificate for `localhost` and 127.0.0.1 signed by a new
    /// authority (`ca.pem`, made with the openssl command).
    fn demand_tls(&mut self) {
        let dir = &self.dir;
        let openssl = |args: &[&str]| {
            let output = Command::new("openssl")
                .args(args)
                .current_dir(dir)
                .output()
                .expect("run openssl (scripts/install-test-deps.sh installs it)");
            assert!(
                output.status.success(),
                "openssl {args:?}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        };
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        openssl(
            &[
                &["req", "-x509"][..],
                &ec,
                &[
                    "-days",
                    "2",
                    "-subj",
                    "/CN=frontdesk test authority",
                    "-addext",
                    "basicConstraints=critical,CA:TRUE",
                    "-addext",
                    "keyUsage=critical,keyCertSign,cRLSign",
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.pem",
                ],
            ]
            .concat(),
        );
        openssl(
            &[
                &["req"][..],
                &ec,
                &[
                    "-subj",
                    "/CN=localhost",
                    "-keyout",
                    "server.key",
                    "-out",
                    "server.csr",
                ],
            ]
            .concat(),
        );
        std::fs::write(
            dir.join("server.ext"),
            "subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
        )
        .expect("write the certificate's extensions");
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ]);
        let key = dir.join("server.key");
        std::fs::set_permissions(&key, std::os::unix::fs::PermissionsExt::from_mode(0o600))
            .expect("the key is the server's alone");
        self.runner.give(&key);
        // Plain TCP is turned away; the Unix socket stays open to the tests' admin connections.
        std::fs::write(
            dir.join("data/pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 trust\nhostnossl all all 127.0.0.1/32 reject\n",
        )
        .expect("write pg_hba.conf");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        self.tcp_port = Some(port);
    }

    /// Starts the server; it dies with the thread that called this.
    fn spawn(&self) -> Child {
        self.runner
            .server(&self.bin.join("postgres"))
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(self.listen_args())
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

impl Server {
    /// Where the server listens: its Unix socket only, or TCP with TLS as well.
    fn listen_args(&self) -> Vec<String> {
        let Some(port) = self.tcp_port else {
            return vec!["-c".into(), "listen_addresses=".into()];
        };
        let dir = self.dir.display();
        [
            "listen_addresses=127.0.0.1".to_string(),
            format!("port={port}"),
            "ssl=on".into(),
            format!("ssl_cert_file={dir}/server.pem"),
            format!("ssl_key_file={dir}/server.key"),
        ]
        .into_iter()
        .flat_map(|setting| ["-c".to_string(), setting])
        .collect()
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
        let dir = PrivateCluster::new_dir();
        let server = Server::init(&dir);
        PrivateCluster::run(server).await
    }

    /// A cluster that takes TCP connections on 127.0.0.1 only over TLS, with a certificate for
    /// `localhost` signed by a throwaway authority ([`PrivateCluster::authority`]); its Unix
    /// socket, which the tests' own admin connections use, stays plain.
    pub async fn start_with_tls() -> PrivateCluster {
        let dir = PrivateCluster::new_dir();
        let mut server = Server::init(&dir);
        server.demand_tls();
        PrivateCluster::run(server).await
    }

    fn new_dir() -> PathBuf {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        std::env::temp_dir().join(format!(
            "frontdesk-pg-{}-private-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ))
    }

    async fn run(server: Server) -> PrivateCluster {
        let child = server.spawn();
        let cluster = PrivateCluster { server, child };
        let admin = connect_when_up(&cluster.url("postgres")).await;
        admin
            .batch_execute("CREATE DATABASE frontdesk")
            .await
            .expect("create the database");
        cluster
    }

    /// A URL for database `name` over the Unix socket (plain).
    pub fn url(&self, name: &str) -> String {
        Cluster {
            dir: self.server.dir.clone(),
            port: self.server.tcp_port.unwrap_or(DEFAULT_PORT),
        }
        .url(name)
    }

    /// A URL for database `name` over TCP to `localhost`, with `params` (libpq's query words)
    /// (only for a cluster started with [`PrivateCluster::start_with_tls`]).
    pub fn tcp_url(&self, name: &str, params: &str) -> String {
        let port = self.server.tcp_port.expect("a cluster that listens on TCP");
        format!("postgres://{ROLE}@localhost:{port}/{name}?{params}")
    }

    /// The PEM file of the authority that signed the TLS cluster's certificate.
    pub fn authority(&self) -> PathBuf {
        self.server.dir.join("ca.pem")
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
