//! Diesel's view of the tables in `migrations/`.

diesel::table! {
    principals (id) {
        id -> Int8,
        user_id -> Text,
        password_hash -> Text,
        affinity_group -> Text,
        full_name -> Text,
        email -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    enrolments (principal_id, enrolment_key) {
        principal_id -> Int8,
        enrolment_key -> Text,
        identifier_name -> Text,
        identifier_value -> Text,
    }
}

diesel::table! {
    access_tokens (token_hash) {
        token_hash -> Bytea,
        principal_id -> Int8,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    agencies (arn) {
        arn -> Text,
        name -> Text,
        email -> Text,
        uid -> Text,
    }
}

diesel::table! {
    individual_clients (nino) {
        nino -> Text,
        mtditid -> Nullable<Text>,
        name -> Text,
        postcode -> Text,
        date_of_birth -> Date,
        sa_utr -> Nullable<Text>,
        person -> Text,
    }
}

diesel::table! {
    vat_clients (vrn) {
        vrn -> Text,
        name -> Text,
        registration_date -> Date,
        insolvent -> Bool,
    }
}

diesel::table! {
    cgt_clients (cgt_reference) {
        cgt_reference -> Text,
        name -> Text,
        postcode -> Nullable<Text>,
        country_code -> Text,
    }
}

diesel::table! {
    ppt_clients (ppt_reference) {
        ppt_reference -> Text,
        name -> Text,
        registration_date -> Date,
    }
}

diesel::table! {
    trust_clients (id) {
        id -> Int8,
        name -> Text,
        utr -> Nullable<Text>,
        urn -> Nullable<Text>,
    }
}

diesel::table! {
    invitations (invitation_id) {
        invitation_id -> Text,
        arn -> Text,
        service -> Text,
        service_group -> Text,
        client_type -> Nullable<Text>,
        client_id_type -> Text,
        client_id -> Text,
        supplied_client_id_type -> Text,
        supplied_client_id -> Text,
        status -> Text,
        relationship_ended_by -> Nullable<Text>,
        expires_on -> Date,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    relationships (id) {
        id -> Int8,
        arn -> Text,
        service -> Text,
        client_id -> Text,
        partial -> Bool,
        invitation_id -> Nullable<Text>,
        started_at -> Timestamptz,
        ended_at -> Nullable<Timestamptz>,
        ended_by -> Nullable<Text>,
    }
}

diesel::table! {
    web_sessions (token_hash) {
        token_hash -> Bytea,
        csrf_token -> Text,
        principal_id -> Int8,
        expires_at -> Timestamptz,
    }
}

diesel::table! {
    sign_in_failures (principal_id) {
        principal_id -> Int8,
        failures -> Int4,
        locked_until -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(enrolments -> principals (principal_id));
diesel::joinable!(access_tokens -> principals (principal_id));
diesel::allow_tables_to_appear_in_same_query!(principals, enrolments, access_tokens);
// An invitation's agency (no foreign key: agencies are made by the sandbox or provisioning, not by requests).
diesel::joinable!(invitations -> agencies (arn));
diesel::allow_tables_to_appear_in_same_query!(invitations, agencies);

diesel::table! {
    server_secrets (name) {
        name -> Text,
        value -> Bytea,
    }
}
