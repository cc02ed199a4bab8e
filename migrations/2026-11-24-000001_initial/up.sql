-- Sandbox users: principals, their enrolments and bearer tokens (stored as SHA-256 hashes).
CREATE TABLE principals (
    id BIGSERIAL PRIMARY KEY,
    user_id TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    affinity_group TEXT NOT NULL CHECK (affinity_group IN ('Agent', 'Individual', 'Organisation')),
    full_name TEXT NOT NULL,
    email TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE enrolments (
    principal_id BIGINT NOT NULL REFERENCES principals (id),
    enrolment_key TEXT NOT NULL,
    identifier_name TEXT NOT NULL,
    identifier_value TEXT NOT NULL,
    PRIMARY KEY (principal_id, enrolment_key)
);
CREATE INDEX enrolments_by_identifier ON enrolments (identifier_name, identifier_value);

CREATE TABLE access_tokens (
    token_hash BYTEA PRIMARY KEY,
    principal_id BIGINT NOT NULL REFERENCES principals (id),
    expires_at TIMESTAMPTZ NOT NULL
);

-- Agencies: the name and the uid that make up the client action link.
CREATE TABLE agencies (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT NOT NULL,
    uid TEXT NOT NULL UNIQUE
);

-- Client records: the known facts HMRC holds, checked when an agent names a client.
CREATE TABLE individual_clients (
    nino TEXT PRIMARY KEY,
    -- Absent for an "alternative ITSA" client, not yet signed up to Making Tax Digital for Income Tax.
    mtditid TEXT UNIQUE,
    name TEXT NOT NULL,
    postcode TEXT NOT NULL,
    date_of_birth DATE NOT NULL,
    sa_utr TEXT
);

CREATE TABLE vat_clients (
    vrn TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    registration_date DATE NOT NULL,
    insolvent BOOLEAN NOT NULL DEFAULT FALSE
);

-- Invitations (authorisation requests). Nothing is ever deleted.
CREATE TABLE invitations (
    invitation_id TEXT PRIMARY KEY,
    arn TEXT NOT NULL,
    service TEXT NOT NULL,
    -- Services whose pending requests block each other (MTD-IT main and supporting share one).
    service_group TEXT NOT NULL,
    client_type TEXT,
    client_id_type TEXT NOT NULL,
    client_id TEXT NOT NULL,
    supplied_client_id_type TEXT NOT NULL,
    supplied_client_id TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN
        ('Pending', 'Accepted', 'Partialauth', 'Rejected', 'Cancelled', 'Expired', 'Deauthorised')),
    relationship_ended_by TEXT CHECK (relationship_ended_by IN ('Agent', 'Client', 'HMRC')),
    -- The request expires at the start (00:00 UTC) of this day.
    expires_on DATE NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
-- One pending request per agent, client and service group, whatever the number of server processes.
CREATE UNIQUE INDEX invitations_one_pending ON invitations (arn, service_group, client_id)
    WHERE status = 'Pending';
CREATE INDEX invitations_by_agent ON invitations (arn, created_at DESC);
CREATE INDEX invitations_by_client ON invitations (client_id, service);
CREATE INDEX invitations_pending_by_expiry ON invitations (expires_on) WHERE status = 'Pending';

-- Agent-client relationships; an ended one keeps its row.
CREATE TABLE relationships (
    id BIGSERIAL PRIMARY KEY,
    arn TEXT NOT NULL,
    service TEXT NOT NULL,
    -- The client's identifier for the service; for a partial authorisation, the NINO.
    client_id TEXT NOT NULL,
    partial BOOLEAN NOT NULL,
    invitation_id TEXT REFERENCES invitations (invitation_id),
    started_at TIMESTAMPTZ NOT NULL,
    ended_at TIMESTAMPTZ,
    ended_by TEXT CHECK (ended_by IN ('Agent', 'Client', 'HMRC')),
    CHECK ((ended_at IS NULL) = (ended_by IS NULL))
);
CREATE UNIQUE INDEX relationships_one_active ON relationships (arn, service, client_id)
    WHERE ended_at IS NULL;
CREATE INDEX relationships_active_by_client ON relationships (service, client_id)
    WHERE ended_at IS NULL;
