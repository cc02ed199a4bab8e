-- Secrets every server process of this database shares, made by the first to start: the key of the sign-in form's
-- anti-forgery token (docs/domain.md §10).
CREATE TABLE server_secrets (
    name TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
