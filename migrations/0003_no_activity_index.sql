-- Version 3: no index on last_activity_at.
--
-- Every message moved its session's entry in this index, one more scattered page written per
-- message at each commit (a quarter of the send path's write volume with many busy chats). The
-- idle sweep, its only user, now finds candidates by scanning the active sessions on a read
-- connection and expires each with a conditional update.
DROP INDEX sessions_by_activity;
