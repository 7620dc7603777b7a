//! `Display` for the query AST: canonical OData that parses back to an equal tree.
//!
//! Binary operations print their binary operands in parentheses
//! (`(a eq 1) and (b ne 'x''y')`), so precedence never depends on the reader. Output is the
//! *decoded* text of an option; [`QueryOptions::to_query_string`] percent-encodes it for URLs.

use super::ast::{
    CaseBranch, Compute, ComputeItem, CustomOption, Expand, ExpandItem, ExpandKind, Expr, GeoKind,
    Lambda, Levels, Literal, NamedArg, NestedOptions, OrderBy, OrderByItem, PathName, QueryOptions,
    Search, Segment, Select, SelectItem, SortDirection, UnaryOp,
};
use std::fmt::{self, Display, Formatter, Write};

fn join<T: Display>(f: &mut Formatter<'_>, items: &[T], sep: &str) -> fmt::Result {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        item.fmt(f)?;
    }
    Ok(())
}

fn write_quoted(f: &mut Formatter<'_>, prefix: &str, text: &str) -> fmt::Result {
    f.write_str(prefix)?;
    f.write_char('\'')?;
    for c in text.chars() {
        if c == '\'' {
            f.write_str("''")?;
        } else {
            f.write_char(c)?;
        }
    }
    f.write_char('\'')
}

fn write_json_string(f: &mut Formatter<'_>, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            '\n' => f.write_str("\\n")?,
            '\r' => f.write_str("\\r")?,
            '\t' => f.write_str("\\t")?,
            '\u{8}' => f.write_str("\\b")?,
            '\u{c}' => f.write_str("\\f")?,
            c if (c as u32) < 0x20 => write!(f, "\\u{:04x}", c as u32)?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

impl Display for Literal {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Null => f.write_str("null"),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Number {
                text,
                kind: crate::query::NumberKind::Single,
            } => write!(f, "{text}f"),
            Literal::Number { text, .. } => f.write_str(text),
            Literal::String(s) => write_quoted(f, "", s),
            Literal::Guid(t)
            | Literal::Date(t)
            | Literal::DateTimeOffset(t)
            | Literal::TimeOfDay(t) => f.write_str(t),
            Literal::Duration(t) => write_quoted(f, "duration", t),
            Literal::Enum { type_name, value } => write_quoted(f, type_name, value),
            Literal::Binary(t) => write_quoted(f, "binary", t),
            Literal::Geo { kind, text } => {
                let prefix = match kind {
                    GeoKind::Geography => "geography",
                    GeoKind::Geometry => "geometry",
                };
                write_quoted(f, prefix, text)
            }
        }
    }
}

/// Writes `expr`, parenthesised if it is a binary operation or a `not`.
fn operand(f: &mut Formatter<'_>, expr: &Expr) -> fmt::Result {
    match expr {
        Expr::Binary { .. }
        | Expr::Unary {
            op: UnaryOp::Not, ..
        } => write!(f, "({expr})"),
        _ => expr.fmt(f),
    }
}

impl Display for Lambda {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.var, self.predicate)
    }
}

impl Display for NamedArg {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.name, self.value)
    }
}

impl Display for Segment {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Segment::It => f.write_str("$it"),
            Segment::This => f.write_str("$this"),
            Segment::Root => f.write_str("$root"),
            Segment::Alias(name) | Segment::Annotation(name) => write!(f, "@{name}"),
            Segment::Var(name) | Segment::Member(name) | Segment::Cast(name) => f.write_str(name),
            Segment::Function { name, args } => {
                write!(f, "{name}(")?;
                join(f, args, ",")?;
                f.write_char(')')
            }
            Segment::Count { filter, search } => {
                f.write_str("$count")?;
                if filter.is_some() || search.is_some() {
                    f.write_char('(')?;
                    if let Some(filter) = filter {
                        write!(f, "$filter={filter}")?;
                        if search.is_some() {
                            f.write_char(';')?;
                        }
                    }
                    if let Some(search) = search {
                        write!(f, "$search={search}")?;
                    }
                    f.write_char(')')?;
                }
                Ok(())
            }
            Segment::Filter(e) => write!(f, "$filter({e})"),
            Segment::Any(None) => f.write_str("any()"),
            Segment::Any(Some(l)) => write!(f, "any({l})"),
            Segment::All(l) => write!(f, "all({l})"),
        }
    }
}

impl Display for CaseBranch {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.when, self.then)
    }
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal { value, .. } => value.fmt(f),
            Expr::Alias { name, .. } => write!(f, "@{name}"),
            Expr::Path { segments, .. } => join(f, segments, "/"),
            Expr::Call { name, args, .. } => {
                write!(f, "{name}(")?;
                join(f, args, ",")?;
                f.write_char(')')
            }
            Expr::TypeName { name, .. } => f.write_str(name),
            Expr::Case { branches, .. } => {
                f.write_str("case(")?;
                join(f, branches, ",")?;
                f.write_char(')')
            }
            Expr::Unary {
                op: UnaryOp::Not,
                operand: inner,
                ..
            } => {
                f.write_str("not ")?;
                operand(f, inner)
            }
            Expr::Unary {
                op: UnaryOp::Neg,
                operand: inner,
                ..
            } => match **inner {
                Expr::Path { .. } | Expr::Call { .. } | Expr::Alias { .. } | Expr::Case { .. } => {
                    write!(f, "-{inner}")
                }
                _ => write!(f, "-({inner})"),
            },
            Expr::Binary {
                op, left, right, ..
            } => {
                operand(f, left)?;
                write!(f, " {} ", op.keyword())?;
                operand(f, right)
            }
            Expr::List { items, .. } => {
                f.write_char('(')?;
                join(f, items, ",")?;
                f.write_char(')')
            }
            Expr::Array { items, .. } => {
                f.write_char('[')?;
                join(f, items, ",")?;
                f.write_char(']')
            }
            Expr::Object { members, .. } => {
                f.write_char('{')?;
                for (i, (name, value)) in members.iter().enumerate() {
                    if i > 0 {
                        f.write_char(',')?;
                    }
                    write_json_string(f, name)?;
                    write!(f, ":{value}")?;
                }
                f.write_char('}')
            }
            Expr::JsonString { value, .. } => write_json_string(f, value),
        }
    }
}

impl Display for Search {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        fn child(f: &mut Formatter<'_>, s: &Search) -> fmt::Result {
            match s {
                Search::And(..) | Search::Or(..) => write!(f, "({s})"),
                _ => s.fmt(f),
            }
        }
        match self {
            Search::Word(w) => f.write_str(w),
            Search::Phrase(p) => write!(f, "\"{p}\""),
            Search::Quoted(q) => write_quoted(f, "", q),
            Search::Not(s) => {
                f.write_str("NOT ")?;
                child(f, s)
            }
            Search::And(a, b) => {
                child(f, a)?;
                f.write_str(" AND ")?;
                child(f, b)
            }
            Search::Or(a, b) => {
                child(f, a)?;
                f.write_str(" OR ")?;
                child(f, b)
            }
        }
    }
}

impl Display for OrderByItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)?;
        if self.direction == SortDirection::Desc {
            f.write_str(" desc")?;
        }
        Ok(())
    }
}

impl Display for OrderBy {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        join(f, &self.items, ",")
    }
}

impl Display for ComputeItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(f, "{} as {}", self.expr, self.alias)
    }
}

impl Display for Compute {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        join(f, &self.items, ",")
    }
}

impl Display for PathName {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            PathName::Name(n) => f.write_str(n),
            PathName::Annotation(n) => write!(f, "@{n}"),
            PathName::Operation { name, parameters } => {
                write!(f, "{name}(")?;
                join(f, parameters, ",")?;
                f.write_char(')')
            }
            PathName::Star => f.write_char('*'),
        }
    }
}

fn nested(f: &mut Formatter<'_>, options: &NestedOptions) -> fmt::Result {
    if !options.is_empty() {
        write!(f, "({options})")?;
    }
    Ok(())
}

impl Display for SelectItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SelectItem::Star => f.write_char('*'),
            SelectItem::AllOperations { namespace } => write!(f, "{namespace}.*"),
            SelectItem::Path { segments, options } => {
                join(f, segments, "/")?;
                nested(f, options)
            }
        }
    }
}

impl Display for Select {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        join(f, &self.items, ",")
    }
}

impl Display for ExpandItem {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            ExpandItem::Value => f.write_str("$value"),
            ExpandItem::Path {
                segments,
                kind,
                options,
            } => {
                join(f, segments, "/")?;
                match kind {
                    ExpandKind::Entities => {}
                    ExpandKind::Ref => f.write_str("/$ref")?,
                    ExpandKind::Count => f.write_str("/$count")?,
                }
                nested(f, options)
            }
        }
    }
}

impl Display for Expand {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        join(f, &self.items, ",")
    }
}

impl Display for Levels {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Levels::Max => f.write_str("max"),
            Levels::Number(n) => write!(f, "{n}"),
        }
    }
}

impl Display for NestedOptions {
    /// Prints the options separated by `;` (without the surrounding parentheses).
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let mut parts: Vec<String> = Vec::new();
        if let Some(v) = &self.filter {
            parts.push(format!("$filter={v}"));
        }
        if let Some(v) = &self.search {
            parts.push(format!("$search={v}"));
        }
        if let Some(v) = &self.count {
            parts.push(format!("$count={v}"));
        }
        if let Some(v) = &self.orderby {
            parts.push(format!("$orderby={v}"));
        }
        if let Some(v) = &self.skip {
            parts.push(format!("$skip={v}"));
        }
        if let Some(v) = &self.top {
            parts.push(format!("$top={v}"));
        }
        if let Some(v) = &self.select {
            parts.push(format!("$select={v}"));
        }
        if let Some(v) = &self.expand {
            parts.push(format!("$expand={v}"));
        }
        if let Some(v) = &self.compute {
            parts.push(format!("$compute={v}"));
        }
        if let Some(v) = &self.levels {
            parts.push(format!("$levels={v}"));
        }
        for (name, value) in &self.aliases {
            parts.push(format!("@{name}={value}"));
        }
        f.write_str(&parts.join(";"))
    }
}

impl QueryOptions {
    /// The options as `(name, decoded value)` pairs in canonical order.
    pub fn pairs(&self) -> Vec<(String, Option<String>)> {
        let mut out: Vec<(String, Option<String>)> = Vec::new();
        let mut push = |name: &str, value: String| out.push((name.to_owned(), Some(value)));
        if let Some(v) = &self.filter {
            push("$filter", v.to_string());
        }
        if let Some(v) = &self.search {
            push("$search", v.to_string());
        }
        if let Some(v) = &self.apply {
            push("$apply", v.clone());
        }
        if let Some(v) = &self.compute {
            push("$compute", v.to_string());
        }
        if let Some(v) = &self.select {
            push("$select", v.to_string());
        }
        if let Some(v) = &self.expand {
            push("$expand", v.to_string());
        }
        if let Some(v) = &self.orderby {
            push("$orderby", v.to_string());
        }
        if let Some(v) = &self.skip {
            push("$skip", v.to_string());
        }
        if let Some(v) = &self.top {
            push("$top", v.to_string());
        }
        if let Some(v) = &self.count {
            push("$count", v.to_string());
        }
        if let Some(v) = &self.format {
            push("$format", v.clone());
        }
        if let Some(v) = &self.skiptoken {
            push("$skiptoken", v.clone());
        }
        if let Some(v) = &self.deltatoken {
            push("$deltatoken", v.clone());
        }
        if let Some(v) = &self.index {
            push("$index", v.to_string());
        }
        if let Some(v) = &self.schemaversion {
            push("$schemaversion", v.clone());
        }
        if let Some(v) = &self.id {
            push("$id", v.clone());
        }
        for (name, value) in &self.aliases {
            push(&format!("@{name}"), value.to_string());
        }
        for CustomOption { name, value } in &self.custom {
            out.push((name.clone(), value.clone()));
        }
        out
    }

    /// The options as a percent-encoded query string (without `?`), e.g. for
    /// `@odata.nextLink`. Parsing it with `parse_query_options` gives back equal options.
    pub fn to_query_string(&self) -> String {
        let mut out = String::new();
        for (i, (name, value)) in self.pairs().iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            encode_component(&mut out, name, true);
            if let Some(value) = value {
                out.push('=');
                encode_component(&mut out, value, false);
            }
        }
        out
    }
}

/// Percent-encodes everything that could be misread in a query component (`&`, `+`, `#`,
/// `%`, space, non-ASCII, …; `=` only in names).
fn encode_component(out: &mut String, text: &str, is_name: bool) {
    for b in text.bytes() {
        if is_name && b == b'=' {
            out.push_str("%3D");
            continue;
        }
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'$'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b','
                    | b'/'
                    | b':'
                    | b';'
                    | b'@'
                    | b'!'
                    | b'='
            );
        if keep {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

impl Display for QueryOptions {
    /// Prints the *decoded* options joined by `&` (use [`QueryOptions::to_query_string`]
    /// to build a URL).
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for (i, (name, value)) in self.pairs().iter().enumerate() {
            if i > 0 {
                f.write_char('&')?;
            }
            f.write_str(name)?;
            if let Some(value) = value {
                write!(f, "={value}")?;
            }
        }
        Ok(())
    }
}
