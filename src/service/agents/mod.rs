//! Agents: who is calling (`principal`, `login`), who is online (`presence`), managing
//! accounts (`manage`), and how an agent is shown (`view`).

mod login;
mod manage;
mod presence;
mod principal;
mod view;

pub use login::{
    authenticate_claims, authenticate_id, authenticate_token, login, verify_credentials,
};
pub use manage::{
    AgentPatch, DEFAULT_CAPACITY, MAX_CAPACITY, MAX_DEPARTMENT_CHARS, MAX_EMAIL_CHARS,
    MAX_NAME_CHARS, NewAgentInput, create, disable, find_by_email, get, list, list_all,
    prepare_new_agent, set_password, update,
};
pub use presence::{announce as announce_presence, mark_signed_in, set_status, sign_out};
pub use principal::AgentPrincipal;
pub use view::AgentView;
