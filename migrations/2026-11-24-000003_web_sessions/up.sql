-- Browser sessions of the client's pages behind the client action link. A session starts signed out (it
-- carries the token that protects the sign-in form) and is replaced by a new one at sign-in.
CREATE TABLE web_sessions (
    -- SHA-256 of the cookie's value: the value itself is never stored.
    token_hash BYTEA PRIMARY KEY,
    -- Every form of the session carries this; a POST without it changes nothing.
    csrf_token TEXT NOT NULL,
    principal_id BIGINT REFERENCES principals (id),
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX web_sessions_by_expiry ON web_sessions (expires_at);
