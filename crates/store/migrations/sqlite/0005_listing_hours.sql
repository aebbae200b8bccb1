-- Hours for one listing, in the provider's zone, replacing the provider's weekly hours
-- and overrides for that listing only. Buffers, notice, horizon and step stay the provider's.
CREATE TABLE listing_hours (
    listing_id    INTEGER PRIMARY KEY REFERENCES listings(id) ON DELETE CASCADE,
    weekly        TEXT    NOT NULL,
    overrides     TEXT    NOT NULL DEFAULT '[]',
    updated_at_ms INTEGER NOT NULL
);
