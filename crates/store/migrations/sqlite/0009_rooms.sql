-- The session room's text chat, kept as the transcript of the session (a room is one
-- listing's slot: every booking of a group session shares it). Health sessions are never
-- recorded: their chat is relayed live and not stored.
CREATE TABLE room_messages (
    id          INTEGER PRIMARY KEY,
    listing_id  INTEGER NOT NULL REFERENCES listings(id),
    start_ms    INTEGER NOT NULL,
    account_id  INTEGER NOT NULL REFERENCES accounts(id),
    text        TEXT    NOT NULL,
    at_ms       INTEGER NOT NULL
);
CREATE INDEX room_messages_by_room ON room_messages (listing_id, start_ms, id);
