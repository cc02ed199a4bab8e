-- Failed sign-ins to the client's pages, per sandbox user: after too many in a row the user id is locked for a
-- while, so a password cannot be guessed by trying one after another.
CREATE TABLE sign_in_failures (
    principal_id BIGINT PRIMARY KEY REFERENCES principals (id),
    -- Failed attempts in a row since the last sign-in or lock.
    failures INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
    -- While in the future, no sign-in is accepted, not even with the right password.
    locked_until TIMESTAMPTZ
);
