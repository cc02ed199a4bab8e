//! SQL written by hand whose text never changes, prepared once per connection like Diesel's own queries.
//!
//! Diesel marks every `sql_query` unsafe to cache, since its text may be built at run time: PostgreSQL would parse
//! and plan it on every call. [`Prepared`] is for the statements whose text is a constant and whose values are
//! all bound, so the statement cache may keep them (keyed by their text and bind types).

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::QueryResult;

/// A `sql_query` over a constant text with bound values.
#[derive(Debug, Clone)]
pub struct Prepared<Q>(Q);

/// Wraps a `sql_query` whose text is a constant and whose values are all bound with `.bind`.
pub fn prepared<Q>(query: Q) -> Prepared<Q> {
    Prepared(query)
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    /// Safe: the text is a constant and every value is bound.
    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    // The cache keys the statement by its text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::sql_types::Text;

    #[test]
    fn a_constant_statement_is_cached_where_a_plain_sql_query_is_not() {
        let plain = diesel::sql_query("SELECT $1").bind::<Text, _>("x");
        assert_eq!(plain.is_safe_to_cache_prepared(&Pg).ok(), Some(false));
        let wrapped = prepared(diesel::sql_query("SELECT $1").bind::<Text, _>("x"));
        assert_eq!(wrapped.is_safe_to_cache_prepared(&Pg).ok(), Some(true));
    }
}
