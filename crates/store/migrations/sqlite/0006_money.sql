-- Money: a double-entry ledger of immutable transfers with two-phase holds, running
-- balances kept beside it, and the records that explain each movement (top-ups,
-- payouts, refund requests). Amounts are integer minor units.

-- A transfer moves amount_minor from debit to credit. 'posted' and 'pending' (a hold)
-- stand alone; 'post_pending', 'void_pending' and 'expire_pending' resolve the hold in
-- hold_id, and the unique index below lets each hold be resolved exactly once.
CREATE TABLE ledger_transfers (
    id            INTEGER PRIMARY KEY,
    kind          TEXT    NOT NULL CHECK (kind IN ('posted', 'pending', 'post_pending', 'void_pending', 'expire_pending')),
    debit         TEXT    NOT NULL,
    credit        TEXT    NOT NULL CHECK (credit <> debit),
    currency      TEXT    NOT NULL,
    amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0),
    hold_id       INTEGER REFERENCES ledger_transfers(id),
    -- Why the money moved: top_up, booking, commission, refund, payout.
    purpose       TEXT    NOT NULL,
    booking_id    INTEGER REFERENCES bookings(id),
    created_at_ms INTEGER NOT NULL,
    CHECK ((kind IN ('posted', 'pending')) = (hold_id IS NULL))
);
CREATE UNIQUE INDEX ledger_transfers_one_resolution ON ledger_transfers(hold_id) WHERE hold_id IS NOT NULL;
CREATE INDEX ledger_transfers_debit ON ledger_transfers(debit, id);
CREATE INDEX ledger_transfers_credit ON ledger_transfers(credit, id);
CREATE INDEX ledger_transfers_booking ON ledger_transfers(booking_id) WHERE booking_id IS NOT NULL;

CREATE TRIGGER ledger_transfers_are_immutable BEFORE UPDATE ON ledger_transfers
BEGIN
    SELECT RAISE(ABORT, 'ledger transfers are immutable');
END;
CREATE TRIGGER ledger_transfers_are_kept BEFORE DELETE ON ledger_transfers
BEGIN
    SELECT RAISE(ABORT, 'ledger transfers are never deleted');
END;

-- Sums per account and currency, updated in the same transaction as every transfer.
-- Wallets and earnings never go below zero, counting what their holds reserve.
CREATE TABLE ledger_balances (
    account         TEXT    NOT NULL,
    currency        TEXT    NOT NULL,
    debits_posted   INTEGER NOT NULL DEFAULT 0 CHECK (debits_posted >= 0),
    credits_posted  INTEGER NOT NULL DEFAULT 0 CHECK (credits_posted >= 0),
    debits_pending  INTEGER NOT NULL DEFAULT 0 CHECK (debits_pending >= 0),
    credits_pending INTEGER NOT NULL DEFAULT 0 CHECK (credits_pending >= 0),
    PRIMARY KEY (account, currency),
    CHECK ((account NOT LIKE 'wallet:%' AND account NOT LIKE 'earnings:%')
           OR credits_posted - debits_posted - debits_pending >= 0)
) WITHOUT ROWID;

-- What a booking was charged under and what happened to its money.
ALTER TABLE bookings ADD COLUMN commission_bps INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bookings ADD COLUMN hold_id INTEGER REFERENCES ledger_transfers(id);
ALTER TABLE bookings ADD COLUMN charged_minor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bookings ADD COLUMN commission_minor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bookings ADD COLUMN refunded_minor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bookings ADD COLUMN started_at_ms INTEGER;
ALTER TABLE bookings ADD COLUMN settled_at_ms INTEGER;

CREATE TABLE top_ups (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts(id),
    amount_minor   INTEGER NOT NULL CHECK (amount_minor > 0),
    currency       TEXT    NOT NULL,
    state          TEXT    NOT NULL CHECK (state IN ('succeeded', 'declined')),
    gateway        TEXT    NOT NULL,
    gateway_ref    TEXT,
    card_last4     TEXT    NOT NULL,
    decline_reason TEXT,
    transfer_id    INTEGER REFERENCES ledger_transfers(id),
    created_at_ms  INTEGER NOT NULL,
    CHECK ((state = 'succeeded') = (transfer_id IS NOT NULL))
);
CREATE INDEX top_ups_account ON top_ups(account_id, id);

-- A payout holds the provider's earnings until the gateway confirms it.
CREATE TABLE payouts (
    id            INTEGER PRIMARY KEY,
    provider_id   INTEGER NOT NULL REFERENCES accounts(id),
    amount_minor  INTEGER NOT NULL CHECK (amount_minor > 0),
    currency      TEXT    NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('pending', 'paid', 'failed')),
    hold_id       INTEGER NOT NULL REFERENCES ledger_transfers(id),
    gateway       TEXT    NOT NULL,
    gateway_ref   TEXT,
    failure       TEXT,
    created_at_ms INTEGER NOT NULL,
    settled_at_ms INTEGER
);
CREATE INDEX payouts_provider ON payouts(provider_id, id);
CREATE INDEX payouts_pending ON payouts(id) WHERE state = 'pending';

-- The satisfaction guarantee. 'open' waits for the provider; 'granted' and 'declined'
-- are the provider's answers; a declined request becomes 'disputed' until the operator
-- decides 'upheld' (refunded) or 'rejected'.
CREATE TABLE refund_requests (
    id               INTEGER PRIMARY KEY,
    booking_id       INTEGER NOT NULL REFERENCES bookings(id),
    buyer_id         INTEGER NOT NULL REFERENCES accounts(id),
    provider_id      INTEGER NOT NULL REFERENCES accounts(id),
    amount_minor     INTEGER NOT NULL CHECK (amount_minor > 0),
    currency         TEXT    NOT NULL,
    reason           TEXT    NOT NULL,
    state            TEXT    NOT NULL CHECK (state IN ('open', 'granted', 'disputed', 'upheld', 'rejected')),
    provider_note    TEXT,
    operator_note    TEXT,
    created_at_ms    INTEGER NOT NULL,
    answered_at_ms   INTEGER,
    decided_at_ms    INTEGER
);
CREATE UNIQUE INDEX refund_requests_one_pending ON refund_requests(booking_id) WHERE state IN ('open', 'disputed');
CREATE INDEX refund_requests_provider ON refund_requests(provider_id, id);
CREATE INDEX refund_requests_disputed ON refund_requests(id) WHERE state = 'disputed';

-- Idempotency keys: the first response to a key is kept and replayed. A row without a
-- status is in flight; `owner` names the process that claimed it, so a claim left by a
-- process that died can be taken over after a restart.
CREATE TABLE idempotency_keys (
    account_id    INTEGER NOT NULL REFERENCES accounts(id),
    key           TEXT    NOT NULL,
    fingerprint   TEXT    NOT NULL,
    owner         TEXT    NOT NULL,
    status        INTEGER,
    body          TEXT,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (account_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_age ON idempotency_keys(created_at_ms);
