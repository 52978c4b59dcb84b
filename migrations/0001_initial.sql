-- frontdesk schema, version 1. Times are INTEGER milliseconds since the Unix epoch (UTC).

CREATE TABLE server_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE agents (
    id                   TEXT PRIMARY KEY,
    email                TEXT NOT NULL COLLATE NOCASE UNIQUE,
    name                 TEXT NOT NULL,
    department           TEXT,
    role                 TEXT NOT NULL CHECK (role IN ('super_admin', 'chat_admin', 'support_admin')),
    password_hash        TEXT NOT NULL,
    max_concurrent_chats INTEGER NOT NULL DEFAULT 5 CHECK (max_concurrent_chats >= 0),
    is_online            INTEGER NOT NULL DEFAULT 0,
    last_seen_at         INTEGER,
    last_assigned_at     INTEGER,                     -- round-robin order for auto-assignment
    disabled             INTEGER NOT NULL DEFAULT 0,
    -- Bumped on disable and password change: tokens carrying an older version stop working.
    token_version        INTEGER NOT NULL DEFAULT 0,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL
) STRICT;

CREATE TABLE personas (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    bio        TEXT,
    avatar_url TEXT,
    deleted    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
    id                    TEXT PRIMARY KEY,
    user_id               TEXT NOT NULL,
    user_name             TEXT,
    user_email            TEXT,
    user_phone            TEXT,
    is_guest              INTEGER NOT NULL DEFAULT 0,
    persona_id            TEXT REFERENCES personas (id),
    status                TEXT NOT NULL DEFAULT 'active'
                          CHECK (status IN ('active', 'ended_by_user', 'ended_by_admin', 'expired')),
    assigned_agent_id     TEXT REFERENCES agents (id),
    assigned_at           INTEGER,
    priority_override     TEXT CHECK (priority_override IN ('low', 'medium', 'high', 'urgent')),
    created_at            INTEGER NOT NULL,
    client_start_time     TEXT,
    metadata              TEXT,
    ended_at              INTEGER,
    ended_by              TEXT CHECK (ended_by IN ('user', 'admin', 'system')),
    ended_by_agent_id     TEXT REFERENCES agents (id),
    end_reason            TEXT,
    -- Denormalised counters kept in the same transaction as each message insert.
    message_count         INTEGER NOT NULL DEFAULT 0, -- user and agent messages, not system ones
    last_activity_at      INTEGER NOT NULL,           -- creation or last user/agent message
    last_user_message_at  INTEGER,
    last_agent_message_at INTEGER,
    awaiting_since        INTEGER,                    -- oldest user message not yet answered
    first_user_message_at INTEGER,
    first_response_at     INTEGER,                    -- first agent message after the first user message
    first_responder_id    TEXT REFERENCES agents (id),
    unread_by_agent       INTEGER NOT NULL DEFAULT 0,
    agent_read_seq        INTEGER NOT NULL DEFAULT 0  -- user messages up to this seq were seen by an agent
) STRICT;

CREATE INDEX sessions_by_user ON sessions (user_id, created_at DESC);
CREATE INDEX sessions_active ON sessions (status, created_at) WHERE status = 'active';
CREATE INDEX sessions_by_created ON sessions (created_at);
CREATE INDEX sessions_by_agent ON sessions (assigned_agent_id) WHERE status = 'active';
-- The queue position of a new chat counts these; the sweeper looks for silent ones; the wait
-- estimate reads the newest first responses. Each is a short index range, not a table scan.
CREATE INDEX sessions_waiting ON sessions (created_at) WHERE status = 'active' AND assigned_agent_id IS NULL;
CREATE INDEX sessions_by_activity ON sessions (last_activity_at) WHERE status = 'active';
CREATE INDEX sessions_by_first_response ON sessions (first_response_at) WHERE first_response_at IS NOT NULL;

CREATE TABLE messages (
    seq              INTEGER PRIMARY KEY AUTOINCREMENT, -- orders everything; never reused
    id               TEXT NOT NULL,
    session_id       TEXT NOT NULL REFERENCES sessions (id),
    sender           TEXT NOT NULL CHECK (sender IN ('user', 'admin', 'system')),
    agent_id         TEXT REFERENCES agents (id),       -- the real agent, even under a persona
    sent_as          TEXT CHECK (sent_as IN ('agent', 'persona')),
    display_name     TEXT,
    department       TEXT,
    body             TEXT NOT NULL,
    kind             TEXT NOT NULL DEFAULT 'text' CHECK (kind IN ('text', 'system')),
    created_at       INTEGER NOT NULL,
    client_timestamp TEXT,
    delivered_at     INTEGER,
    read_at          INTEGER,
    UNIQUE (session_id, id)
) STRICT;

CREATE INDEX messages_by_session ON messages (session_id, seq);
CREATE INDEX messages_by_created ON messages (created_at);
CREATE INDEX messages_by_agent ON messages (agent_id, created_at) WHERE agent_id IS NOT NULL;

CREATE TABLE ratings (
    id               TEXT PRIMARY KEY,
    session_id       TEXT NOT NULL UNIQUE REFERENCES sessions (id),
    rating           INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    feedback         TEXT,
    categories       TEXT NOT NULL DEFAULT '[]',
    client_timestamp TEXT,
    created_at       INTEGER NOT NULL
) STRICT;

CREATE INDEX ratings_by_created ON ratings (created_at);

CREATE TABLE notes (
    id         TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    agent_id   TEXT NOT NULL REFERENCES agents (id),
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE INDEX notes_by_session ON notes (session_id, created_at);

CREATE TABLE canned_responses (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    shortcut   TEXT NOT NULL COLLATE NOCASE UNIQUE,
    body       TEXT NOT NULL,
    created_by TEXT REFERENCES agents (id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE audit_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    agent_id   TEXT REFERENCES agents (id),
    action     TEXT NOT NULL,
    session_id TEXT,
    detail     TEXT
) STRICT;

CREATE INDEX audit_by_session ON audit_events (session_id, seq);
CREATE INDEX audit_by_agent ON audit_events (agent_id, seq);

CREATE TABLE dashboard_sessions (
    token_hash   TEXT PRIMARY KEY,
    agent_id     TEXT NOT NULL REFERENCES agents (id),
    csrf_token   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) STRICT;
