//! Who a session belongs to. Business users (a token's `sub`) and guests (ids the server makes
//! up) live in separate namespaces: a user whose id equals a guest's id is somebody else, so
//! every ownership check compares both parts, never the id alone.

use std::sync::Arc;

use super::session::Session;

/// A session's owner: an id within its namespace.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SessionOwner {
    pub user_id: Arc<str>,
    /// A guest of the server's own making, not a user of the business's auth.
    pub is_guest: bool,
}

impl SessionOwner {
    /// A user of the business's own auth.
    pub fn user(user_id: &str) -> Self {
        SessionOwner {
            user_id: Arc::from(user_id),
            is_guest: false,
        }
    }

    /// The person a privacy request names: a user id of 1..=128 characters, in the guests'
    /// namespace when `is_guest`.
    pub fn named(raw: &str, is_guest: bool) -> crate::error::Result<Self> {
        super::ids::check_user_id(raw)?;
        Ok(SessionOwner {
            user_id: Arc::from(raw),
            is_guest,
        })
    }

    /// A guest the server issued a token to.
    pub fn guest(guest_id: &str) -> Self {
        SessionOwner {
            user_id: Arc::from(guest_id),
            is_guest: true,
        }
    }

    /// The owner of `session`.
    pub fn of(session: &Session) -> Self {
        SessionOwner {
            user_id: Arc::from(session.user_id.as_str()),
            is_guest: session.is_guest,
        }
    }

    /// True when `session` belongs to this owner.
    pub fn owns(&self, session: &Session) -> bool {
        self.is_guest == session.is_guest && *self.user_id == *session.user_id
    }

    /// One text key for an id in its namespace (for maps keyed by text, such as rate limits):
    /// a user and a guest with the same id get different keys.
    pub fn key_of(user_id: &str, is_guest: bool) -> String {
        format!("{}{user_id}", if is_guest { 'g' } else { 'u' })
    }

    /// True for the same id in the same namespace.
    pub fn is(&self, user_id: &str, is_guest: bool) -> bool {
        self.is_guest == is_guest && *self.user_id == *user_id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_the_namespaces_apart() {
        assert_ne!(
            SessionOwner::key_of("u1", false),
            SessionOwner::key_of("u1", true)
        );
    }

    #[test]
    fn the_same_id_in_the_other_namespace_is_someone_else() {
        let user = SessionOwner::user("guest_01ABC");
        let guest = SessionOwner::guest("guest_01ABC");
        assert_ne!(user, guest);
        assert!(user.is("guest_01ABC", false));
        assert!(!user.is("guest_01ABC", true));
        assert!(guest.is("guest_01ABC", true));
    }
}
