-- A session now starts at sign-in: before it, a browser holds only a random value of its own that the server
-- does not store. Sessions left from before sign-in are dropped; every session names who signed in.
DELETE FROM web_sessions WHERE principal_id IS NULL;
ALTER TABLE web_sessions ALTER COLUMN principal_id SET NOT NULL;
