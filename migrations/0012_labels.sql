-- Version 12: labels (SPEC.md section 12). Super admins keep the list; agents put labels on
-- chats. A chat's labels are rows of `chat_labels`, keyed label first so "every chat with this
-- label" (the queue, search, analytics and report filters) is one index range.

CREATE TABLE labels (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL COLLATE NOCASE UNIQUE,
    colour     TEXT NOT NULL,                       -- '#rrggbb'
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE TABLE chat_labels (
    label_id   TEXT NOT NULL REFERENCES labels (id),
    session_id TEXT NOT NULL REFERENCES sessions (id),
    added_by   TEXT,                                -- the agent who added it
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (label_id, session_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX chat_labels_by_session ON chat_labels (session_id, label_id);

-- A deleted label leaves no chat labelled with it; a deleted chat leaves no label rows.
CREATE TRIGGER labels_delete AFTER DELETE ON labels BEGIN
    DELETE FROM chat_labels WHERE label_id = old.id;
END;
CREATE TRIGGER sessions_labels_delete AFTER DELETE ON sessions BEGIN
    DELETE FROM chat_labels WHERE session_id = old.id;
END;
