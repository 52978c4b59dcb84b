//! RSA public keys from a JWKS document (a file, or a URL such as Firebase's
//! `https://www.googleapis.com/service_accounts/v1/jwk/securetoken@system.gserviceaccount.com`),
//! swapped atomically when a refresh brings a different set.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::DecodingKey;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm, PublicKeyUse};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Key id -> key. Keys without a `kid` are stored under "".
pub type KeyMap = HashMap<String, DecodingKey>;

/// Parses a JWKS document, keeping the RSA signing keys usable with RS256.
pub fn parse(json: &str) -> Result<KeyMap, String> {
    let set: JwkSet =
        serde_json::from_str(json).map_err(|e| format!("not a JWKS document: {e}"))?;
    let mut keys = KeyMap::new();
    for jwk in &set.keys {
        let is_rsa = matches!(jwk.algorithm, AlgorithmParameters::RSA(_));
        let alg_ok = matches!(jwk.common.key_algorithm, None | Some(KeyAlgorithm::RS256));
        let use_ok = !matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption));
        if !(is_rsa && alg_ok && use_ok) {
            continue;
        }
        let key = DecodingKey::from_jwk(jwk).map_err(|e| format!("bad RSA key in JWKS: {e}"))?;
        keys.insert(jwk.common.key_id.clone().unwrap_or_default(), key);
    }
    if keys.is_empty() {
        return Err("the JWKS document has no RS256 signing key".into());
    }
    Ok(keys)
}

/// The current key set, shared between verifiers and the background refresher.
pub struct JwksKeys {
    current: RwLock<Arc<KeyMap>>,
    fingerprint: RwLock<String>,
    wanted: Notify,
    last_wanted: std::sync::Mutex<Option<Instant>>,
}

/// Fewest seconds between refreshes asked for by tokens with an unknown `kid`.
const MIN_ON_DEMAND_GAP: Duration = Duration::from_secs(10);

impl JwksKeys {
    pub fn new(keys: KeyMap, fingerprint: String) -> Arc<Self> {
        Arc::new(JwksKeys {
            current: RwLock::new(Arc::new(keys)),
            fingerprint: RwLock::new(fingerprint),
            wanted: Notify::new(),
            last_wanted: std::sync::Mutex::new(None),
        })
    }

    pub fn empty() -> Arc<Self> {
        Self::new(KeyMap::new(), String::new())
    }

    /// The key for `kid`; with no kid, the only key if there is exactly one.
    pub fn find(&self, kid: Option<&str>) -> Option<DecodingKey> {
        let keys = self
            .current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match kid {
            Some(kid) => keys.get(kid).cloned(),
            None if keys.len() == 1 => keys.values().next().cloned(),
            None => None,
        }
    }

    /// Replaces the keys; true when the set actually changed.
    pub fn replace(&self, keys: KeyMap, fingerprint: String) -> bool {
        let mut current_print = self.fingerprint.write().unwrap_or_else(|p| p.into_inner());
        if *current_print == fingerprint {
            return false;
        }
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(keys);
        *current_print = fingerprint;
        true
    }

    /// Asks the refresher for an early refresh (a token named a key we do not have).
    pub fn request_refresh(&self) {
        let mut last = self.last_wanted.lock().unwrap_or_else(|p| p.into_inner());
        if last.is_none_or(|t| t.elapsed() >= MIN_ON_DEMAND_GAP) {
            *last = Some(Instant::now());
            self.wanted.notify_one();
        }
    }
}

/// Fetches `url` now and then every `interval` (or sooner when asked), until `shutdown`.
/// `on_change` runs after a changed key set is installed (the verifier drops its cache).
pub fn spawn_refresher(
    url: String,
    interval: Duration,
    keys: Arc<JwksKeys>,
    on_change: impl Fn() + Send + Sync + 'static,
    shutdown: CancellationToken,
) {
    tokio::spawn(async move {
        let client = match reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
        {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "cannot build the JWKS HTTP client");
                return;
            }
        };
        loop {
            let next = match fetch(&client, &url).await {
                Ok(text) => match parse(&text) {
                    Ok(map) => {
                        if keys.replace(map, text) {
                            tracing::info!(url = %url, "installed a new JWKS key set");
                            on_change();
                        }
                        interval
                    }
                    Err(e) => {
                        tracing::warn!(url = %url, error = %e, "JWKS refresh gave no usable key");
                        interval.min(Duration::from_secs(30))
                    }
                },
                Err(e) => {
                    tracing::warn!(url = %url, error = %e, "JWKS refresh failed");
                    interval.min(Duration::from_secs(30))
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = tokio::time::sleep(next) => {}
                _ = keys.wanted.notified() => {}
            }
        }
    });
}

async fn fetch(client: &reqwest::Client, url: &str) -> Result<String, String> {
    let response = client.get(url).send().await.map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()));
    }
    response.text().await.map_err(|e| e.to_string())
}
