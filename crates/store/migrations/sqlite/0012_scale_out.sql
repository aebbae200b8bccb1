-- Several nodes on one database: help-now lines and who is online live here instead of
-- in one process's memory, and each session room records the node that hosts its media.

-- A provider's dashboard sockets, per node. A node refreshes `seen_at_ms` while it runs;
-- rows a crashed node left behind stop counting once they are older than the cut-off
-- the reader passes.
CREATE TABLE help_now_presence (
    provider_id   INTEGER NOT NULL REFERENCES accounts(id),
    node          TEXT    NOT NULL,
    sockets       INTEGER NOT NULL CHECK (sockets > 0),
    seen_at_ms    INTEGER NOT NULL,
    PRIMARY KEY (provider_id, node)
);

-- Help-now requests. A provider's line is their waiting, ringing and accepting
-- requests in id order; 'accepting' is the moment between the provider's click and the
-- booking's commit.
CREATE TABLE help_now_requests (
    id                INTEGER PRIMARY KEY,
    provider_id       INTEGER NOT NULL REFERENCES accounts(id),
    listing_id        INTEGER NOT NULL REFERENCES listings(id),
    buyer_id          INTEGER NOT NULL REFERENCES accounts(id),
    buyer_name        TEXT    NOT NULL,
    title             TEXT    NOT NULL,
    state             TEXT    NOT NULL CHECK (state IN ('waiting', 'ringing', 'accepting', 'accepted', 'expired', 'left')),
    ringing_since_ms  INTEGER,
    booking_id        INTEGER REFERENCES bookings(id),
    created_at_ms     INTEGER NOT NULL
);
CREATE INDEX help_now_requests_in_line ON help_now_requests (provider_id, id)
    WHERE state IN ('waiting', 'ringing', 'accepting');

-- The node whose media server hosts a session's room: the first to open it claims it,
-- and keeps it while it refreshes `seen_at_ms`.
CREATE TABLE room_nodes (
    listing_id    INTEGER NOT NULL REFERENCES listings(id),
    start_ms      INTEGER NOT NULL,
    node_url      TEXT    NOT NULL,
    seen_at_ms    INTEGER NOT NULL,
    PRIMARY KEY (listing_id, start_ms)
);

-- Passes into a room's signaling socket on another node, whose origin the session
-- cookie does not reach: one account, one room, until the room closes. Only the hash
-- of the token is kept.
CREATE TABLE room_tickets (
    token_hash    TEXT    PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    listing_id    INTEGER NOT NULL REFERENCES listings(id),
    start_ms      INTEGER NOT NULL,
    expires_at_ms INTEGER NOT NULL
);
