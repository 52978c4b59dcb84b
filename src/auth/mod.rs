//! Who is calling: agent passwords (argon2), user tokens from the business's own auth, the
//! server's own agent and guest tokens, and login throttling.

pub mod agent_token;
mod compact;
pub mod file_links;
pub mod jwks;
pub mod password;
pub mod throttle;
pub mod user_token;
mod validity;

pub use agent_token::{AgentClaims, AgentTokens};
pub use file_links::{FileLinks, FileVariant};
pub use throttle::{LoginPolicy, LoginThrottle};
pub use user_token::{UserPrincipal, UserTokenVerifier};

/// Claim our own tokens carry so that one kind can never pass as another.
pub(crate) const KIND_CLAIM_AGENT: &str = "agent";
pub(crate) const KIND_CLAIM_GUEST: &str = "guest";
pub(crate) const GUEST_AUDIENCE: &str = "frontdesk-guest";
pub(crate) const AGENT_AUDIENCE: &str = "frontdesk-agent";
pub(crate) const ISSUER: &str = "frontdesk";
