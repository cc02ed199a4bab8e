DROP TABLE relationships;
DROP TABLE invitations;
DROP TABLE vat_clients;
DROP TABLE individual_clients;
DROP TABLE agencies;
DROP TABLE access_tokens;
DROP TABLE enrolments;
DROP TABLE principals;
