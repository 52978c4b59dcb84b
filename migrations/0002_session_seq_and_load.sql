-- Version 2: positions per session, and each agent's load kept under the agent's row, so the
-- guarantees hold even when several writers commit at once.

-- A message's position is (session_id, session_seq). session_seq comes from sessions.last_seq,
-- bumped under the session's row in the same statement that records the message, so a later
-- position can never become visible before an earlier one of the same session.
ALTER TABLE sessions ADD COLUMN last_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN session_seq INTEGER NOT NULL DEFAULT 0;

UPDATE messages SET session_seq = numbered.n
FROM (SELECT seq, ROW_NUMBER() OVER (PARTITION BY session_id ORDER BY seq) AS n FROM messages) AS numbered
WHERE messages.seq = numbered.seq;

-- Read watermarks counted the global sequence; they now count positions in the session.
UPDATE sessions SET
    agent_read_seq = COALESCE((SELECT MAX(m.session_seq) FROM messages m
                               WHERE m.session_id = sessions.id AND m.seq <= sessions.agent_read_seq), 0),
    last_seq = COALESCE((SELECT MAX(m.session_seq) FROM messages m WHERE m.session_id = sessions.id), 0);

CREATE UNIQUE INDEX messages_by_session_seq ON messages (session_id, session_seq);
DROP INDEX messages_by_session;

-- Active chats per agent. Assigning guards with a conditional update of the agent's row
-- (active_chats < max_concurrent_chats), which serialises concurrent assigners of one agent;
-- these triggers keep the count right on every path that gives a chat to an agent or takes it
-- away (release, transfer, end, expiry, disabling the agent).
ALTER TABLE agents ADD COLUMN active_chats INTEGER NOT NULL DEFAULT 0;

UPDATE agents SET active_chats =
    (SELECT COUNT(*) FROM sessions s WHERE s.assigned_agent_id = agents.id AND s.status = 'active');

CREATE TRIGGER sessions_give_back_load AFTER UPDATE OF assigned_agent_id, status ON sessions
WHEN OLD.status = 'active' AND OLD.assigned_agent_id IS NOT NULL
     AND (NEW.status <> 'active' OR NEW.assigned_agent_id IS NOT OLD.assigned_agent_id)
BEGIN
    UPDATE agents SET active_chats = active_chats - 1 WHERE id = OLD.assigned_agent_id;
END;

CREATE TRIGGER sessions_take_load AFTER UPDATE OF assigned_agent_id, status ON sessions
WHEN NEW.status = 'active' AND NEW.assigned_agent_id IS NOT NULL
     AND (OLD.status <> 'active' OR OLD.assigned_agent_id IS NOT NEW.assigned_agent_id)
BEGIN
    UPDATE agents SET active_chats = active_chats + 1 WHERE id = NEW.assigned_agent_id;
END;
