-- Version 7: files sent in chats (SPEC.md section 9).
--
-- A file's bytes live outside the database, in a folder beside it, named by the SHA-256 of the
-- stored content: `blobs` has one row per stored file (however many attachments share it) and
-- `attachments` one row per upload. An upload belongs to one session and to whoever sent it; it
-- is free (message_id IS NULL) until a message takes it, and a message takes it at most once.

CREATE TABLE blobs (
    hash       TEXT PRIMARY KEY,      -- hex SHA-256 of the stored bytes; also the file's name
    size       INTEGER NOT NULL CHECK (size >= 0),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE attachments (
    id             TEXT PRIMARY KEY,
    session_id     TEXT NOT NULL REFERENCES sessions (id),
    -- Who uploaded it: the session's own user (by owner key) or an agent.
    uploader_kind  TEXT NOT NULL CHECK (uploader_kind IN ('user', 'agent')),
    uploader_id    TEXT NOT NULL,
    name           TEXT NOT NULL,
    kind           TEXT NOT NULL,
    size           INTEGER NOT NULL CHECK (size >= 0),
    width          INTEGER,
    height         INTEGER,
    blob_hash      TEXT NOT NULL REFERENCES blobs (hash),
    thumbnail_hash TEXT REFERENCES blobs (hash),
    message_id     TEXT,              -- set once, when a message takes the upload
    created_at     INTEGER NOT NULL
) STRICT;

CREATE INDEX attachments_by_session ON attachments (session_id, message_id);
CREATE INDEX attachments_unsent ON attachments (created_at) WHERE message_id IS NULL;
CREATE INDEX attachments_by_blob ON attachments (blob_hash);
CREATE INDEX attachments_by_thumbnail ON attachments (thumbnail_hash) WHERE thumbnail_hash IS NOT NULL;

-- What a message shows of its files, written once with the message (the metadata of an upload
-- never changes), so every read of messages gets them without a join. NULL: no files.
ALTER TABLE messages ADD COLUMN attachments TEXT;
