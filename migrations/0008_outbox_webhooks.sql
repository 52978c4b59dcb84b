-- Version 8: the outbox and webhooks (SPEC.md section 10).
--
-- Every change a webhook can report commits an `outbox_events` row in the same transaction:
-- triggers write it, so no code path that changes a chat can forget to. A row names what
-- happened (type, session, the message/agent/rating concerned); the dispatcher turns it into
-- one frozen delivery per subscribed endpoint and deletes it in one transaction, so an event is
-- fanned out exactly once, across restarts and kill -9.
--
-- `outbox_wanted` holds the event types some consumer subscribes to; the triggers write nothing
-- for the others, so a server with no webhooks pays one lookup in a tiny table per change.

CREATE TABLE outbox_wanted (
    type TEXT PRIMARY KEY
) STRICT, WITHOUT ROWID;

CREATE TABLE outbox_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    type       TEXT NOT NULL,
    session_id TEXT NOT NULL,
    subject    TEXT,                 -- the message id, the assigned agent's id or the rating id
    created_at INTEGER NOT NULL
) STRICT;

CREATE TRIGGER outbox_session_created AFTER INSERT ON sessions
WHEN NEW.channel != 'offline'
    AND EXISTS (SELECT 1 FROM outbox_wanted WHERE type = 'session.created')
BEGIN
    INSERT INTO outbox_events (type, session_id, subject, created_at)
    VALUES ('session.created', NEW.id, NULL, NEW.created_at);
END;

-- Users' and agents' messages; system lines (welcome, "chat ended") are not reported. A
-- visitor's message in an offline-form chat is an offline message.
CREATE TRIGGER outbox_message_created AFTER INSERT ON messages
WHEN NEW.sender != 'system'
    AND (NEW.sender = 'admin' OR (SELECT channel FROM sessions WHERE id = NEW.session_id) != 'offline')
    AND EXISTS (SELECT 1 FROM outbox_wanted WHERE type = 'message.created')
BEGIN
    INSERT INTO outbox_events (type, session_id, subject, created_at)
    VALUES ('message.created', NEW.session_id, NEW.id, NEW.created_at);
END;

CREATE TRIGGER outbox_offline_message_created AFTER INSERT ON messages
WHEN NEW.sender = 'user'
    AND (SELECT channel FROM sessions WHERE id = NEW.session_id) = 'offline'
    AND EXISTS (SELECT 1 FROM outbox_wanted WHERE type = 'offline_message.created')
BEGIN
    INSERT INTO outbox_events (type, session_id, subject, created_at)
    VALUES ('offline_message.created', NEW.session_id, NEW.id, NEW.created_at);
END;

CREATE TRIGGER outbox_session_assigned AFTER UPDATE OF assigned_agent_id ON sessions
WHEN NEW.assigned_agent_id IS NOT NULL
    AND NEW.assigned_agent_id IS NOT OLD.assigned_agent_id
    AND EXISTS (SELECT 1 FROM outbox_wanted WHERE type = 'session.assigned')
BEGIN
    INSERT INTO outbox_events (type, session_id, subject, created_at)
    VALUES ('session.assigned', NEW.id, NEW.assigned_agent_id,
            COALESCE(NEW.assigned_at, NEW.last_activity_at));
END;

CREATE TRIGGER outbox_session_ended AFTER UPDATE OF status ON sessions
WHEN OLD.status = 'active' AND NEW.status != 'active'
    AND EXISTS (SELECT 1 FROM outbox_wanted WHERE type = 'session.ended')
BEGIN
    INSERT INTO outbox_events (type, session_id, subject, created_at)
    VALUES ('session.ended', NEW.id, NULL, COALESCE(NEW.ended_at, NEW.last_activity_at));
END;

CREATE TRIGGER outbox_rating_created AFTER INSERT ON ratings
WHEN EXISTS (SELECT 1 FROM outbox_wanted WHERE type = 'rating.created')
BEGIN
    INSERT INTO outbox_events (type, session_id, subject, created_at)
    VALUES ('rating.created', NEW.session_id, NEW.id, NEW.created_at);
END;

CREATE TABLE webhook_endpoints (
    id            TEXT PRIMARY KEY,
    url           TEXT NOT NULL,
    description   TEXT NOT NULL DEFAULT '',
    events        TEXT NOT NULL,         -- JSON array of event types
    secret        TEXT NOT NULL,         -- whsec_ + base64 of the signing key
    active        INTEGER NOT NULL DEFAULT 1,
    -- Set at an endpoint's first failed attempt after a success; cleared by a success. An
    -- endpoint failing for 24 hours is disabled (active = 0) with the reason kept.
    failing_since INTEGER,
    disabled_reason TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL,       -- the webhook-id header: one per event, kept on every retry
    type            TEXT NOT NULL,
    body            TEXT NOT NULL,       -- the payload as first rendered; retries send it as is
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_attempt_at INTEGER,
    response_status INTEGER,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    UNIQUE (endpoint_id, message_id)
) STRICT;

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);
