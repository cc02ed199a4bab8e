-- A NINO's suffix letter does not identify a person: clients are found, and told apart, by its first eight
-- characters (docs/domain.md §4). Two client records for one person cannot exist.
ALTER TABLE individual_clients
    ADD COLUMN person TEXT GENERATED ALWAYS AS (left(nino, 8)) STORED;
ALTER TABLE individual_clients ADD CONSTRAINT individual_clients_one_per_person UNIQUE (person);
