//! Bearer tokens for agents: HS256 with the server's own random key (kept in the database so
//! restarts keep agents signed in), audience `frontdesk-agent`, and the agent's token version,
//! so that disabling an agent or changing their password voids every token at once.

use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::{AGENT_AUDIENCE, ISSUER, KIND_CLAIM_AGENT};
use crate::error::{Error, Result};

#[derive(Debug, Serialize, Deserialize)]
pub struct AgentClaims {
    pub sub: String,
    pub ver: i64,
    pub fdk: String,
    pub aud: String,
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
}

pub struct AgentTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl AgentTokens {
    pub fn new(server_secret: &[u8], ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_audience(&[AGENT_AUDIENCE]);
        validation.set_issuer(&[ISSUER]);
        validation.set_required_spec_claims(&["exp", "aud", "iss", "sub"]);
        validation.leeway = 5;
        AgentTokens {
            encoding: EncodingKey::from_secret(server_secret),
            decoding: DecodingKey::from_secret(server_secret),
            validation,
            ttl,
        }
    }

    pub fn issue(&self, agent_id: &str, token_version: i64) -> Result<String> {
        let now = jsonwebtoken::get_current_timestamp();
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

    /// Checks signature, algorithm, audience and expiry. The caller still checks that the
    /// agent exists, is enabled and has this token version.
    pub fn verify(&self, token: &str) -> Result<AgentClaims> {
        let data = jsonwebtoken::decode::<AgentClaims>(token, &self.decoding, &self.validation)
            .map_err(|_| Error::Unauthenticated("Invalid or expired agent token"))?;
        if data.claims.fdk != KIND_CLAIM_AGENT {
            return Err(Error::Unauthenticated("Invalid or expired agent token"));
        }
        Ok(data.claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_and_verifies_and_rejects_other_keys() {
        let tokens = AgentTokens::new(b"0123456789abcdef0123456789abcdef", Duration::from_secs(60));
        let t = tokens.issue("agt_1", 3).unwrap();
        let claims = tokens.verify(&t).unwrap();
        assert_eq!((claims.sub.as_str(), claims.ver), ("agt_1", 3));
        let other = AgentTokens::new(b"another-secret-another-secret-xx", Duration::from_secs(60));
        assert!(other.verify(&t).is_err());
    }
}
