-- A private calendar feed per account: its URL carries a token stored only as a hash.
CREATE TABLE calendar_feeds (
    account_id    INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    token_hash    BLOB    NOT NULL UNIQUE,
    created_at_ms INTEGER NOT NULL
);
