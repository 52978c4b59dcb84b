-- frontdesk schema for PostgreSQL, version 1: the same tables, rules and triggers as the SQLite
-- schema at its version 13 (migrations/), written once for this engine. Times are BIGINT
-- milliseconds since the Unix epoch (UTC); enums are their snake_case names as TEXT; JSON
-- documents are TEXT, exactly as the SQLite engine stores them, so both engines share codecs.

CREATE EXTENSION IF NOT EXISTS unaccent;

-- Search folds case and accents like SQLite's `unicode61 remove_diacritics 2` and keeps every
-- word (no stemming, no stop words): a support agent searches for what was typed.
CREATE TEXT SEARCH CONFIGURATION frontdesk_search (COPY = pg_catalog.simple);
ALTER TEXT SEARCH CONFIGURATION frontdesk_search
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;

-- The words of a text as search sees them. Punctuation separates words, as in SQLite's
-- tokenizer: "ann@northwind.example" holds "ann", "northwind" and "example" (PostgreSQL's
-- parser would keep it whole as one email address). Every index and every query goes
-- through this one function.
CREATE FUNCTION frontdesk_words(body TEXT) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE RETURN
    to_tsvector('frontdesk_search'::regconfig, regexp_replace(body, '[[:punct:]]+', ' ', 'g'));

CREATE TABLE server_settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE agents (
    id                   TEXT PRIMARY KEY,
    email                TEXT NOT NULL,
    name                 TEXT NOT NULL,
    department           TEXT,
    role                 TEXT NOT NULL CHECK (role IN ('super_admin', 'chat_admin', 'support_admin')),
    password_hash        TEXT NOT NULL,
    max_concurrent_chats BIGINT NOT NULL DEFAULT 5 CHECK (max_concurrent_chats >= 0),
    is_online            BOOLEAN NOT NULL DEFAULT FALSE,
    last_seen_at         BIGINT,
    last_assigned_at     BIGINT,                     -- round-robin order for auto-assignment
    disabled             BOOLEAN NOT NULL DEFAULT FALSE,
    -- Bumped on disable and password change: tokens carrying an older version stop working.
    token_version        BIGINT NOT NULL DEFAULT 0,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL,
    -- Active chats of this agent, kept by the triggers below. Assigning guards with a
    -- conditional update of this row (active_chats < max_concurrent_chats), which serialises
    -- concurrent assigners of one agent.
    active_chats         BIGINT NOT NULL DEFAULT 0
);
-- Emails are unique ignoring case (SQLite: COLLATE NOCASE).
CREATE UNIQUE INDEX agents_email_key ON agents (lower(email));

CREATE TABLE personas (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    bio        TEXT,
    avatar_url TEXT,
    deleted    BOOLEAN NOT NULL DEFAULT FALSE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    id                    TEXT PRIMARY KEY,
    user_id               TEXT NOT NULL,
    user_name             TEXT,
    user_email            TEXT,
    user_phone            TEXT,
    is_guest              BOOLEAN NOT NULL DEFAULT FALSE,
    persona_id            TEXT REFERENCES personas (id),
    status                TEXT NOT NULL DEFAULT 'active'
                          CHECK (status IN ('active', 'ended_by_user', 'ended_by_admin', 'expired')),
    assigned_agent_id     TEXT REFERENCES agents (id),
    assigned_at           BIGINT,
    priority_override     TEXT CHECK (priority_override IN ('low', 'medium', 'high', 'urgent')),
    created_at            BIGINT NOT NULL,
    client_start_time     TEXT,
    metadata              TEXT,
    ended_at              BIGINT,
    ended_by              TEXT CHECK (ended_by IN ('user', 'admin', 'system')),
    ended_by_agent_id     TEXT REFERENCES agents (id),
    end_reason            TEXT,
    -- Denormalised counters kept in the same transaction as each message insert.
    message_count         BIGINT NOT NULL DEFAULT 0, -- user and agent messages, not system ones
    last_activity_at      BIGINT NOT NULL,           -- creation or last user/agent message
    last_user_message_at  BIGINT,
    last_agent_message_at BIGINT,
    awaiting_since        BIGINT,                    -- oldest user message not yet answered
    first_user_message_at BIGINT,
    first_response_at     BIGINT,                    -- first agent message after the first user message
    first_responder_id    TEXT REFERENCES agents (id),
    unread_by_agent       BIGINT NOT NULL DEFAULT 0,
    agent_read_seq        BIGINT NOT NULL DEFAULT 0, -- user messages up to this position were seen by an agent
    -- A message's position is (session_id, session_seq); session_seq comes from last_seq,
    -- bumped under the session's row lock in the statement that records the message, so a
    -- later position can never become visible before an earlier one of the same session.
    last_seq              BIGINT NOT NULL DEFAULT 0,
    guest_addr            TEXT,
    channel               TEXT NOT NULL DEFAULT 'app' CHECK (channel IN ('app', 'web', 'offline'))
);

CREATE INDEX sessions_by_user ON sessions (user_id, created_at DESC);
CREATE INDEX sessions_active ON sessions (status, created_at) WHERE status = 'active';
CREATE INDEX sessions_by_created ON sessions (created_at);
CREATE INDEX sessions_by_agent ON sessions (assigned_agent_id) WHERE status = 'active';
CREATE INDEX sessions_waiting ON sessions (created_at) WHERE status = 'active' AND assigned_agent_id IS NULL;
CREATE INDEX sessions_by_first_response ON sessions (first_response_at) WHERE first_response_at IS NOT NULL;
CREATE INDEX sessions_active_by_guest_addr ON sessions (guest_addr)
    WHERE status = 'active' AND guest_addr IS NOT NULL;
CREATE INDEX sessions_by_ended ON sessions (ended_at) WHERE status <> 'active';

CREATE TABLE messages (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, -- never reused
    id               TEXT NOT NULL,
    session_id       TEXT NOT NULL REFERENCES sessions (id),
    sender           TEXT NOT NULL CHECK (sender IN ('user', 'admin', 'system')),
    agent_id         TEXT REFERENCES agents (id),       -- the real agent, even under a persona
    sent_as          TEXT CHECK (sent_as IN ('agent', 'persona')),
    display_name     TEXT,
    department       TEXT,
    body             TEXT NOT NULL,
    kind             TEXT NOT NULL DEFAULT 'text' CHECK (kind IN ('text', 'system')),
    created_at       BIGINT NOT NULL,
    client_timestamp TEXT,
    delivered_at     BIGINT,
    read_at          BIGINT,
    session_seq      BIGINT NOT NULL DEFAULT 0,
    -- What a message shows of its files (JSON), written once with the message. NULL: no files.
    attachments      TEXT,
    -- The words search finds, kept by PostgreSQL itself on every insert and update.
    search_words     tsvector GENERATED ALWAYS AS (frontdesk_words(body)) STORED,
    UNIQUE (session_id, id)
);

CREATE UNIQUE INDEX messages_by_session_seq ON messages (session_id, session_seq);
CREATE INDEX messages_by_created ON messages (created_at);
CREATE INDEX messages_by_agent ON messages (agent_id, created_at) WHERE agent_id IS NOT NULL;
CREATE INDEX messages_search ON messages USING gin (search_words);

CREATE TABLE ratings (
    id               TEXT PRIMARY KEY,
    session_id       TEXT NOT NULL UNIQUE REFERENCES sessions (id),
    rating           BIGINT NOT NULL CHECK (rating BETWEEN 1 AND 5),
    feedback         TEXT,
    categories       TEXT NOT NULL DEFAULT '[]',
    client_timestamp TEXT,
    created_at       BIGINT NOT NULL
);

CREATE INDEX ratings_by_created ON ratings (created_at);

CREATE TABLE notes (
    id         TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    agent_id   TEXT NOT NULL REFERENCES agents (id),
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE INDEX notes_by_session ON notes (session_id, created_at);

CREATE TABLE canned_responses (
    id         TEXT PRIMARY KEY,
    title      TEXT NOT NULL,
    shortcut   TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_by TEXT REFERENCES agents (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX canned_responses_shortcut_key ON canned_responses (lower(shortcut));

CREATE TABLE audit_events (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         BIGINT NOT NULL,
    agent_id   TEXT REFERENCES agents (id),
    action     TEXT NOT NULL,
    session_id TEXT,
    detail     TEXT
);

CREATE INDEX audit_by_session ON audit_events (session_id, seq);
CREATE INDEX audit_by_agent ON audit_events (agent_id, seq);

CREATE TABLE dashboard_sessions (
    token_hash   TEXT PRIMARY KEY,
    agent_id     TEXT NOT NULL REFERENCES agents (id),
    csrf_token   TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL CHECK (value::jsonb IS NOT NULL),
    updated_at BIGINT NOT NULL,
    updated_by TEXT REFERENCES agents (id)
);

-- Files sent in chats: `blobs` has one row per stored file (named by its SHA-256 in the files
-- folder, however many attachments share it), `attachments` one row per upload.
CREATE TABLE blobs (
    hash       TEXT PRIMARY KEY,
    size       BIGINT NOT NULL CHECK (size >= 0),
    created_at BIGINT NOT NULL
);

CREATE TABLE attachments (
    id             TEXT PRIMARY KEY,
    session_id     TEXT NOT NULL REFERENCES sessions (id),
    uploader_kind  TEXT NOT NULL CHECK (uploader_kind IN ('user', 'agent')),
    uploader_id    TEXT NOT NULL,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    size           BIGINT NOT NULL CHECK (size >= 0),
    width          BIGINT,
    height         BIGINT,
    blob_hash      TEXT NOT NULL REFERENCES blobs (hash),
    thumbnail_hash TEXT REFERENCES blobs (hash),
    message_id     TEXT,              -- set once, when a message takes the upload
    created_at     BIGINT NOT NULL
);

CREATE INDEX attachments_by_session ON attachments (session_id, message_id);
CREATE INDEX attachments_unsent ON attachments (created_at) WHERE message_id IS NULL;
CREATE INDEX attachments_by_blob ON attachments (blob_hash);
CREATE INDEX attachments_by_thumbnail ON attachments (thumbnail_hash) WHERE thumbnail_hash IS NOT NULL;

-- The outbox: every change a webhook can report commits an `outbox_events` row in the same
-- transaction, written by the triggers below for the types `outbox_wanted` lists.
CREATE TABLE outbox_wanted (
    type TEXT PRIMARY KEY
);

CREATE TABLE outbox_events (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    type       TEXT NOT NULL,
    session_id TEXT NOT NULL,
    subject    TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX outbox_events_by_session ON outbox_events (session_id);

CREATE TABLE webhook_endpoints (
    id              TEXT PRIMARY KEY,
    url             TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    events          TEXT NOT NULL,         -- JSON array of event types
    secret          TEXT NOT NULL,         -- whsec_ + base64 of the signing key
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    failing_since   BIGINT,
    disabled_reason TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    message_id      TEXT NOT NULL,       -- the webhook-id header: one per event, kept on every retry
    type            TEXT NOT NULL,
    body            TEXT NOT NULL,       -- the payload as first rendered; retries send it as is
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_attempt_at BIGINT,
    response_status BIGINT,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    session_id      TEXT,
    UNIQUE (endpoint_id, message_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_by_session ON webhook_deliveries (session_id) WHERE session_id IS NOT NULL;

CREATE TABLE email_outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            TEXT NOT NULL,
    dedupe_key      TEXT NOT NULL UNIQUE,
    session_id      TEXT,
    to_address      TEXT NOT NULL,
    reply_to        TEXT,
    subject         TEXT NOT NULL,
    text_body       TEXT NOT NULL,
    html_body       TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    sent_at         BIGINT
);

CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX email_outbox_by_session ON email_outbox (session_id) WHERE session_id IS NOT NULL;

CREATE TABLE push_tokens (
    token      TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL,
    is_guest   BOOLEAN NOT NULL,
    platform   TEXT NOT NULL CHECK (platform IN ('android', 'ios', 'web')),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX push_tokens_by_user ON push_tokens (user_id, is_guest);

CREATE TABLE push_outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token           TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    title           TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,
    created_at      BIGINT NOT NULL,
    UNIQUE (token, session_id, message_id)
);

CREATE INDEX push_outbox_due ON push_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX push_outbox_by_session ON push_outbox (session_id);

-- The smaller texts search finds (the customer's name and email, internal notes), one row
-- per text with the chat it belongs to, kept by the triggers below.
CREATE TABLE search_docs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id   TEXT NOT NULL,
    source       TEXT NOT NULL CHECK (source IN ('customer', 'note')),
    item_id      TEXT,                      -- the note's id; NULL for the customer
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    search_words tsvector GENERATED ALWAYS AS (frontdesk_words(body)) STORED
);
CREATE INDEX search_docs_by_session ON search_docs (session_id);
CREATE INDEX search_docs_by_note ON search_docs (item_id) WHERE item_id IS NOT NULL;
CREATE INDEX search_docs_search ON search_docs USING gin (search_words);

CREATE TABLE labels (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    colour     TEXT NOT NULL,                       -- '#rrggbb'
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX labels_name_key ON labels (lower(name));

CREATE TABLE chat_labels (
    label_id   TEXT NOT NULL REFERENCES labels (id) ON DELETE CASCADE,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    added_by   TEXT,
    added_at   BIGINT NOT NULL,
    PRIMARY KEY (label_id, session_id)
);

CREATE INDEX chat_labels_by_session ON chat_labels (session_id, label_id);

-- Figures of each finished UTC day (see the SQLite migration 0013). `label_id` is '' for
-- every chat, or a label for the chats carrying it.
CREATE TABLE day_stats (
    label_id              TEXT NOT NULL,
    day                   TEXT NOT NULL,             -- 'YYYY-MM-DD', UTC
    sessions              BIGINT NOT NULL,
    ended                 BIGINT NOT NULL,
    duration_ms_sum       BIGINT NOT NULL,
    resolved              BIGINT NOT NULL,
    answered              BIGINT NOT NULL,
    first_response_ms_sum BIGINT NOT NULL,
    messages              BIGINT NOT NULL,
    ratings               BIGINT NOT NULL,
    rating_sum            BIGINT NOT NULL,
    ratings_good          BIGINT NOT NULL,
    rating_counts         TEXT NOT NULL,             -- JSON: how many of each rating 1..5
    user_messages_by_hour TEXT NOT NULL,             -- JSON: 24 counts by UTC hour
    PRIMARY KEY (label_id, day)
);

CREATE TABLE agent_day_stats (
    label_id              TEXT NOT NULL,
    day                   TEXT NOT NULL,
    agent_id              TEXT NOT NULL,
    chats_handled         BIGINT NOT NULL,
    messages_sent         BIGINT NOT NULL,
    chats_ended           BIGINT NOT NULL,
    first_responses       BIGINT NOT NULL,
    first_response_ms_sum BIGINT NOT NULL,
    ratings               BIGINT NOT NULL,
    rating_sum            BIGINT NOT NULL,
    ratings_good          BIGINT NOT NULL,
    PRIMARY KEY (label_id, day, agent_id)
);

-- ---------------------------------------------------------------------------------------
-- Triggers: the rules no code path may forget, as in the SQLite schema.

-- Each agent's load follows every change that gives a chat to an agent or takes it away.
CREATE FUNCTION sessions_track_load() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'active' AND OLD.assigned_agent_id IS NOT NULL
       AND (NEW.status <> 'active' OR NEW.assigned_agent_id IS DISTINCT FROM OLD.assigned_agent_id) THEN
        UPDATE agents SET active_chats = active_chats - 1 WHERE id = OLD.assigned_agent_id;
    END IF;
    IF NEW.status = 'active' AND NEW.assigned_agent_id IS NOT NULL
       AND (OLD.status <> 'active' OR OLD.assigned_agent_id IS DISTINCT FROM NEW.assigned_agent_id) THEN
        UPDATE agents SET active_chats = active_chats + 1 WHERE id = NEW.assigned_agent_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER sessions_track_load AFTER UPDATE OF assigned_agent_id, status ON sessions
    FOR EACH ROW EXECUTE FUNCTION sessions_track_load();

-- One outbox row when some consumer wants this event type.
CREATE FUNCTION outbox_add(event_type TEXT, session TEXT, subject TEXT, at BIGINT)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO outbox_events (type, session_id, subject, created_at)
    SELECT event_type, session, subject, at
    WHERE EXISTS (SELECT 1 FROM outbox_wanted WHERE type = event_type);
$$;

CREATE FUNCTION outbox_session_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.channel <> 'offline' THEN
        PERFORM outbox_add('session.created', NEW.id, NULL, NEW.created_at);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_session_inserted AFTER INSERT ON sessions
    FOR EACH ROW EXECUTE FUNCTION outbox_session_inserted();

-- Users' and agents' messages; system lines are not reported. A visitor's message in an
-- offline-form chat is an offline message, an agent's reply there an offline reply as well.
CREATE FUNCTION outbox_message_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    chat_channel TEXT;
BEGIN
    IF NEW.sender = 'system' THEN
        RETURN NULL;
    END IF;
    SELECT channel INTO chat_channel FROM sessions WHERE id = NEW.session_id;
    IF NEW.sender = 'admin' OR chat_channel <> 'offline' THEN
        PERFORM outbox_add('message.created', NEW.session_id, NEW.id, NEW.created_at);
    END IF;
    IF NEW.sender = 'user' AND chat_channel = 'offline' THEN
        PERFORM outbox_add('offline_message.created', NEW.session_id, NEW.id, NEW.created_at);
    END IF;
    IF NEW.sender = 'admin' AND chat_channel = 'offline' THEN
        PERFORM outbox_add('offline_reply.created', NEW.session_id, NEW.id, NEW.created_at);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_message_inserted AFTER INSERT ON messages
    FOR EACH ROW EXECUTE FUNCTION outbox_message_inserted();

CREATE FUNCTION outbox_session_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.assigned_agent_id IS NOT NULL
       AND NEW.assigned_agent_id IS DISTINCT FROM OLD.assigned_agent_id THEN
        PERFORM outbox_add('session.assigned', NEW.id, NEW.assigned_agent_id,
                           COALESCE(NEW.assigned_at, NEW.last_activity_at));
    END IF;
    IF OLD.status = 'active' AND NEW.status <> 'active' THEN
        PERFORM outbox_add('session.ended', NEW.id, NULL, COALESCE(NEW.ended_at, NEW.last_activity_at));
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_session_updated AFTER UPDATE OF assigned_agent_id, status ON sessions
    FOR EACH ROW EXECUTE FUNCTION outbox_session_updated();

CREATE FUNCTION outbox_rating_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM outbox_add('rating.created', NEW.session_id, NEW.id, NEW.created_at);
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_rating_inserted AFTER INSERT ON ratings
    FOR EACH ROW EXECUTE FUNCTION outbox_rating_inserted();

-- The customer's name and email, one search document per chat when either is known.
CREATE FUNCTION sessions_search_customer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF NEW.user_name IS NOT DISTINCT FROM OLD.user_name
           AND NEW.user_email IS NOT DISTINCT FROM OLD.user_email THEN
            RETURN NULL;
        END IF;
        DELETE FROM search_docs WHERE session_id = NEW.id AND source = 'customer';
    END IF;
    IF coalesce(NEW.user_name, '') <> '' OR coalesce(NEW.user_email, '') <> '' THEN
        INSERT INTO search_docs (session_id, source, item_id, body, created_at)
        VALUES (NEW.id, 'customer', NULL,
                trim(coalesce(NEW.user_name, '') || ' ' || coalesce(NEW.user_email, '')),
                NEW.created_at);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER sessions_search_customer AFTER INSERT OR UPDATE OF user_name, user_email ON sessions
    FOR EACH ROW EXECUTE FUNCTION sessions_search_customer();

CREATE FUNCTION sessions_search_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM search_docs WHERE session_id = OLD.id;
    RETURN NULL;
END $$;
CREATE TRIGGER sessions_search_forget AFTER DELETE ON sessions
    FOR EACH ROW EXECUTE FUNCTION sessions_search_forget();

CREATE FUNCTION notes_search() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO search_docs (session_id, source, item_id, body, created_at)
        VALUES (NEW.session_id, 'note', NEW.id, NEW.body, NEW.created_at);
    ELSE
        DELETE FROM search_docs WHERE item_id = OLD.id AND source = 'note';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER notes_search AFTER INSERT OR DELETE ON notes
    FOR EACH ROW EXECUTE FUNCTION notes_search();

-- A deleted label leaves no figures behind (its chat rows go by ON DELETE CASCADE).
CREATE FUNCTION labels_forget_stats() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM day_stats WHERE label_id = OLD.id;
    DELETE FROM agent_day_stats WHERE label_id = OLD.id;
    RETURN NULL;
END $$;
CREATE TRIGGER labels_forget_stats AFTER DELETE ON labels
    FOR EACH ROW EXECUTE FUNCTION labels_forget_stats();
