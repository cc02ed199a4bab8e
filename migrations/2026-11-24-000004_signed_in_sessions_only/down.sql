ALTER TABLE web_sessions ALTER COLUMN principal_id DROP NOT NULL;
