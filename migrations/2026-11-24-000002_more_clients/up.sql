-- Client records for the services only the backend offers.
CREATE TABLE cgt_clients (
    cgt_reference TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    -- A UK client's postcode (normalised), or an overseas client's country code.
    postcode TEXT,
    country_code TEXT NOT NULL DEFAULT 'GB'
);

CREATE TABLE ppt_clients (
    ppt_reference TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    registration_date DATE NOT NULL
);

-- Trusts: a non-taxable trust has a URN; a taxable one a UTR; a trust that became taxable has both.
CREATE TABLE trust_clients (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    utr TEXT UNIQUE,
    urn TEXT UNIQUE,
    CHECK (utr IS NOT NULL OR urn IS NOT NULL)
);
