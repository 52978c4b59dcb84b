-- Version 11: full-text search (SPEC.md section 12). Two FTS5 indexes, both kept by triggers in
-- the transaction that changes the text, so no code path can forget them:
--
-- * `message_search` indexes message text with `messages` as its external content (rowid =
--   `seq`, which VACUUM never renumbers): the 10M-message table's text is not stored twice, and
--   snippets are cut from the row itself.
-- * `search_docs` holds the smaller texts (the customer's name and email, internal notes) with
--   an INTEGER PRIMARY KEY and the chat they belong to; `doc_search` indexes it the same way.
--   Sessions and notes have text keys, whose hidden rowids VACUUM may renumber, so they cannot
--   be external content themselves.
--
-- Both use `secure-delete`: a deleted row's words leave the index at once instead of lingering
-- in older segments until a merge, so an erased person is not left in any index.

CREATE VIRTUAL TABLE message_search USING fts5 (
    body,
    content = 'messages',
    content_rowid = 'seq',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
INSERT INTO message_search (message_search, rank) VALUES ('secure-delete', 1);
INSERT INTO message_search (message_search) VALUES ('rebuild');

CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_search (rowid, body) VALUES (new.seq, new.body);
END;
CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
    INSERT INTO message_search (message_search, rowid, body) VALUES ('delete', old.seq, old.body);
END;
CREATE TRIGGER messages_search_update AFTER UPDATE OF body ON messages BEGIN
    INSERT INTO message_search (message_search, rowid, body) VALUES ('delete', old.seq, old.body);
    INSERT INTO message_search (rowid, body) VALUES (new.seq, new.body);
END;

CREATE TABLE search_docs (
    id         INTEGER PRIMARY KEY,
    session_id TEXT NOT NULL,
    source     TEXT NOT NULL CHECK (source IN ('customer', 'note')),
    item_id    TEXT,                      -- the note's id; NULL for the customer
    body       TEXT NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;
CREATE INDEX search_docs_by_session ON search_docs (session_id);
CREATE INDEX search_docs_by_note ON search_docs (item_id) WHERE item_id IS NOT NULL;

CREATE VIRTUAL TABLE doc_search USING fts5 (
    body,
    content = 'search_docs',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
INSERT INTO doc_search (doc_search, rank) VALUES ('secure-delete', 1);

CREATE TRIGGER search_docs_insert AFTER INSERT ON search_docs BEGIN
    INSERT INTO doc_search (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER search_docs_delete AFTER DELETE ON search_docs BEGIN
    INSERT INTO doc_search (doc_search, rowid, body) VALUES ('delete', old.id, old.body);
END;

-- The customer: name and email in one document per chat, when either is known.
CREATE TRIGGER sessions_search_insert AFTER INSERT ON sessions
WHEN coalesce(new.user_name, '') <> '' OR coalesce(new.user_email, '') <> '' BEGIN
    INSERT INTO search_docs (session_id, source, item_id, body, created_at)
    VALUES (new.id, 'customer', NULL,
            trim(coalesce(new.user_name, '') || ' ' || coalesce(new.user_email, '')),
            new.created_at);
END;
CREATE TRIGGER sessions_search_update AFTER UPDATE OF user_name, user_email ON sessions BEGIN
    DELETE FROM search_docs WHERE session_id = new.id AND source = 'customer';
    INSERT INTO search_docs (session_id, source, item_id, body, created_at)
    SELECT new.id, 'customer', NULL,
           trim(coalesce(new.user_name, '') || ' ' || coalesce(new.user_email, '')),
           new.created_at
    WHERE coalesce(new.user_name, '') <> '' OR coalesce(new.user_email, '') <> '';
END;
CREATE TRIGGER sessions_search_delete AFTER DELETE ON sessions BEGIN
    DELETE FROM search_docs WHERE session_id = old.id;
END;

CREATE TRIGGER notes_search_insert AFTER INSERT ON notes BEGIN
    INSERT INTO search_docs (session_id, source, item_id, body, created_at)
    VALUES (new.session_id, 'note', new.id, new.body, new.created_at);
END;
CREATE TRIGGER notes_search_delete AFTER DELETE ON notes BEGIN
    DELETE FROM search_docs WHERE item_id = old.id AND source = 'note';
END;

INSERT INTO search_docs (session_id, source, item_id, body, created_at)
SELECT id, 'customer', NULL, trim(coalesce(user_name, '') || ' ' || coalesce(user_email, '')), created_at
FROM sessions
WHERE coalesce(user_name, '') <> '' OR coalesce(user_email, '') <> '';

INSERT INTO search_docs (session_id, source, item_id, body, created_at)
SELECT session_id, 'note', id, body, created_at FROM notes;
