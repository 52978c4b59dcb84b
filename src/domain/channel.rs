//! Which door a chat came in by: the app, the website widget, or the website's offline form.

use serde::Serialize;

use crate::error::{Error, Result};

/// Where a chat started. Offline chats are contact-form messages left while nobody could
/// answer: they wait for an agent however long that takes, so idle expiry leaves them alone.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    #[default]
    App,
    Web,
    Offline,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::App => "app",
            Channel::Web => "web",
            Channel::Offline => "offline",
        }
    }

    /// What the database holds.
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "app" => Channel::App,
            "web" => Channel::Web,
            "offline" => Channel::Offline,
            _ => return None,
        })
    }

    /// A channel a client may name when starting a live chat: "app" or "web". "offline" is
    /// only made by the offline form's own endpoint.
    pub fn parse_live(field: &'static str, raw: Option<&str>) -> Result<Self> {
        match raw {
            None => Ok(Channel::App),
            Some("app") => Ok(Channel::App),
            Some("web") => Ok(Channel::Web),
            Some(_) => Err(Error::validation(
                field,
                format!("{field} must be \"app\" or \"web\""),
            )),
        }
    }

    /// Whether a quiet chat of this channel expires after the idle timeout.
    pub fn expires_when_idle(self) -> bool {
        self != Channel::Offline
    }

    /// The dashboard's label.
    pub fn label(self) -> &'static str {
        match self {
            Channel::App => "App",
            Channel::Web => "Web",
            Channel::Offline => "Offline",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_may_name_app_or_web_only() {
        assert_eq!(Channel::parse_live("channel", None).unwrap(), Channel::App);
        assert_eq!(
            Channel::parse_live("channel", Some("web")).unwrap(),
            Channel::Web
        );
        for bad in ["offline", "WEB", "", "email"] {
            assert!(Channel::parse_live("channel", Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn stored_names_round_trip_and_only_offline_never_idles_out() {
        for c in [Channel::App, Channel::Web, Channel::Offline] {
            assert_eq!(Channel::parse(c.as_str()), Some(c));
        }
        assert!(Channel::App.expires_when_idle());
        assert!(!Channel::Offline.expires_when_idle());
    }
}
