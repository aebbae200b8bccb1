-- Accounts, sessions, API tokens, provider vetting, organizations and listings.
-- Times are integer milliseconds since the Unix epoch (UTC).

CREATE TABLE accounts (
    id               INTEGER PRIMARY KEY,
    email            TEXT    NOT NULL,
    password_hash    TEXT    NOT NULL,
    display_name     TEXT    NOT NULL,
    time_zone        TEXT    NOT NULL,
    languages        TEXT    NOT NULL DEFAULT '[]',
    country          TEXT,
    is_operator      INTEGER NOT NULL DEFAULT 0,
    suspended_at_ms  INTEGER,
    suspended_reason TEXT,
    created_at_ms    INTEGER NOT NULL,
    CONSTRAINT accounts_email_unique UNIQUE (email)
);

CREATE TABLE sessions (
    token_hash      BLOB    PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    csrf_token      TEXT    NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    last_seen_at_ms INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sessions_account ON sessions(account_id);

CREATE TABLE api_tokens (
    id               INTEGER PRIMARY KEY,
    account_id       INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    token_hash       BLOB    NOT NULL UNIQUE,
    created_at_ms    INTEGER NOT NULL,
    last_used_at_ms  INTEGER,
    revoked_at_ms    INTEGER
);
CREATE INDEX api_tokens_account ON api_tokens(account_id);

CREATE TABLE providers (
    account_id        INTEGER PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
    headline          TEXT    NOT NULL,
    bio               TEXT    NOT NULL,
    languages         TEXT    NOT NULL,
    time_zone         TEXT    NOT NULL,
    country           TEXT    NOT NULL,
    experience        TEXT    NOT NULL,
    licence_number    TEXT,
    licence_authority TEXT,
    status            TEXT    NOT NULL CHECK (status IN ('submitted', 'approved', 'rejected')),
    decision_reason   TEXT,
    submitted_at_ms   INTEGER NOT NULL,
    decided_at_ms     INTEGER,
    decided_by        INTEGER REFERENCES accounts(id)
);
CREATE INDEX providers_status ON providers(status, submitted_at_ms);

CREATE TABLE organizations (
    id            INTEGER PRIMARY KEY,
    slug          TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    description   TEXT    NOT NULL,
    owner_id      INTEGER NOT NULL REFERENCES accounts(id),
    created_at_ms INTEGER NOT NULL,
    CONSTRAINT organizations_slug_unique UNIQUE (slug)
);

CREATE TABLE organization_members (
    organization_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    account_id      INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    role            TEXT    NOT NULL CHECK (role IN ('owner', 'member')),
    added_at_ms     INTEGER NOT NULL,
    PRIMARY KEY (organization_id, account_id)
) WITHOUT ROWID;
CREATE INDEX organization_members_account ON organization_members(account_id);

-- A listing is a row that names two versions: the one the public sees (published) and
-- the one its owner works on (working). Versions are never edited once published.
CREATE TABLE listings (
    id                   INTEGER PRIMARY KEY,
    provider_id          INTEGER NOT NULL REFERENCES accounts(id),
    organization_id      INTEGER REFERENCES organizations(id),
    review_status        TEXT    NOT NULL CHECK (review_status IN ('draft', 'submitted', 'approved', 'rejected')),
    review_reason        TEXT,
    working_version_id   INTEGER,
    published_version_id INTEGER,
    paused               INTEGER NOT NULL DEFAULT 0,
    featured             INTEGER NOT NULL DEFAULT 0,
    created_at_ms        INTEGER NOT NULL,
    published_at_ms      INTEGER,
    submitted_at_ms      INTEGER
);
CREATE INDEX listings_provider ON listings(provider_id);
CREATE INDEX listings_review ON listings(review_status, submitted_at_ms);
CREATE INDEX listings_published ON listings(published_at_ms) WHERE published_version_id IS NOT NULL;

CREATE TABLE listing_versions (
    id                  INTEGER PRIMARY KEY,
    listing_id          INTEGER NOT NULL REFERENCES listings(id) ON DELETE CASCADE,
    title               TEXT    NOT NULL,
    description         TEXT    NOT NULL,
    category            TEXT    NOT NULL,
    subcategory         TEXT    NOT NULL,
    tags                TEXT    NOT NULL,
    languages           TEXT    NOT NULL,
    intro_video_url     TEXT,
    price_model         TEXT    NOT NULL CHECK (price_model IN ('free', 'fixed', 'per_minute')),
    price_minor         INTEGER NOT NULL CHECK (price_minor >= 0),
    minimum_minutes     INTEGER,
    currency            TEXT    NOT NULL,
    session_minutes     INTEGER NOT NULL,
    group_size          INTEGER NOT NULL CHECK (group_size BETWEEN 1 AND 12),
    cancellation_policy TEXT    NOT NULL CHECK (cancellation_policy IN ('flexible', 'moderate', 'strict')),
    created_at_ms       INTEGER NOT NULL
);
CREATE INDEX listing_versions_category ON listing_versions(category, subcategory);
