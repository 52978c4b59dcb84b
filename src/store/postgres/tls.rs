//! How the engine reaches PostgreSQL: in the clear unless `DATABASE_URL` asks for TLS, and
//! then always with the server's certificate checked.
//!
//! The URL speaks libpq's words, as managed databases hand them out: `sslmode=require`,
//! `verify-ca` or `verify-full` turn TLS on (all three verify the certificate and its host
//! name here: encryption to an unchecked peer is no protection against the one attacker TLS is
//! for), and `sslrootcert=<file>` names the PEM file of the authority that signed the server's
//! certificate (without it, the public web authorities are trusted). `sslmode=prefer`, libpq's
//! default, stays in the clear, as it does without a certificate to check.

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use tokio_postgres::NoTls;
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::error::{Error, Result};

/// Where the database is and how to speak to it.
pub(crate) struct Target {
    pub config: tokio_postgres::Config,
    pub tls: Tls,
}

/// Plain or TLS. Plain is a connector of its own: rustls's would refuse a Unix socket's path,
/// which is no host name, even when it is never asked to encrypt.
#[derive(Clone)]
pub(crate) enum Tls {
    Plain,
    Verified(MakeRustlsConnect),
}

impl Tls {
    /// A pool manager for `config` that connects this way.
    pub fn manager(
        &self,
        config: tokio_postgres::Config,
        manager: deadpool_postgres::ManagerConfig,
    ) -> deadpool_postgres::Manager {
        match self {
            Tls::Plain => deadpool_postgres::Manager::from_config(config, NoTls, manager),
            Tls::Verified(tls) => {
                deadpool_postgres::Manager::from_config(config, tls.clone(), manager)
            }
        }
    }
}

/// Reads `url` (a `postgres://` URL, or libpq's `key=value` form).
pub(crate) fn target(url: &str) -> Result<Target> {
    let (url, root_file) = take_libpq_words(url)?;
    let mut config = tokio_postgres::Config::from_str(&url)
        .map_err(|e| bad_url(format!("not a PostgreSQL URL: {e}")))?;
    if config.get_ssl_mode() != SslMode::Require {
        config.ssl_mode(SslMode::Disable);
        return Ok(Target {
            config,
            tls: Tls::Plain,
        });
    }
    let roots = match root_file.as_deref() {
        None | Some("system") => public_roots(),
        Some(file) => roots_from(Path::new(file))?,
    };
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::internal_from("setting up TLS", e))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Target {
        config,
        tls: Tls::Verified(MakeRustlsConnect::new(client)),
    })
}

/// Takes out what tokio-postgres does not read: `sslrootcert` (returned), and the verifying
/// `sslmode`s, which become `require` (which verifies here anyway).
fn take_libpq_words(url: &str) -> Result<(String, Option<String>)> {
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Ok((url.to_string(), None));
    }
    let mut parsed =
        url::Url::parse(url).map_err(|e| bad_url(format!("not a PostgreSQL URL: {e}")))?;
    let ours = |key: &str, value: &str| {
        key == "sslrootcert" || (key == "sslmode" && value.starts_with("verify-"))
    };
    if !parsed.query_pairs().any(|(k, v)| ours(&k, &v)) {
        return Ok((url.to_string(), None));
    }
    let mut root_file = None;
    let mut kept = Vec::new();
    for (key, value) in parsed.query_pairs() {
        match (key.as_ref(), value.as_ref()) {
            ("sslrootcert", file) => root_file = Some(file.to_string()),
            ("sslmode", "verify-ca" | "verify-full") => {
                kept.push(("sslmode".to_string(), "require".to_string()))
            }
            _ => kept.push((key.into_owned(), value.into_owned())),
        }
    }
    if kept.is_empty() {
        parsed.set_query(None);
    } else {
        parsed.query_pairs_mut().clear().extend_pairs(kept);
    }
    Ok((parsed.into(), root_file))
}

fn public_roots() -> RootCertStore {
    RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// The certificates of the PEM file at `file`; an error names the file.
fn roots_from(file: &Path) -> Result<RootCertStore> {
    let unusable = |why: String| bad_url(format!("sslrootcert {}: {why}", file.to_string_lossy()));
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(file).map_err(|e| unusable(e.to_string()))? {
        let cert = cert.map_err(|e| unusable(e.to_string()))?;
        roots
            .add(cert)
            .map_err(|e| unusable(format!("not a usable certificate: {e}")))?;
    }
    if roots.is_empty() {
        return Err(unusable("holds no PEM certificate".into()));
    }
    Ok(roots)
}

fn bad_url(why: String) -> Error {
    Error::validation("DATABASE_URL", why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verifying_modes_become_require_and_the_root_file_is_taken_out() {
        let (url, root) = take_libpq_words(
            "postgres://u:p@db.example:5432/app?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem&application_name=fd",
        )
        .unwrap();
        assert_eq!(
            url,
            "postgres://u:p@db.example:5432/app?sslmode=require&application_name=fd"
        );
        assert_eq!(root.as_deref(), Some("/etc/ca.pem"));
    }

    #[test]
    fn a_url_without_those_words_is_unchanged() {
        let (url, root) = take_libpq_words("postgres://u@%2Frun%2Fpg/app").unwrap();
        assert_eq!(url, "postgres://u@%2Frun%2Fpg/app");
        assert_eq!(root, None);
        let (url, _) = take_libpq_words("host=/run/pg dbname=app").unwrap();
        assert_eq!(url, "host=/run/pg dbname=app");
    }

    #[test]
    fn prefer_stays_in_the_clear_and_require_asks_for_tls() {
        assert_eq!(
            target("postgres://u@localhost/app")
                .unwrap()
                .config
                .get_ssl_mode(),
            SslMode::Disable
        );
        assert_eq!(
            target("postgres://u@localhost/app?sslmode=require")
                .unwrap()
                .config
                .get_ssl_mode(),
            SslMode::Require
        );
    }

    #[test]
    fn a_url_that_is_no_postgres_url_is_refused_as_such() {
        for url in [
            "postgres://u@[::1/app?sslmode=require",
            "postgres://u@localhost/app?sslmode=sometimes",
            "postgres://u@localhost/app?sslrootcert=%2Fca.pem&nonsense=1",
        ] {
            let err = target(url).err().expect("refused").to_string();
            assert!(err.contains("not a PostgreSQL URL"), "{url}: {err}");
        }
    }

    #[test]
    fn a_missing_or_empty_root_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "no certificate here\n").unwrap();
        for file in [missing, empty] {
            let url = format!(
                "postgres://u@localhost/app?sslmode=require&sslrootcert={}",
                file.display()
            );
            let err = target(&url).err().expect("refused").to_string();
            assert!(err.contains(&file.display().to_string()), "{err}");
        }
    }
}
