-- Version 4: the client address a guest session was started from.
--
-- Guests are anonymous, so the cap on active guest sessions is counted per client address
-- (MAX_ACTIVE_GUEST_SESSIONS_PER_ADDRESS), inside the same write as the insert. NULL for the
-- business's own users, who are capped per user instead. The index holds active guest
-- sessions only; a message does not change either of its columns, so sends never touch it.
ALTER TABLE sessions ADD COLUMN guest_addr TEXT;
CREATE INDEX sessions_active_by_guest_addr ON sessions (guest_addr)
    WHERE status = 'active' AND guest_addr IS NOT NULL;
