//! User tokens, issued by the business's own auth (often Firebase): HS256 with `JWT_SECRET`,
//! or RS256 with a PEM key, a JWKS file or a JWKS URL. The algorithm is pinned by the key kind:
//! an RS256 key never verifies an HS256 token, so "HS256 signed with the public key" fails.
//! Guest tokens (ALLOW_GUESTS) are our own HS256 tokens with their own audience.
//!
//! Verified tokens are cached by their SHA-256 so that phones polling every 2 seconds with the
//! same token cost a hash and a map lookup, not an RSA verification. Expiry is checked on every
//! use, cached or not, on the server's clock; `nbf` and `iat` are checked when a token is first
//! verified (once valid, a token stays valid until it expires). Only the canonical spelling of
//! a token is accepted ([`super::compact`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::jwks::{self, JwksKeys};
use super::validity::{self, numeric_date, optional_numeric_date};
use super::{GUEST_AUDIENCE, ISSUER, KIND_CLAIM_AGENT, KIND_CLAIM_GUEST};
use crate::clock::Clock;
use crate::config::{ExposeSecret, UserTokenSettings};
use crate::domain::SessionOwner;
use crate::error::{Error, Result};

/// The caller of a client endpoint.
#[derive(Clone, Debug)]
pub struct UserPrincipal {
    pub user_id: Arc<str>,
    pub name: Option<Arc<str>>,
    pub email: Option<Arc<str>>,
    pub is_guest: bool,
}

impl UserPrincipal {
    /// The caller as a session owner: their id in their namespace (user or guest).
    pub fn owner(&self) -> SessionOwner {
        SessionOwner {
            user_id: self.user_id.clone(),
            is_guest: self.is_guest,
        }
    }

    /// True when the caller is `owner` (same id, same namespace).
    pub fn is(&self, owner: &SessionOwner) -> bool {
        owner.is(&self.user_id, self.is_guest)
    }
}

/// Tokens longer than this are refused before any parsing.
const MAX_TOKEN_BYTES: usize = 8 * 1024;
use crate::domain::owner::MAX_USER_ID_CHARS;
const CACHE_CAPACITY: usize = 200_000;
const GUEST_KID: &str = "frontdesk-guest";
const GUEST_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

#[derive(Deserialize)]
struct UserClaims {
    sub: Option<String>,
    user_id: Option<String>,
    email: Option<String>,
    name: Option<String>,
    #[serde(deserialize_with = "numeric_date")]
    exp: u64,
    #[serde(default, deserialize_with = "optional_numeric_date")]
    nbf: Option<u64>,
    #[serde(default, deserialize_with = "optional_numeric_date")]
    iat: Option<u64>,
    fdk: Option<String>,
}

#[derive(Serialize)]
struct GuestClaims<'a> {
    sub: &'a str,
    aud: &'a str,
    iss: &'a str,
    fdk: &'a str,
    iat: u64,
    exp: u64,
}

enum RsaKeys {
    None,
    Fixed(DecodingKey),
    Jwks(Arc<JwksKeys>),
}

struct CachedToken {
    principal: UserPrincipal,
    exp: u64,
}

pub struct UserTokenVerifier {
    hs256: Option<DecodingKey>,
    rsa: RsaKeys,
    hs_validation: Validation,
    rs_validation: Validation,
    guest: Option<(EncodingKey, DecodingKey, Validation)>,
    cache: Mutex<HashMap<[u8; 32], CachedToken>>,
    clock: Clock,
}

impl UserTokenVerifier {
    /// Builds the verifier from settings. `server_secret` signs guest tokens when guests are
    /// allowed. A JWKS URL is fetched by [`Self::jwks_keys`]'s refresher, started by the app.
    /// Time claims are judged by `clock`.
    pub fn new(
        settings: &UserTokenSettings,
        server_secret: &[u8],
        allow_guests: bool,
        clock: Clock,
    ) -> Result<Self> {
        let hs256 = settings
            .jwt_secret
            .as_ref()
            .map(|s| DecodingKey::from_secret(s.expose_secret().as_bytes()));
        let rsa = if let Some(path) = &settings.public_key_file {
            let pem =
                std::fs::read(path).map_err(|e| Error::internal_from("JWT_PUBLIC_KEY_FILE", e))?;
            RsaKeys::Fixed(DecodingKey::from_rsa_pem(&pem).map_err(|e| {
                Error::internal_from("JWT_PUBLIC_KEY_FILE: not an RSA public key", e)
            })?)
        } else if let Some(path) = &settings.jwks_file {
            let text =
                std::fs::read_to_string(path).map_err(|e| Error::internal_from("JWKS_FILE", e))?;
            let keys = jwks::parse(&text).map_err(|e| Error::internal_from("JWKS_FILE", e))?;
            RsaKeys::Jwks(JwksKeys::new(keys, text))
        } else if settings.jwks_url.is_some() {
            RsaKeys::Jwks(JwksKeys::empty())
        } else {
            RsaKeys::None
        };

        let with_claims = |alg: Algorithm| {
            let mut v = Validation::new(alg);
            // Time claims are checked on the server's clock (validity::check).
            v.validate_exp = false;
            v.validate_aud = settings.audience.is_some();
            let mut required = vec!["exp"];
            if let Some(aud) = &settings.audience {
                v.set_audience(&[aud]);
                required.push("aud");
            }
            if let Some(iss) = &settings.issuer {
                v.set_issuer(&[iss]);
                required.push("iss");
            }
            v.set_required_spec_claims(&required);
            v
        };

        let guest = allow_guests.then(|| {
            let mut v = Validation::new(Algorithm::HS256);
            v.validate_exp = false;
            v.set_audience(&[GUEST_AUDIENCE]);
            v.set_issuer(&[ISSUER]);
            v.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
            (
                EncodingKey::from_secret(server_secret),
                DecodingKey::from_secret(server_secret),
                v,
            )
        });

        Ok(UserTokenVerifier {
            hs256,
            rsa,
            hs_validation: with_claims(Algorithm::HS256),
            rs_validation: with_claims(Algorithm::RS256),
            guest,
            cache: Mutex::new(HashMap::new()),
            clock,
        })
    }

    /// True when no way of verifying user tokens is configured (every token will fail).
    pub fn is_unconfigured(&self) -> bool {
        self.hs256.is_none() && matches!(self.rsa, RsaKeys::None)
    }

    /// The JWKS key set a URL refresher should fill, if the verifier uses one.
    pub fn jwks_keys(&self) -> Option<Arc<JwksKeys>> {
        match &self.rsa {
            RsaKeys::Jwks(keys) => Some(keys.clone()),
            _ => None,
        }
    }

    /// Forgets every cached verification (after a key rotation).
    pub fn clear_cache(&self) {
        self.cache.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// The caller a user or guest token names, if it is canonical, signed with the pinned
    /// algorithm by a configured key, and valid now.
    pub fn verify(&self, token: &str) -> Result<UserPrincipal> {
        self.verify_with_deadline(token)
            .map(|(principal, _)| principal)
    }

    /// As [`Self::verify`], with the second (since the epoch, on the verifier's clock) after
    /// which the token stops being accepted: for connections that outlive one request.
    pub fn verify_with_deadline(&self, token: &str) -> Result<(UserPrincipal, u64)> {
        if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
            return Err(invalid());
        }
        let now = validity::now_secs(&self.clock);
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        {
            let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(hit) = cache.get(&digest) {
                return validity::check(hit.exp, None, None, now)
                    .map(|()| (hit.principal.clone(), deadline(hit.exp)));
            }
        }
        let (principal, exp) = self.verify_uncached(token, now)?;
        self.remember(digest, &principal, exp, now);
        Ok((principal, deadline(exp)))
    }

    /// Seconds left, on the verifier's clock, until `deadline` (from `verify_with_deadline`).
    pub fn seconds_until(&self, deadline: u64) -> u64 {
        deadline.saturating_sub(validity::now_secs(&self.clock))
    }

    fn verify_uncached(&self, token: &str, now: u64) -> Result<(UserPrincipal, u64)> {
        // Only a canonical token is ever cached, so the cache needs no second look.
        super::compact::check_canonical(token)?;
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
        let (claims, is_guest) = match header.alg {
            Algorithm::HS256 if header.kid.as_deref() == Some(GUEST_KID) => {
                let (_, key, validation) = self.guest.as_ref().ok_or_else(invalid)?;
                (decode(token, key, validation)?, true)
            }
            Algorithm::HS256 => {
                let key = self.hs256.as_ref().ok_or_else(invalid)?;
                (decode(token, key, &self.hs_validation)?, false)
            }
            Algorithm::RS256 => {
                let key = match &self.rsa {
                    RsaKeys::None => return Err(invalid()),
                    RsaKeys::Fixed(key) => key.clone(),
                    RsaKeys::Jwks(keys) => keys.find(header.kid.as_deref()).ok_or_else(|| {
                        keys.request_refresh();
                        invalid()
                    })?,
                };
                (decode(token, &key, &self.rs_validation)?, false)
            }
            _ => return Err(invalid()),
        };
        validity::check(claims.exp, claims.nbf, claims.iat, now)?;
        match (claims.fdk.as_deref(), is_guest) {
            (Some(KIND_CLAIM_AGENT), _) => return Err(invalid()),
            (Some(KIND_CLAIM_GUEST), true) | (None, false) => {}
            _ => return Err(invalid()),
        }
        let user_id = claims
            .sub
            .filter(|s| !s.is_empty())
            .or(claims.user_id.filter(|s| !s.is_empty()))
            .ok_or(Error::Unauthenticated("Token names no user (sub)"))?;
        if user_id.chars().count() > MAX_USER_ID_CHARS {
            return Err(Error::Unauthenticated("Token user id is too long"));
        }
        let short =
            |s: Option<String>| s.filter(|v| !v.is_empty() && v.len() <= 256).map(Arc::from);
        let principal = UserPrincipal {
            user_id: Arc::from(user_id),
            name: short(claims.name),
            email: short(claims.email),
            is_guest,
        };
        Ok((principal, claims.exp))
    }

    fn remember(&self, digest: [u8; 32], principal: &UserPrincipal, exp: u64, now: u64) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_CAPACITY {
            cache.retain(|_, t| validity::check(t.exp, None, None, now).is_ok());
            if cache.len() >= CACHE_CAPACITY {
                cache.clear();
            }
        }
        cache.insert(
            digest,
            CachedToken {
                principal: principal.clone(),
                exp,
            },
        );
    }

    /// A new guest identity and its bearer token (only when guests are allowed), dated by the
    /// server's clock.
    pub fn issue_guest(&self) -> Result<(UserPrincipal, String)> {
        let (key, _, _) = self
            .guest
            .as_ref()
            .ok_or(Error::Unauthenticated("Sign in to start a chat"))?;
        let user_id = crate::domain::ids::generate("guest", self.clock.now().0);
        let now = validity::now_secs(&self.clock);
        let claims = GuestClaims {
            sub: &user_id,
            aud: GUEST_AUDIENCE,
            iss: ISSUER,
            fdk: KIND_CLAIM_GUEST,
            iat: now,
            exp: now + GUEST_TOKEN_TTL.as_secs(),
        };
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(GUEST_KID.to_string());
        let token = jsonwebtoken::encode(&header, &claims, key)
            .map_err(|e| Error::internal_from("signing guest token", e))?;
        let principal = UserPrincipal {
            user_id: Arc::from(user_id),
            name: None,
            email: None,
            is_guest: true,
        };
        Ok((principal, token))
    }
}

fn invalid() -> Error {
    Error::Unauthenticated("Invalid or expired token")
}

fn decode(token: &str, key: &DecodingKey, validation: &Validation) -> Result<UserClaims> {
    jsonwebtoken::decode::<UserClaims>(token, key, validation)
        .map(|d| d.claims)
        .map_err(|_| invalid())
}

/// The last second a token expiring at `exp` is accepted (expiry plus the leeway).
fn deadline(exp: u64) -> u64 {
    exp.saturating_add(validity::LEEWAY_SECS).saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVER_SECRET: &[u8] = b"server-secret-server-secret";

    fn hs_settings() -> UserTokenSettings {
        UserTokenSettings {
            jwt_secret: Some("test-secret-test-secret".into()),
            ..UserTokenSettings::default()
        }
    }

    fn sign(claims: serde_json::Value, secret: &str) -> String {
        jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    }

    #[test]
    fn hs256_round_trip_and_cache() {
        let v =
            UserTokenVerifier::new(&hs_settings(), SERVER_SECRET, false, Clock::system()).unwrap();
        let exp = jsonwebtoken::get_current_timestamp() + 600;
        let t = sign(
            serde_json::json!({"sub": "u1", "exp": exp, "name": "Ann"}),
            "test-secret-test-secret",
        );
        assert_eq!(&*v.verify(&t).unwrap().user_id, "u1");
        assert_eq!(v.verify(&t).unwrap().name.as_deref(), Some("Ann"));
    }

    #[test]
    fn refuses_wrong_secret_expired_and_agent_kind() {
        let v =
            UserTokenVerifier::new(&hs_settings(), SERVER_SECRET, false, Clock::system()).unwrap();
        let now = jsonwebtoken::get_current_timestamp();
        let wrong = sign(
            serde_json::json!({"sub": "u1", "exp": now + 600}),
            "other-secret-other-secret",
        );
        assert!(v.verify(&wrong).is_err());
        let expired = sign(
            serde_json::json!({"sub": "u1", "exp": now - 3600}),
            "test-secret-test-secret",
        );
        assert!(v.verify(&expired).is_err());
        let agentish = sign(
            serde_json::json!({"sub": "u1", "exp": now + 600, "fdk": "agent"}),
            "test-secret-test-secret",
        );
        assert!(v.verify(&agentish).is_err());
        assert!(v.verify("not.a.token").is_err());
    }

    #[test]
    fn guest_tokens_only_when_allowed() {
        let v =
            UserTokenVerifier::new(&hs_settings(), SERVER_SECRET, true, Clock::system()).unwrap();
        let (p, token) = v.issue_guest().unwrap();
        assert!(v.verify(&token).unwrap().is_guest);
        assert!(p.user_id.starts_with("guest_"));
        let closed =
            UserTokenVerifier::new(&hs_settings(), SERVER_SECRET, false, Clock::system()).unwrap();
        assert!(closed.verify(&token).is_err());
    }

    #[test]
    fn time_claims_follow_the_server_clock_cached_or_not() {
        let clock = Clock::fixed(crate::domain::Timestamp(2_000_000_000_000));
        let v =
            UserTokenVerifier::new(&hs_settings(), SERVER_SECRET, false, clock.clone()).unwrap();
        let now = 2_000_000_000;
        let t = sign(
            serde_json::json!({"sub": "u1", "iat": now, "nbf": now, "exp": now + 600}),
            "test-secret-test-secret",
        );
        assert!(v.verify(&t).is_ok());
        let later = sign(
            serde_json::json!({"sub": "u1", "nbf": now + 3600, "exp": now + 7200}),
            "test-secret-test-secret",
        );
        assert!(
            v.verify(&later).is_err(),
            "not valid yet on the server's clock"
        );
        clock.advance(Duration::from_secs(3600));
        assert!(v.verify(&later).is_ok());
        assert!(
            v.verify(&t).is_err(),
            "the cached token expired with the clock"
        );
    }
}
