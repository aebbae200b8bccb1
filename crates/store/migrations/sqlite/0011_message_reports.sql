-- Chat lines of session rooms can be reported and hidden like reviews.
ALTER TABLE room_messages ADD COLUMN hidden_at_ms INTEGER;
ALTER TABLE room_messages ADD COLUMN hidden_reason TEXT;

-- SQLite cannot change a CHECK in place, so `reports` is rebuilt to allow 'message'.
-- The moderation log references it; it is copied first into a table that references the
-- new one, so no row ever points at a dropped table, and the renames carry the
-- references along. Every row and id is kept.
CREATE TABLE reports_new (
    id             INTEGER PRIMARY KEY,
    reporter_id    INTEGER NOT NULL REFERENCES accounts(id),
    target_kind    TEXT    NOT NULL CHECK (target_kind IN ('listing', 'review', 'account', 'message')),
    target_id      INTEGER NOT NULL,
    reason         TEXT    NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'actioned')),
    created_at_ms  INTEGER NOT NULL,
    decided_at_ms  INTEGER,
    decided_by     INTEGER REFERENCES accounts(id)
);
INSERT INTO reports_new SELECT id, reporter_id, target_kind, target_id, reason, status,
    created_at_ms, decided_at_ms, decided_by FROM reports;

CREATE TABLE moderation_log_new (
    id            INTEGER PRIMARY KEY,
    operator_id   INTEGER NOT NULL REFERENCES accounts(id),
    action        TEXT    NOT NULL,
    target_kind   TEXT    NOT NULL,
    target_id     INTEGER NOT NULL,
    report_id     INTEGER REFERENCES reports_new(id),
    reason        TEXT    NOT NULL,
    at_ms         INTEGER NOT NULL
);
INSERT INTO moderation_log_new SELECT id, operator_id, action, target_kind, target_id,
    report_id, reason, at_ms FROM moderation_log;

DROP TABLE moderation_log;
DROP TABLE reports;
ALTER TABLE reports_new RENAME TO reports;
ALTER TABLE moderation_log_new RENAME TO moderation_log;

CREATE INDEX reports_open ON reports (status, created_at_ms);
CREATE UNIQUE INDEX reports_one_open_per_reporter ON reports (reporter_id, target_kind, target_id)
    WHERE status = 'open';
CREATE TRIGGER moderation_log_is_immutable BEFORE UPDATE ON moderation_log
BEGIN
    SELECT RAISE(ABORT, 'the moderation log is append-only');
END;
CREATE TRIGGER moderation_log_is_kept BEFORE DELETE ON moderation_log
BEGIN
    SELECT RAISE(ABORT, 'the moderation log is append-only');
END;
