ALTER TABLE invitations DROP COLUMN origin;
