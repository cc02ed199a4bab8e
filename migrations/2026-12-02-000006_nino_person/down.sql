ALTER TABLE individual_clients DROP COLUMN person;
