-- Notifications: a durable job queue, in-app notifications, email preferences and
-- one-click unsubscribe tokens.

-- Work to do at a time: run at least once, retried with backoff, visible to the operator.
CREATE TABLE jobs (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    -- Scheduling the same work twice (a reminder for a booking) is a no-op.
    dedupe_key      TEXT,
    state           TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'running', 'done', 'failed', 'cancelled')),
    run_at_ms       INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL CHECK (max_attempts > 0),
    -- A running job whose lease passed (its process died) is taken again.
    locked_until_ms INTEGER,
    last_error      TEXT,
    created_at_ms   INTEGER NOT NULL,
    finished_at_ms  INTEGER
);
CREATE UNIQUE INDEX jobs_dedupe ON jobs (dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX jobs_due ON jobs (state, run_at_ms);

CREATE TABLE notifications (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    kind          TEXT    NOT NULL,
    title         TEXT    NOT NULL,
    body          TEXT    NOT NULL,
    link          TEXT    NOT NULL,
    job_id        INTEGER REFERENCES jobs(id),
    created_at_ms INTEGER NOT NULL,
    read_at_ms    INTEGER,
    -- Set once the email went out (or was written to the outbox), so a retried job does
    -- not send it again.
    emailed_at_ms INTEGER
);
-- A job notifies each person once, however often it runs.
CREATE UNIQUE INDEX notifications_once_per_job ON notifications (job_id, account_id)
    WHERE job_id IS NOT NULL;
CREATE INDEX notifications_by_account ON notifications (account_id, id);

-- Email on or off per kind; no row means on.
CREATE TABLE email_preferences (
    account_id INTEGER NOT NULL REFERENCES accounts(id),
    kind       TEXT    NOT NULL,
    enabled    INTEGER NOT NULL,
    PRIMARY KEY (account_id, kind)
) WITHOUT ROWID;

-- The secret in each email's unsubscribe link.
CREATE TABLE unsubscribe_tokens (
    account_id INTEGER PRIMARY KEY REFERENCES accounts(id),
    token      TEXT    NOT NULL UNIQUE
);
