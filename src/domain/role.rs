//! Agent roles and what each may do. Every admin endpoint and dashboard action checks one
//! `Permission`; this table is the only place that says who has it.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    SuperAdmin,
    ChatAdmin,
    SupportAdmin,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Permission {
    /// Read the queue, transcripts, notes, personas and canned responses.
    ViewChats,
    /// Reply to users.
    Reply,
    /// Assign, release, transfer, end, set priority.
    ManageChats,
    /// Add internal notes.
    WriteNotes,
    ViewAnalytics,
    ManageCannedResponses,
    ManagePersonas,
    ManageAgents,
    ViewAudit,
    /// Change server-wide settings kept in the database (business hours).
    ManageSettings,
    /// Webhook endpoints, their secrets and deliveries.
    ManageWebhooks,
    /// Send a system message into every chat going on.
    Broadcast,
    /// Keep the list of labels (names and colours).
    ManageLabels,
    /// Put labels on chats and take them off.
    LabelChats,
    /// Export or erase everything stored about one person (privacy requests).
    HandlePrivacyRequests,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::SuperAdmin, Role::ChatAdmin, Role::SupportAdmin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::SuperAdmin => "super_admin",
            Role::ChatAdmin => "chat_admin",
            Role::SupportAdmin => "support_admin",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Role::ALL.into_iter().find(|r| r.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::SuperAdmin => "Super admin",
            Role::ChatAdmin => "Chat admin",
            Role::SupportAdmin => "Support admin",
        }
    }

    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::SuperAdmin => true,
            Role::ChatAdmin => matches!(
                permission,
                ViewChats
                    | Reply
                    | ManageChats
                    | WriteNotes
                    | ViewAnalytics
                    | ManageCannedResponses
                    | LabelChats
            ),
            Role::SupportAdmin => matches!(permission, ViewChats | WriteNotes | ViewAnalytics),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn support_admins_read_but_do_not_act() {
        assert!(Role::SupportAdmin.can(Permission::ViewChats));
        assert!(Role::SupportAdmin.can(Permission::ViewAnalytics));
        assert!(!Role::SupportAdmin.can(Permission::Reply));
        assert!(!Role::SupportAdmin.can(Permission::ManageChats));
        assert!(!Role::ChatAdmin.can(Permission::ManageAgents));
        assert!(Role::ChatAdmin.can(Permission::ManageCannedResponses));
        assert!(Role::SuperAdmin.can(Permission::ViewAudit));
        assert!(Role::SuperAdmin.can(Permission::Broadcast));
        assert!(!Role::ChatAdmin.can(Permission::Broadcast));
        assert!(!Role::SupportAdmin.can(Permission::Broadcast));
    }
}
