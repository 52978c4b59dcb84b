//! Bearer tokens for agents: HS256 with the server's own random key (kept in the database so
//! restarts keep agents signed in), audience `frontdesk-agent`, and the agent's token version,
//! so that signing out, disabling an agent or changing their password voids every token at once.
//! Issue and expiry are on the server's clock; only the canonical spelling is accepted.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::validity;
use super::{AGENT_AUDIENCE, ISSUER, KIND_CLAIM_AGENT};
use crate::clock::Clock;
use crate::error::{Error, Result};

/// What an agent token says.
#[derive(Debug, Serialize, Deserialize)]
pub struct AgentClaims {
    /// The agent's id.
    pub sub: String,
    /// The agent's token version when it was issued.
    pub ver: i64,
    pub fdk: String,
    pub aud: String,
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
}

/// Issues and verifies agent bearer tokens.
pub struct AgentTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
    clock: Clock,
}

impl AgentTokens {
    /// Tokens signed with `server_secret`, valid for `ttl` on `clock`.
    pub fn new(server_secret: &[u8], ttl: Duration, clock: Clock) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AGENT_AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        // Time claims are checked on the server's clock (validity::check).
        validation.validate_exp = false;
        AgentTokens {
            encoding: EncodingKey::from_secret(server_secret),
            decoding: DecodingKey::from_secret(server_secret),
            validation,
            ttl,
            clock,
        }
    }

    /// A token for the agent at `token_version`.
    pub fn issue(&self, agent_id: &str, token_version: i64) -> Result<String> {
        let now = validity::now_secs(&self.clock);
        let claims = AgentClaims {
            sub: agent_id.to_string(),
            ver: token_version,
            fdk: KIND_CLAIM_AGENT.to_string(),
            aud: AGENT_AUDIENCE.to_string(),
            iss: ISSUER.to_string(),
            iat: now,
            exp: now + self.ttl.as_secs(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| Error::internal_from("signing agent token", e))
    }

    /// Checks spelling, signature, algorithm, audience and time claims. The caller still checks
    /// that the agent exists, is enabled and has this token version.
    pub fn verify(&self, token: &str) -> Result<AgentClaims> {
        super::compact::check_canonical(token).map_err(|_| invalid())?;
        let data = jsonwebtoken::decode::<AgentClaims>(token, &self.decoding, &self.validation)
            .map_err(|_| invalid())?;
        if data.claims.fdk != KIND_CLAIM_AGENT {
            return Err(invalid());
        }
        let claims = data.claims;
        let now = validity::now_secs(&self.clock);
        validity::check(claims.exp, None, Some(claims.iat), now)?;
        Ok(claims)
    }
}

fn invalid() -> Error {
    Error::Unauthenticated("Invalid or expired agent token")
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn issues_and_verifies_and_rejects_other_keys() {
        let tokens = AgentTokens::new(SECRET, Duration::from_secs(60), Clock::system());
        let t = tokens.issue("agt_1", 3).unwrap();
        let claims = tokens.verify(&t).unwrap();
        assert_eq!((claims.sub.as_str(), claims.ver), ("agt_1", 3));
        let other = AgentTokens::new(
            b"another-secret-another-secret-xx",
            Duration::from_secs(60),
            Clock::system(),
        );
        assert!(other.verify(&t).is_err());
    }

    #[test]
    fn expiry_and_issue_time_follow_the_server_clock() {
        let clock = Clock::fixed(crate::domain::Timestamp(2_000_000_000_000));
        let tokens = AgentTokens::new(SECRET, Duration::from_secs(3600), clock.clone());
        let t = tokens.issue("agt_1", 0).unwrap();
        let behind = AgentTokens::new(
            SECRET,
            Duration::from_secs(3600),
            Clock::fixed(crate::domain::Timestamp(2_000_000_000_000 - 120_000)),
        );
        assert!(behind.verify(&t).is_err(), "issued in the future");
        clock.advance(Duration::from_secs(3600 + validity::LEEWAY_SECS));
        assert!(tokens.verify(&t).is_ok());
        clock.advance(Duration::from_secs(1));
        assert!(tokens.verify(&t).is_err(), "expired");
    }

    #[test]
    fn only_hs256_is_accepted() {
        let tokens = AgentTokens::new(SECRET, Duration::from_secs(60), Clock::system());
        let now = validity::now_secs(&Clock::system());
        let claims = AgentClaims {
            sub: "agt_1".into(),
            ver: 0,
            fdk: KIND_CLAIM_AGENT.into(),
            aud: AGENT_AUDIENCE.into(),
            iss: ISSUER.into(),
            iat: now,
            exp: now + 60,
        };
        let key = EncodingKey::from_secret(SECRET);
        let hs384 = jsonwebtoken::encode(&Header::new(Algorithm::HS384), &claims, &key).unwrap();
        assert!(tokens.verify(&hs384).is_err());
    }
}
