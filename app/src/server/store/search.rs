//! Full-text search over plugins' names and descriptions: the one place where the SQL of
//! the two engines differs (SQLite's FTS5 table versus PostgreSQL's tsvector).

use crate::server::Dialect;

/// The search condition for `terms`, using the engine's full-text index (never a
/// `LIKE '%q%'` scan): every word must match, the last ones as a prefix so that
/// results follow typing. Returns the SQL (with `$n` as its one parameter) and its value.
pub fn search_condition(dialect: Dialect, terms: &[String], n: usize) -> (String, String) {
    match dialect {
        Dialect::Sqlite => (
            format!("p.id IN (SELECT rowid FROM plugins_fts WHERE plugins_fts MATCH ${n})"),
            terms.iter().map(|t| format!("\"{t}\"*")).collect::<Vec<_>>().join(" "),
        ),
        Dialect::Postgres => (
            format!("p.search_vector @@ to_tsquery('simple', ${n})"),
            terms.iter().map(|t| format!("{t}:*")).collect::<Vec<_>>().join(" & "),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_values_quote_each_term_as_a_prefix() {
        let terms = vec!["git".to_owned(), "sync".to_owned()];
        assert_eq!(search_condition(Dialect::Sqlite, &terms, 2).1, "\"git\"* \"sync\"*");
        assert_eq!(search_condition(Dialect::Postgres, &terms, 2).1, "git:* & sync:*");
    }
}
