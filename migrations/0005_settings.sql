-- Version 5: settings the business changes at run time (business hours), one JSON document
-- per key. Start-up configuration stays in flags and the environment; server_settings keeps
-- the server's own secrets.
CREATE TABLE settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL CHECK (json_valid(value)),
    updated_at INTEGER NOT NULL,
    updated_by TEXT REFERENCES agents (id)
) STRICT;
