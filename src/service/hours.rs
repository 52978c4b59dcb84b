//! Business hours and availability: the schedule super admins set, and whether a visitor can
//! chat live now (inside the hours and, with `OFFLINE_WHEN_NO_AGENTS`, with an agent online).

use super::{AgentPrincipal, Services};
use crate::domain::Permission;
use crate::domain::Timestamp;
use crate::domain::hours::{self, BusinessHours, HoursDocument};
use crate::error::Result;

/// Why live chat is or is not offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AvailabilityReason {
    Open,
    /// Outside business hours or on a closed date.
    Closed,
    /// Inside hours, but no agent is online and the server is set to go offline then.
    NoAgents,
}

impl AvailabilityReason {
    pub fn as_str(self) -> &'static str {
        match self {
            AvailabilityReason::Open => "open",
            AvailabilityReason::Closed => "closed",
            AvailabilityReason::NoAgents => "no_agents",
        }
    }
}

/// What the widget asks before offering a live chat.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AvailabilityNow {
    pub online: bool,
    pub reason: AvailabilityReason,
    /// When closed: the next opening; `None` when open, when waiting on agents, or never.
    pub next_open_at: Option<Timestamp>,
    /// The away message when offline, empty when online.
    pub message: String,
}

/// The saved business hours, or the defaults (off, UTC, Monday to Friday 09:00-17:00).
async fn current(ctx: &Services) -> Result<BusinessHours> {
    Ok(ctx.store.business_hours().await?.unwrap_or_default())
}

/// The hours as saved; every signed-in agent may read them.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn get(ctx: &Services, actor: &AgentPrincipal) -> Result<BusinessHours> {
    actor.require(Permission::ViewChats)?;
    current(ctx).await
}

/// Validates and replaces the hours (super admins; audited as `hours_update`).
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn put(
    ctx: &Services,
    actor: &AgentPrincipal,
    doc: &HoursDocument,
) -> Result<BusinessHours> {
    actor.require(Permission::ManageSettings)?;
    let hours = BusinessHours::parse(doc)?;
    ctx.store
        .save_business_hours(hours, &actor.id, ctx.clock.now())
        .await
}

/// Whether live chat is offered now, and if not, why and until when.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
pub async fn availability(ctx: &Services) -> Result<AvailabilityNow> {
    let hours = current(ctx).await?;
    let now = ctx.clock.now();
    let schedule = hours::availability_at(now, &hours);
    let (online, reason) = if !schedule.open {
        (false, AvailabilityReason::Closed)
    } else if ctx.settings.widget.offline_when_no_agents && !any_agent_online(ctx, now).await? {
        (false, AvailabilityReason::NoAgents)
    } else {
        (true, AvailabilityReason::Open)
    };
    Ok(AvailabilityNow {
        online,
        reason,
        next_open_at: schedule.next_open_at,
        message: if online {
            String::new()
        } else {
            hours.away_message
        },
    })
}

/// The same online rule as the queue and auto-assignment.
pub(crate) async fn any_agent_online(ctx: &Services, now: Timestamp) -> Result<bool> {
    Ok(ctx.store.agents().await?.iter().any(|a| a.online(now)))
}
