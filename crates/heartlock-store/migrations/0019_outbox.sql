-- The durable outbox: a message (an email now; push deliveries later) is
-- inserted in the transaction of the change that causes it, then delivered by
-- a worker with retries. A worker claims rows with a lease (claimed_by /
-- claimed_until) so instances never send the same row at the same time, and a
-- killed worker's rows are claimed again once the lease ends.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    -- 'email' (more kinds later, e.g. 'push').
    kind TEXT NOT NULL,
    -- The address it goes to (shown to administrators; not a secret).
    recipient TEXT NOT NULL,
    -- The message, Fernet-sealed and bound to this row (it may carry one-time
    -- links); cleared once sent.
    payload_ct TEXT,
    -- 'pending', 'sent' or 'failed' (permanent: kept for administrators).
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    -- Why the last attempt failed (the relay's answer; never a secret).
    last_error TEXT,
    claimed_by TEXT,
    claimed_until BIGINT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT,
    failed_at BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
