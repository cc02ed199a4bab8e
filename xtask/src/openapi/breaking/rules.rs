//! The one table of rules `cargo xtask openapi breaking` classifies changes by: an id (in the spirit of
//! oasdiff's check ids), whether the change breaks a client written against the old contract, and what it is.
//!
//! The schema rules (`request-parameter-*`, `request-property-*`, `response-property-*`) are looked up by id
//! from the place a schema sits and the kind of change, so a combination is checked only if it has a row here:
//! constraints, for instance, are checked on requests, where tightening one rejects what a client sends.

/// Marks a rule whose change can break a client written against the old contract.
const BREAKING: bool = true;
/// Marks a rule whose change is reported for information only.
const INFO: bool = false;

macro_rules! rules {
    ($($variant:ident: $id:literal, $breaking:ident, $description:literal;)*) => {
        /// One kind of change between two versions of a contract.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Rule {
            $($variant,)*
        }

        /// Every rule, in table order.
        pub const ALL: &[Rule] = &[$(Rule::$variant,)*];

        impl Rule {
            pub fn id(self) -> &'static str {
                match self {
                    $(Rule::$variant => $id,)*
                }
            }

            pub fn breaking(self) -> bool {
                match self {
                    $(Rule::$variant => $breaking,)*
                }
            }

            pub fn description(self) -> &'static str {
                match self {
                    $(Rule::$variant => $description,)*
                }
            }
        }
    };
}

rules! {
    // Contracts and operations.
    ApiContractAdded: "api-contract-added", INFO, "a contract file that is new";
    ApiPathRemoved: "api-path-removed", BREAKING, "a path removed (or its whole contract), with its operations";
    ApiOperationRemoved: "api-operation-removed", BREAKING, "an operation removed from a path that remains";
    ApiOperationAdded: "api-operation-added", INFO, "an operation added";
    ApiSecurityAdded: "api-security-added", BREAKING,
        "security required where none was (the operation's own or the global `security`)";
    ApiSecurityRemoved: "api-security-removed", INFO, "security no longer required";
    ApiSecurityRequirementRemoved: "api-security-requirement-removed", BREAKING,
        "a security requirement the operation accepted (scheme and scopes) removed or changed";
    ApiSecurityRequirementAdded: "api-security-requirement-added", INFO,
        "another security requirement accepted";

    // Request parameters.
    RequestParameterAddedRequired: "request-parameter-added-required", BREAKING, "a new required parameter";
    RequestParameterAddedOptional: "request-parameter-added-optional", INFO, "a new optional parameter";
    RequestParameterBecameRequired: "request-parameter-became-required", BREAKING, "a parameter became required";
    RequestParameterBecameOptional: "request-parameter-became-optional", INFO, "a parameter became optional";
    RequestParameterRemoved: "request-parameter-removed", INFO, "a parameter removed (clients may still send it)";
    RequestParameterTypeChanged: "request-parameter-type-changed", BREAKING, "a parameter's type or format changed";
    RequestParameterEnumValueRemoved: "request-parameter-enum-value-removed", BREAKING,
        "a value removed from a parameter's enum";
    RequestParameterEnumValueAdded: "request-parameter-enum-value-added", INFO, "a value added to a parameter's enum";
    RequestParameterBecameEnum: "request-parameter-became-enum", BREAKING, "a parameter is now limited to an enum";
    RequestParameterMaxLengthDecreased: "request-parameter-max-length-decreased", BREAKING,
        "a parameter's maxLength decreased or set";
    RequestParameterMaxLengthIncreased: "request-parameter-max-length-increased", INFO,
        "a parameter's maxLength increased or removed";
    RequestParameterMinLengthIncreased: "request-parameter-min-length-increased", BREAKING,
        "a parameter's minLength increased or set";
    RequestParameterMinLengthDecreased: "request-parameter-min-length-decreased", INFO,
        "a parameter's minLength decreased or removed";
    RequestParameterPatternChanged: "request-parameter-pattern-changed", BREAKING,
        "a parameter's pattern added or changed";
    RequestParameterPatternRemoved: "request-parameter-pattern-removed", INFO, "a parameter's pattern removed";
    RequestParameterMaxDecreased: "request-parameter-max-decreased", BREAKING,
        "a parameter's maximum decreased, set or made exclusive";
    RequestParameterMaxIncreased: "request-parameter-max-increased", INFO,
        "a parameter's maximum increased or removed";
    RequestParameterMinIncreased: "request-parameter-min-increased", BREAKING,
        "a parameter's minimum increased, set or made exclusive";
    RequestParameterMinDecreased: "request-parameter-min-decreased", INFO,
        "a parameter's minimum decreased or removed";

    // Request bodies.
    RequestBodyAddedRequired: "request-body-added-required", BREAKING, "a required request body added";
    RequestBodyAddedOptional: "request-body-added-optional", INFO, "an optional request body added";
    RequestBodyBecameRequired: "request-body-became-required", BREAKING, "the request body became required";
    RequestBodyBecameOptional: "request-body-became-optional", INFO, "the request body became optional";
    RequestBodyRemoved: "request-body-removed", BREAKING, "the request body removed";
    RequestBodyMediaTypeRemoved: "request-body-media-type-removed", BREAKING, "a request media type removed";
    RequestBodyMediaTypeAdded: "request-body-media-type-added", INFO, "a request media type added";

    // Properties of request bodies (at any depth).
    RequestPropertyAddedRequired: "request-property-added-required", BREAKING, "a new required request property";
    RequestPropertyAddedOptional: "request-property-added-optional", INFO, "a new optional request property";
    RequestPropertyBecameRequired: "request-property-became-required", BREAKING,
        "a request property became required";
    RequestPropertyBecameOptional: "request-property-became-optional", INFO, "a request property became optional";
    RequestPropertyRemoved: "request-property-removed", INFO, "a request property removed";
    RequestPropertyTypeChanged: "request-property-type-changed", BREAKING,
        "a request property's type or format changed";
    RequestPropertyEnumValueRemoved: "request-property-enum-value-removed", BREAKING,
        "a value removed from a request property's enum";
    RequestPropertyEnumValueAdded: "request-property-enum-value-added", INFO,
        "a value added to a request property's enum";
    RequestPropertyBecameEnum: "request-property-became-enum", BREAKING,
        "a request property is now limited to an enum";
    RequestPropertyMaxLengthDecreased: "request-property-max-length-decreased", BREAKING,
        "a request property's maxLength decreased or set";
    RequestPropertyMaxLengthIncreased: "request-property-max-length-increased", INFO,
        "a request property's maxLength increased or removed";
    RequestPropertyMinLengthIncreased: "request-property-min-length-increased", BREAKING,
        "a request property's minLength increased or set";
    RequestPropertyMinLengthDecreased: "request-property-min-length-decreased", INFO,
        "a request property's minLength decreased or removed";
    RequestPropertyPatternChanged: "request-property-pattern-changed", BREAKING,
        "a request property's pattern added or changed";
    RequestPropertyPatternRemoved: "request-property-pattern-removed", INFO, "a request property's pattern removed";
    RequestPropertyMaxDecreased: "request-property-max-decreased", BREAKING,
        "a request property's maximum decreased, set or made exclusive";
    RequestPropertyMaxIncreased: "request-property-max-increased", INFO,
        "a request property's maximum increased or removed";
    RequestPropertyMinIncreased: "request-property-min-increased", BREAKING,
        "a request property's minimum increased, set or made exclusive";
    RequestPropertyMinDecreased: "request-property-min-decreased", INFO,
        "a request property's minimum decreased or removed";
    RequestPropertyAdditionalPropertiesDisallowed: "request-property-additional-properties-disallowed", BREAKING,
        "`additionalProperties: false` newly set on a request object";
    RequestPropertyAdditionalPropertiesAllowed: "request-property-additional-properties-allowed", INFO,
        "`additionalProperties: false` no longer set on a request object";
    RequestPropertyAlternativeRemoved: "request-property-alternative-removed", BREAKING,
        "a oneOf/anyOf alternative of a request schema removed";
    RequestPropertyAlternativeAdded: "request-property-alternative-added", INFO,
        "a oneOf/anyOf alternative of a request schema added";

    // Responses.
    ResponseSuccessStatusRemoved: "response-success-status-removed", BREAKING, "a 2xx status removed or changed";
    ResponseSuccessStatusAdded: "response-success-status-added", INFO, "a 2xx status added";
    ResponseErrorStatusAdded: "response-error-status-added", INFO, "a non-2xx status added";
    ResponseErrorStatusRemoved: "response-error-status-removed", INFO, "a non-2xx status removed";
    ResponseErrorExampleAdded: "response-error-example-added", INFO, "a named example of a non-2xx response added";
    ResponseErrorExampleRemoved: "response-error-example-removed", INFO,
        "a named example of a non-2xx response removed";
    ResponseMediaTypeRemoved: "response-media-type-removed", BREAKING, "a response media type (or body) removed";
    ResponseMediaTypeAdded: "response-media-type-added", INFO, "a response media type (or body) added";
    ResponseHeaderRemoved: "response-header-removed", BREAKING, "a required response header removed";
    ResponseOptionalHeaderRemoved: "response-optional-header-removed", INFO, "an optional response header removed";
    ResponseHeaderBecameOptional: "response-header-became-optional", BREAKING,
        "a required response header became optional";
    ResponseHeaderAdded: "response-header-added", INFO, "a response header added";

    // Properties of response bodies (at any depth).
    ResponsePropertyRemoved: "response-property-removed", BREAKING, "a response property removed, required or not";
    ResponsePropertyBecameOptional: "response-property-became-optional", BREAKING,
        "a response property no longer required";
    ResponsePropertyBecameRequired: "response-property-became-required", INFO, "a response property became required";
    ResponsePropertyAddedRequired: "response-property-added-required", INFO, "a new required response property";
    ResponsePropertyAddedOptional: "response-property-added-optional", INFO, "a new optional response property";
    ResponsePropertyTypeChanged: "response-property-type-changed", BREAKING,
        "a response property's type or format changed";
    ResponsePropertyEnumValueAdded: "response-property-enum-value-added", BREAKING,
        "a value added to a response enum (clients may not handle it)";
    ResponsePropertyEnumValueRemoved: "response-property-enum-value-removed", INFO,
        "a value removed from a response enum";
    ResponsePropertyBecameEnum: "response-property-became-enum", INFO, "a response property is now limited to an enum";
    ResponsePropertyAlternativeAdded: "response-property-alternative-added", BREAKING,
        "a oneOf/anyOf alternative of a response schema added";
    ResponsePropertyAlternativeRemoved: "response-property-alternative-removed", INFO,
        "a oneOf/anyOf alternative of a response schema removed";
}

impl Rule {
    /// The rule with this id, if the table has one.
    pub fn from_id(id: &str) -> Option<Rule> {
        ALL.iter().copied().find(|rule| rule.id() == id)
    }
}
