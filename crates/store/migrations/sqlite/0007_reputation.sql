-- Reputation and trust: reviews and their helpful votes, the provider's private rating
-- of buyers, blocks, help-now rings (for response stats), reports, moderation hiding and
-- the operator's append-only audit log.

-- One review per booking, by its buyer, of a completed session.
CREATE TABLE reviews (
    id            INTEGER PRIMARY KEY,
    booking_id    INTEGER NOT NULL REFERENCES bookings(id),
    listing_id    INTEGER NOT NULL REFERENCES listings(id),
    provider_id   INTEGER NOT NULL REFERENCES accounts(id),
    buyer_id      INTEGER NOT NULL REFERENCES accounts(id),
    stars         INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    body          TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL,
    edited_at_ms  INTEGER,
    reply         TEXT,
    replied_at_ms INTEGER,
    hidden_at_ms  INTEGER,
    hidden_reason TEXT,
    CONSTRAINT reviews_one_per_booking UNIQUE (booking_id)
);
CREATE INDEX reviews_by_listing ON reviews (listing_id, created_at_ms);
CREATE INDEX reviews_by_provider ON reviews (provider_id);

CREATE TABLE review_votes (
    review_id     INTEGER NOT NULL REFERENCES reviews(id),
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (review_id, account_id)
) WITHOUT ROWID;

-- The provider's private rating of the buyer, once per booking; buyers never see it.
CREATE TABLE buyer_ratings (
    booking_id    INTEGER PRIMARY KEY REFERENCES bookings(id),
    provider_id   INTEGER NOT NULL REFERENCES accounts(id),
    buyer_id      INTEGER NOT NULL REFERENCES accounts(id),
    stars         INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
    note          TEXT    NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX buyer_ratings_by_buyer ON buyer_ratings (buyer_id);

CREATE TABLE blocks (
    provider_id   INTEGER NOT NULL REFERENCES accounts(id),
    buyer_id      INTEGER NOT NULL REFERENCES accounts(id),
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (provider_id, buyer_id)
) WITHOUT ROWID;

-- Each ring of a provider's dashboard and whether (and how fast) it was answered.
CREATE TABLE help_now_rings (
    id            INTEGER PRIMARY KEY,
    provider_id   INTEGER NOT NULL REFERENCES accounts(id),
    rang_at_ms    INTEGER NOT NULL,
    answer_ms     INTEGER CHECK (answer_ms IS NULL OR answer_ms >= 0)
);
CREATE INDEX help_now_rings_by_provider ON help_now_rings (provider_id, rang_at_ms);

CREATE TABLE reports (
    id             INTEGER PRIMARY KEY,
    reporter_id    INTEGER NOT NULL REFERENCES accounts(id),
    target_kind    TEXT    NOT NULL CHECK (target_kind IN ('listing', 'review', 'account')),
    target_id      INTEGER NOT NULL,
    reason         TEXT    NOT NULL,
    status         TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'dismissed', 'actioned')),
    created_at_ms  INTEGER NOT NULL,
    decided_at_ms  INTEGER,
    decided_by     INTEGER REFERENCES accounts(id)
);
CREATE INDEX reports_open ON reports (status, created_at_ms);
-- One open report per person and item.
CREATE UNIQUE INDEX reports_one_open_per_reporter ON reports (reporter_id, target_kind, target_id)
    WHERE status = 'open';

ALTER TABLE listings ADD COLUMN hidden_at_ms INTEGER;
ALTER TABLE listings ADD COLUMN hidden_reason TEXT;

-- Every moderation action, with who took it and why. Insert-only.
CREATE TABLE moderation_log (
    id            INTEGER PRIMARY KEY,
    operator_id   INTEGER NOT NULL REFERENCES accounts(id),
    action        TEXT    NOT NULL,
    target_kind   TEXT    NOT NULL,
    target_id     INTEGER NOT NULL,
    report_id     INTEGER REFERENCES reports(id),
    reason        TEXT    NOT NULL,
    at_ms         INTEGER NOT NULL
);
CREATE TRIGGER moderation_log_is_immutable BEFORE UPDATE ON moderation_log
BEGIN
    SELECT RAISE(ABORT, 'the moderation log is append-only');
END;
CREATE TRIGGER moderation_log_is_kept BEFORE DELETE ON moderation_log
BEGIN
    SELECT RAISE(ABORT, 'the moderation log is append-only');
END;
