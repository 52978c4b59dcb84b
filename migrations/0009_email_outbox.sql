-- Version 9: outgoing email through the outbox (SPEC.md section 10).
--
-- An agent's reply in an offline-form chat is an outbox event of its own (the visitor is
-- emailed it); the webhook events do not include it. Each email to send is a row of
-- `email_outbox`, written in the transaction that decided to send it (the event's fan-out, a
-- transcript request, a waiting-chat alert); `dedupe_key` makes a repeat of that decision a no-op.

CREATE TRIGGER outbox_offline_reply_created AFTER INSERT ON messages
WHEN NEW.sender = 'admin'
    AND (SELECT channel FROM sessions WHERE id = NEW.session_id) = 'offline'
    AND EXISTS (SELECT 1 FROM outbox_wanted WHERE type = 'offline_reply.created')
BEGIN
    INSERT INTO outbox_events (type, session_id, subject, created_at)
    VALUES ('offline_reply.created', NEW.session_id, NEW.id, NEW.created_at);
END;

CREATE TABLE email_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    kind            TEXT NOT NULL,       -- offline_message, offline_reply, transcript, waiting_alert
    dedupe_key      TEXT NOT NULL UNIQUE,
    session_id      TEXT,
    to_address      TEXT NOT NULL,
    reply_to        TEXT,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
) STRICT;

CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE status = 'pending';
