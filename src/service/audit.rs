//! Reading the audit log (super admins). Writing happens inside each action's transaction via
//! `store::audit::record`.

use super::{AgentPrincipal, PageRequest, Pagination, Services};
use crate::domain::Permission;
use crate::error::Result;
use crate::store::audit::{self, AuditFilter, AuditRow};

pub async fn list(
    ctx: &Services,
    actor: &AgentPrincipal,
    filter: AuditFilter,
    page: PageRequest,
) -> Result<(Vec<AuditRow>, Pagination, i64)> {
    actor.require(Permission::ViewAudit)?;
    ctx.store
        .read(move |conn| {
            let total = audit::count(conn, &filter)?;
            let rows = audit::list(conn, &filter, page.offset(), page.limit)?;
            Ok((rows, Pagination::new(page, total), total))
        })
        .await
}
