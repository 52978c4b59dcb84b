//! Reading the audit log (super admins). Writing happens inside each action's own unit of work
//! in the store.

use super::{AgentPrincipal, PageRequest, Pagination, Services};
use crate::domain::Permission;
use crate::domain::audit::{AuditEvent, AuditFilter};
use crate::error::Result;

/// One page of matching events, newest first, with page numbers and the total.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn list(
    ctx: &Services,
    actor: &AgentPrincipal,
    filter: AuditFilter,
    page: PageRequest,
) -> Result<(Vec<AuditEvent>, Pagination, i64)> {
    actor.require(Permission::ViewAudit)?;
    let (events, total) = ctx
        .store
        .audit_events(filter, page.offset(), page.limit)
        .await?;
    Ok((events, Pagination::new(page, total), total))
}
