//! SQL fragments: text with parameter placeholders plus the parameters, in text order.

use super::dialect::Dialect;
use super::param::SqlParam;

/// Marks a parameter's position in [`Frag::sql`]; [`Frag::render`] replaces each by the
/// dialect's placeholder. Never produced by identifiers (they come from the model) or by
/// the translator's constant SQL.
const MARK: char = '\u{1}';

/// A piece of SQL: text and the values of its placeholders, in the order they occur.
///
/// Fragments are only ever concatenated, so parameters stay aligned with their
/// placeholders; a fragment used twice carries its parameters twice.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Frag {
    sql: String,
    params: Vec<SqlParam>,
    /// A column reference, a placeholder or a constant: cheap to repeat in generated SQL.
    atomic: bool,
}

impl Frag {
    /// Constant SQL text written by the translator (operators, keywords, numbers the
    /// translator chose), never data from a request.
    pub(crate) fn sql(text: impl Into<String>) -> Self {
        Self {
            sql: text.into(),
            params: Vec::new(),
            atomic: false,
        }
    }

    /// An atomic piece of constant SQL: a (quoted) column reference or a keyword like `NULL`.
    pub(crate) fn atom(text: impl Into<String>) -> Self {
        Self {
            sql: text.into(),
            params: Vec::new(),
            atomic: true,
        }
    }

    /// One bound parameter.
    pub(crate) fn param(value: impl Into<SqlParam>) -> Self {
        Self {
            sql: MARK.to_string(),
            params: vec![value.into()],
            atomic: true,
        }
    }

    /// Whether repeating this fragment in SQL is as cheap as referring to it once.
    pub(crate) fn is_atomic(&self) -> bool {
        self.atomic
    }

    /// True for a bare constant: digits (which ORDER BY would read as a column position) or
    /// `NULL`/`TRUE`/`FALSE` (which PostgreSQL refuses in ORDER BY).
    pub(crate) fn is_bare_constant(&self) -> bool {
        (!self.sql.is_empty() && self.sql.chars().all(|c| c.is_ascii_digit()))
            || matches!(self.sql.as_str(), "NULL" | "TRUE" | "FALSE")
    }

    /// Appends `other` (text and parameters).
    pub(crate) fn push(&mut self, other: Frag) {
        self.sql.push_str(&other.sql);
        self.params.extend(other.params);
        self.atomic = false;
    }

    /// Joins fragments with a constant separator.
    pub(crate) fn join(parts: impl IntoIterator<Item = Frag>, separator: &str) -> Frag {
        let mut out = Frag::sql("");
        for (i, part) in parts.into_iter().enumerate() {
            if i > 0 {
                out.push(Frag::sql(separator));
            }
            out.push(part);
        }
        out
    }

    /// The SQL text with the dialect's placeholders, and the parameters in order.
    pub(crate) fn render(self, dialect: &impl Dialect) -> (String, Vec<SqlParam>) {
        let mut sql = String::with_capacity(self.sql.len() + self.params.len() * 2);
        let mut index = 0;
        for c in self.sql.chars() {
            if c == MARK {
                let param = self.params.get(index).unwrap_or(&SqlParam::Null);
                index += 1;
                sql.push_str(&dialect.placeholder(index, param));
            } else {
                sql.push(c);
            }
        }
        (sql, self.params)
    }
}

impl From<&str> for Frag {
    fn from(text: &str) -> Self {
        Frag::sql(text)
    }
}

impl From<&Frag> for Frag {
    fn from(frag: &Frag) -> Self {
        frag.clone()
    }
}

/// Concatenates string constants and fragments: `frag!["(", a, " > ", b, ")"]`.
macro_rules! frag {
    ($($part:expr),* $(,)?) => {{
        let mut out = $crate::sql::frag::Frag::sql("");
        $( out.push($crate::sql::frag::Frag::from($part)); )*
        out
    }};
}

pub(crate) use frag;
