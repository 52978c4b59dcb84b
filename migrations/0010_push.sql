-- Version 10: mobile push (SPEC.md section 10). Devices register a token per user; an agent's
-- message to a user who is not watching queues one notification per device in `push_outbox`,
-- in the transaction that fans the message's outbox event out.

CREATE TABLE push_tokens (
    token      TEXT PRIMARY KEY,          -- one device; registering it again moves it to the caller
    user_id    TEXT NOT NULL,
    is_guest   INTEGER NOT NULL,
    platform   TEXT NOT NULL CHECK (platform IN ('android', 'ios', 'web')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE INDEX push_tokens_by_user ON push_tokens (user_id, is_guest);

CREATE TABLE push_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    token           TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    created_at      INTEGER NOT NULL,
    UNIQUE (token, session_id, message_id)
) STRICT;

CREATE INDEX push_outbox_due ON push_outbox (next_attempt_at) WHERE status = 'pending';
