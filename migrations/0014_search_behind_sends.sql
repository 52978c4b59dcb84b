-- Version 14: messages reach the search index behind their send, many to a transaction.
--
-- Indexing each message in its send's transaction cost about a quarter of the send path (the
-- FTS5 index wrote a segment per commit). Now a send writes only the message; the writer
-- indexes what came since, up to a thousand messages at a time, between its batches (and a
-- search first indexes whatever is still waiting, so it finds every message sent before it).
-- `indexed_seq` is the last message seq the index holds; it moves in the transaction that
-- adds those messages to the index, so a crash loses neither.
CREATE TABLE search_progress (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    indexed_seq INTEGER NOT NULL
);
-- Every message so far was indexed by the trigger this migration drops.
INSERT INTO search_progress (id, indexed_seq) SELECT 1, COALESCE(MAX(seq), 0) FROM messages;

DROP TRIGGER messages_search_insert;

-- A message not yet indexed has nothing in the index to delete (and FTS5 must not be told to
-- delete what it never held); when it is indexed, its body is read as it is then.
DROP TRIGGER messages_search_delete;
CREATE TRIGGER messages_search_delete AFTER DELETE ON messages
WHEN old.seq <= (SELECT indexed_seq FROM search_progress) BEGIN
    INSERT INTO message_search (message_search, rowid, body) VALUES ('delete', old.seq, old.body);
END;
DROP TRIGGER messages_search_update;
CREATE TRIGGER messages_search_update AFTER UPDATE OF body ON messages
WHEN old.seq <= (SELECT indexed_seq FROM search_progress) BEGIN
    INSERT INTO message_search (message_search, rowid, body) VALUES ('delete', old.seq, old.body);
    INSERT INTO message_search (rowid, body) VALUES (new.seq, new.body);
END;
