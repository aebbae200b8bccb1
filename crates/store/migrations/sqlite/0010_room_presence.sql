-- Who connected to a session room, and when first: the room-side truth the no-show
-- rules read (a room is a listing's slot).
CREATE TABLE room_presence (
    listing_id         INTEGER NOT NULL REFERENCES listings(id),
    start_ms           INTEGER NOT NULL,
    account_id         INTEGER NOT NULL REFERENCES accounts(id),
    first_connected_ms INTEGER NOT NULL,
    PRIMARY KEY (listing_id, start_ms, account_id)
) WITHOUT ROWID;
