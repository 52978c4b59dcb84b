-- Version 6: the door a chat came in by: the app, the website widget, or the website's
-- offline form. Existing chats all came from the app.
ALTER TABLE sessions ADD COLUMN channel TEXT NOT NULL DEFAULT 'app'
    CHECK (channel IN ('app', 'web', 'offline'));
