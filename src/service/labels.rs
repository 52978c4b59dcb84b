//! Labels: super admins keep the list (name and colour); chat admins and super admins put
//! labels on chats and take them off; everyone who sees chats sees their labels.

use super::{AgentPrincipal, Services};
use crate::domain::Permission;
use crate::domain::label::{Label, LabelFields};
use crate::error::{Error, Result};
use crate::realtime::DashboardEvent;

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn list(ctx: &Services, actor: &AgentPrincipal) -> Result<Vec<Label>> {
    actor.require(Permission::ViewChats)?;
    ctx.store.labels().await
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id, id = %id))]
pub async fn get(ctx: &Services, actor: &AgentPrincipal, id: &str) -> Result<Label> {
    actor.require(Permission::ViewChats)?;
    ctx.store.label(id).await?.ok_or(Error::NotFound("Label"))
}

/// Creates a label; a name already taken (ignoring case) is a conflict.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id))]
pub async fn create(ctx: &Services, actor: &AgentPrincipal, fields: LabelFields) -> Result<Label> {
    actor.require(Permission::ManageLabels)?;
    let now = ctx.clock.now();
    let id = crate::domain::ids::generate("label", now.0);
    let label = ctx.store.create_label(&id, fields, &actor.id, now).await?;
    // Open chats offer it.
    ctx.bus.publish(DashboardEvent::LabelsChanged);
    Ok(label)
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id, id = %id))]
pub async fn update(
    ctx: &Services,
    actor: &AgentPrincipal,
    id: &str,
    fields: LabelFields,
) -> Result<Label> {
    actor.require(Permission::ManageLabels)?;
    let label = ctx
        .store
        .update_label(id, fields, &actor.id, ctx.clock.now())
        .await?;
    // Queue rows and open chats show the label's name and colour.
    ctx.bus.publish(DashboardEvent::QueueChanged);
    ctx.bus.publish(DashboardEvent::LabelsChanged);
    Ok(label)
}

#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id, id = %id))]
pub async fn delete(ctx: &Services, actor: &AgentPrincipal, id: &str) -> Result<()> {
    actor.require(Permission::ManageLabels)?;
    ctx.store
        .delete_label(id, &actor.id, ctx.clock.now())
        .await?;
    ctx.bus.publish(DashboardEvent::QueueChanged);
    ctx.bus.publish(DashboardEvent::LabelsChanged);
    Ok(())
}

/// The labels on one chat.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id, session_id = %session_id))]
pub async fn of_chat(
    ctx: &Services,
    actor: &AgentPrincipal,
    session_id: &str,
) -> Result<Vec<Label>> {
    actor.require(Permission::ViewChats)?;
    ctx.store.chat_labels(session_id).await
}

/// Which change [`change_on_chat`] makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LabelChange {
    Add,
    Remove,
}

/// Puts a label on a chat or takes it off, and returns the chat's labels; doing it twice
/// changes nothing more.
#[tracing::instrument(level = "debug", skip_all, err(level = "debug"), fields(agent_id = %actor.id, session_id = %session_id, label_id = %label_id))]
pub async fn change_on_chat(
    ctx: &Services,
    actor: &AgentPrincipal,
    session_id: &str,
    label_id: &str,
    change: LabelChange,
) -> Result<Vec<Label>> {
    actor.require(Permission::LabelChats)?;
    let now = ctx.clock.now();
    let labels = match change {
        LabelChange::Add => {
            ctx.store
                .add_chat_label(session_id, label_id, &actor.id, now)
                .await?
        }
        LabelChange::Remove => {
            ctx.store
                .remove_chat_label(session_id, label_id, &actor.id, now)
                .await?
        }
    };
    ctx.bus
        .publish(DashboardEvent::SessionDetails(session_id.into()));
    ctx.bus.publish(DashboardEvent::QueueChanged);
    Ok(labels)
}
