-- Version 13: the data's life after the chat (SPEC.md section 12): daily figures kept for
-- analytics, retention, and erasing a person.

-- Figures of each finished UTC day, written once the day can no longer change (no chat
-- started that day is still going on). Analytics read these instead of counting rows, and
-- they stay when retention deletes the chats they were counted from. `label_id` is '' for
-- every chat, or a label for the chats carrying it; a chat labelled after its day was
-- written moves its figures into the label's rows.
CREATE TABLE day_stats (
    label_id              TEXT NOT NULL,
    day                   TEXT NOT NULL,             -- 'YYYY-MM-DD', UTC
    sessions              INTEGER NOT NULL,
    ended                 INTEGER NOT NULL,
    duration_ms_sum       INTEGER NOT NULL,
    resolved              INTEGER NOT NULL,
    answered              INTEGER NOT NULL,
    first_response_ms_sum INTEGER NOT NULL,
    messages              INTEGER NOT NULL,
    ratings               INTEGER NOT NULL,
    rating_sum            INTEGER NOT NULL,
    ratings_good          INTEGER NOT NULL,
    rating_counts         TEXT NOT NULL,             -- JSON: how many of each rating 1..5
    user_messages_by_hour TEXT NOT NULL,             -- JSON: 24 counts by UTC hour
    PRIMARY KEY (label_id, day)
) STRICT, WITHOUT ROWID;

CREATE TABLE agent_day_stats (
    label_id              TEXT NOT NULL,
    day                   TEXT NOT NULL,
    agent_id              TEXT NOT NULL,
    chats_handled         INTEGER NOT NULL,
    messages_sent         INTEGER NOT NULL,
    chats_ended           INTEGER NOT NULL,
    first_responses       INTEGER NOT NULL,
    first_response_ms_sum INTEGER NOT NULL,
    ratings               INTEGER NOT NULL,
    rating_sum            INTEGER NOT NULL,
    ratings_good          INTEGER NOT NULL,
    PRIMARY KEY (label_id, day, agent_id)
) STRICT, WITHOUT ROWID;

CREATE TRIGGER labels_delete_stats AFTER DELETE ON labels BEGIN
    DELETE FROM day_stats WHERE label_id = old.id;
    DELETE FROM agent_day_stats WHERE label_id = old.id;
END;

-- Every row that holds a chat's content can be found by the chat's id with an index, so
-- deleting a chat is a set of index lookups however large the tables grow. A delivery's
-- payload names its chat; the new column makes "every delivery of this chat" a lookup.
ALTER TABLE webhook_deliveries ADD COLUMN session_id TEXT;
UPDATE webhook_deliveries SET session_id = json_extract(body, '$.data.session.sessionId');
CREATE INDEX webhook_deliveries_by_session ON webhook_deliveries (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX outbox_events_by_session ON outbox_events (session_id);
CREATE INDEX email_outbox_by_session ON email_outbox (session_id) WHERE session_id IS NOT NULL;
CREATE INDEX push_outbox_by_session ON push_outbox (session_id);

-- Retention walks ended chats oldest first; agents' ended chats are counted by end time.
CREATE INDEX sessions_by_ended ON sessions (ended_at) WHERE status <> 'active';
