-- Availability and bookings. Times are integer milliseconds since the Unix epoch (UTC);
-- hours are civil minutes in the provider's zone, kept as JSON.

CREATE TABLE availability (
    provider_id       INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    weekly            TEXT    NOT NULL,
    overrides         TEXT    NOT NULL DEFAULT '[]',
    buffer_before_min INTEGER NOT NULL DEFAULT 0,
    buffer_after_min  INTEGER NOT NULL DEFAULT 0,
    notice_min        INTEGER NOT NULL DEFAULT 720,
    horizon_days      INTEGER NOT NULL DEFAULT 60,
    step_min          INTEGER NOT NULL DEFAULT 30,
    updated_at_ms     INTEGER NOT NULL
);

-- A booking snapshots the title, price and policy it was made under.
CREATE TABLE bookings (
    id                  INTEGER PRIMARY KEY,
    listing_id          INTEGER NOT NULL REFERENCES listings(id),
    provider_id         INTEGER NOT NULL REFERENCES accounts(id),
    buyer_id            INTEGER NOT NULL REFERENCES accounts(id),
    start_ms            INTEGER NOT NULL,
    end_ms              INTEGER NOT NULL CHECK (end_ms > start_ms),
    seats               INTEGER NOT NULL CHECK (seats BETWEEN 1 AND 12),
    state               TEXT    NOT NULL CHECK (state IN ('confirmed', 'in_progress', 'completed',
                            'cancelled_by_buyer', 'cancelled_by_provider', 'rescheduled',
                            'no_show_buyer', 'no_show_provider')),
    title               TEXT    NOT NULL,
    price_model         TEXT    NOT NULL,
    price_minor         INTEGER NOT NULL,
    minimum_minutes     INTEGER,
    currency            TEXT    NOT NULL,
    cancellation_policy TEXT    NOT NULL,
    cancel_reason       TEXT,
    cancel_fee_minor    INTEGER,
    rescheduled_to      INTEGER REFERENCES bookings(id),
    created_at_ms       INTEGER NOT NULL,
    updated_at_ms       INTEGER NOT NULL
);
CREATE INDEX bookings_provider_active ON bookings(provider_id, start_ms) WHERE state IN ('confirmed', 'in_progress');
CREATE INDEX bookings_buyer ON bookings(buyer_id, start_ms);
