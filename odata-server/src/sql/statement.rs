//! Whole statements, built from the bound plan and rendered once by the dialect.
//!
//! Every statement the store runs is made here: a page of a collection, a count, a key
//! read, an insert, an update and a delete with their version checks, and the service's
//! own secret. Each is assembled as one [`Frag`] tree — conditions, sort terms, key
//! values and written values all carry their parameters with them — and rendered once, so
//! numbered placeholders (`$1`, `$2`, …) run through the whole statement in text order
//! whatever the dialect. Identifiers come from the table mapping; every value is a
//! parameter. This is the one place besides the translator where SQL text is written.
//!
//! The model is our own [`Frag`] rather than a general SQL builder: the translator of
//! `$filter`/`$orderby`/`$search` already produces `Frag`s through the [`Dialect`] trait,
//! and what a statement adds to them is small and fixed (the tenant, a key, a window, a
//! version check), so one module of builders keeps every statement in one place without a
//! second expression model to convert into.

use odata_core::query::SortDirection;

use super::dialect::{Dialect, Postgres, Sqlite};
use super::frag::{Frag, frag};
use super::schema::Backend;
use super::{Condition, OrderTerm, SelectedValue, SqlParam};
use crate::store::link_table::{LinkTable, SOURCE_COLUMN, TARGET_COLUMN};
use crate::store::table::{ColumnKind, SEQUENCE_COLUMN, StreamColumns, Table, utc_column};

/// A statement ready to run: SQL text with the dialect's placeholders and one parameter
/// per placeholder, in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// The SQL text.
    pub sql: String,
    /// The parameter values, in placeholder order.
    pub params: Vec<SqlParam>,
}

impl Statement {
    pub(crate) fn render(frag: Frag, dialect: &impl Dialect) -> Self {
        let (sql, params) = frag.render(dialect);
        Self { sql, params }
    }

    /// A statement without parameters.
    pub(crate) fn text(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            params: Vec::new(),
        }
    }
}

/// What a page of a collection asks for.
#[derive(Debug, Clone, Copy)]
pub struct PageQuery<'a> {
    /// Conditions, ANDed (filter, search, keyset position).
    pub conditions: &'a [&'a Condition],
    /// Sort terms, the entity key last; their values are selected too (for `$skiptoken`).
    pub order: &'a [OrderTerm],
    /// Indexes into `Table::columns` to read, in result order.
    pub columns: &'a [usize],
    /// Maximum rows.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u64,
}

fn ident(dialect: &impl Dialect, name: &str) -> Frag {
    Frag::atom(dialect.quote(name))
}

/// `FROM "t" WHERE "_tenant" = $n`: every statement is confined to one tenant.
fn from_tenant(dialect: &impl Dialect, table: &Table, tenant: &str) -> Frag {
    frag![
        " FROM ",
        ident(dialect, &table.name),
        " WHERE ",
        ident(dialect, "_tenant"),
        " = ",
        Frag::param(tenant)
    ]
}

/// ` AND "k" = $n` for each key column.
fn key_match(dialect: &impl Dialect, table: &Table, key: Vec<SqlParam>) -> Frag {
    let mut out = Frag::sql("");
    for (&c, value) in table.key.iter().zip(key) {
        out.push(frag![
            " AND ",
            ident(dialect, &table.columns[c].property.name),
            " = ",
            Frag::param(value)
        ]);
    }
    out
}

/// `"_type","_version","a","b",…` for `columns`.
fn select_list(dialect: &impl Dialect, table: &Table, columns: &[usize]) -> Frag {
    let mut names = vec![ident(dialect, "_type"), ident(dialect, "_version")];
    names.extend(
        columns
            .iter()
            .map(|&c| ident(dialect, &table.columns[c].property.name)),
    );
    Frag::join(names, ",")
}

/// The columns written for each property, `__utc` companions included, in table order,
/// with the kind of value each holds.
fn write_columns(dialect: &impl Dialect, table: &Table) -> Vec<(Frag, ColumnKind)> {
    let mut out = Vec::new();
    for c in &table.columns {
        out.push((ident(dialect, &c.property.name), c.kind));
        if c.kind == ColumnKind::DateTimeOffset {
            out.push((
                ident(dialect, &utc_column(&c.property.name)),
                ColumnKind::Integer,
            ));
        }
    }
    out
}

/// One entity by key: `_type`, `_version`, then every column.
pub(crate) fn key_read(
    dialect: &impl Dialect,
    table: &Table,
    tenant: &str,
    key: Vec<SqlParam>,
) -> Statement {
    let all: Vec<usize> = (0..table.columns.len()).collect();
    Statement::render(
        frag![
            "SELECT ",
            select_list(dialect, table, &all),
            from_tenant(dialect, table, tenant),
            key_match(dialect, table, key)
        ],
        dialect,
    )
}

/// The version of one entity by key.
pub(crate) fn version_read(
    dialect: &impl Dialect,
    table: &Table,
    tenant: &str,
    key: Vec<SqlParam>,
) -> Statement {
    Statement::render(
        frag![
            "SELECT ",
            ident(dialect, "_version"),
            from_tenant(dialect, table, tenant),
            key_match(dialect, table, key)
        ],
        dialect,
    )
}

/// A page: `_type`, `_version`, the requested columns, then the value of every sort term;
/// filtered, ordered (nulls first ascending, last descending) and windowed.
pub(crate) fn page(
    dialect: &impl Dialect,
    table: &Table,
    tenant: &str,
    query: &PageQuery<'_>,
) -> Statement {
    let mut sql = frag!["SELECT ", select_list(dialect, table, query.columns)];
    // Named apart: PostgreSQL names an unnamed output column after the column a cast or a
    // scalar subquery reads, and an ORDER BY term that is a bare column name then matches
    // two different output columns ("ORDER BY "id" is ambiguous").
    for (i, term) in query.order.iter().enumerate() {
        sql.push(frag![
            ",(",
            &term.expr,
            ") AS ",
            ident(dialect, &format!("$o{i}"))
        ]);
    }
    sql.push(from_tenant(dialect, table, tenant));
    for condition in query.conditions {
        sql.push(frag![" AND (", &condition.frag, ")"]);
    }
    if !query.order.is_empty() {
        let terms = query
            .order
            .iter()
            .map(|t| dialect.order_term(frag!["(", &t.expr, ")"], t.direction, t.nullable));
        sql.push(frag![" ORDER BY ", Frag::join(terms, ",")]);
    }
    sql.push(frag![
        " LIMIT ",
        Frag::param(i64::from(query.limit)),
        " OFFSET ",
        Frag::param(i64::try_from(query.offset).unwrap_or(i64::MAX))
    ]);
    Statement::render(sql, dialect)
}

/// The entities meeting `conditions` with values computed for each: `_type`, `_version`,
/// the key columns, then the cells of every value in order (one, or two for an
/// Edm.DateTimeOffset: its text and its UTC ticks).
pub(crate) fn selected_values(
    dialect: &impl Dialect,
    table: &Table,
    tenant: &str,
    conditions: &[&Condition],
    values: &[SelectedValue],
) -> Statement {
    let mut sql = frag!["SELECT ", select_list(dialect, table, &table.key)];
    for value in values {
        sql.push(frag![",(", &value.value, ")"]);
        if let Some(ticks) = &value.ticks {
            sql.push(frag![",(", ticks, ")"]);
        }
    }
    sql.push(from_tenant(dialect, table, tenant));
    for condition in conditions {
        sql.push(frag![" AND (", &condition.frag, ")"]);
    }
    Statement::render(sql, dialect)
}

/// What [`page_per_partition`] reads: the members of several parents' related
/// collections at once.
#[derive(Debug, Clone, Copy)]
pub struct PartitionQuery<'a> {
    /// Conditions every row must meet (the nested `$filter`/`$search`, the parents' keys).
    pub conditions: &'a [&'a Condition],
    /// What tells the parents apart.
    pub partition: Partition<'a>,
    /// The order within each parent's rows.
    pub order: &'a [OrderTerm],
    /// Rows of each parent to pass over first.
    pub skip: u64,
    /// Rows of each parent to read after those.
    pub limit: u64,
}

/// How the rows of several parents' related collections are told apart.
#[derive(Debug, Clone, Copy)]
pub enum Partition<'a> {
    /// By the related table's column (index into `table.columns`) holding the parent's
    /// key; the conditions select the parents' rows.
    Column(usize),
    /// By the rows of a link table pairing the parents' keys (`sources`) with the related
    /// rows' keys. A related row linked to several parents is read once per parent, with
    /// the parent's key as an extra last column, [`LINK_SOURCE`].
    Links {
        /// The link table.
        link: &'a LinkTable,
        /// The parents' keys.
        sources: &'a [odata_core::value::Value],
    },
}

/// The name of the column carrying the parent's key in rows read through a link table
/// ([`Partition::Links`]).
pub const LINK_SOURCE: &str = "_source";

/// `FROM "t" WHERE "_tenant" = $n`, or for a partition through a link table, the rows of
/// `t` linked to the parents, each with its parent's key as `"_source"`, under the name
/// `t` (so conditions over `t`, qualified or not, apply to them):
/// `FROM (SELECT "t".*, "$l"."source" AS "_source" FROM "t" JOIN "link" AS "$l" ON … WHERE
/// "$l"."source" IN (…)) AS "t" WHERE "_tenant" = $n`, and the partition expression.
fn partition_from(
    dialect: &impl Dialect,
    table: &Table,
    tenant: &str,
    partition: Partition<'_>,
) -> (Frag, Frag) {
    match partition {
        Partition::Column(column) => (
            from_tenant(dialect, table, tenant),
            ident(dialect, &table.columns[column].property.name),
        ),
        Partition::Links { link, sources } => {
            let links = "$l";
            let qualified = |alias: &str, column: &str| {
                Frag::atom(format!(
                    "{}.{}",
                    dialect.quote(alias),
                    dialect.quote(column)
                ))
            };
            let key = match table.key.as_slice() {
                [k] => table.columns[*k].property.name.as_str(),
                // Service::build links single-property keys only.
                _ => "",
            };
            let source = &link.table.columns[LinkTable::SOURCE];
            let params = sources.iter().map(|v| {
                Frag::param(
                    crate::store::codec::params(source, v)
                        .into_iter()
                        .next()
                        .unwrap_or(SqlParam::Null),
                )
            });
            let from = frag![
                " FROM (SELECT ",
                Frag::atom(format!("{}.*", dialect.quote(&table.name))),
                ",",
                qualified(links, SOURCE_COLUMN),
                " AS ",
                ident(dialect, LINK_SOURCE),
                " FROM ",
                ident(dialect, &table.name),
                " JOIN ",
                ident(dialect, link.name()),
                " AS ",
                ident(dialect, links),
                " ON ",
                qualified(links, "_tenant"),
                " = ",
                qualified(&table.name, "_tenant"),
                " AND ",
                qualified(links, TARGET_COLUMN),
                " = ",
                qualified(&table.name, key),
                " WHERE ",
                qualified(links, "_tenant"),
                " = ",
                Frag::param(tenant),
                " AND ",
                qualified(links, SOURCE_COLUMN),
                " IN (",
                Frag::join(params, ","),
                ")) AS ",
                ident(dialect, &table.name),
                " WHERE ",
                ident(dialect, "_tenant"),
                " = ",
                Frag::param(tenant)
            ];
            (from, ident(dialect, LINK_SOURCE))
        }
    }
}

/// Every column of the rows of each partition ranked `skip + 1 ..= skip + limit` in
/// `order`: one statement for the related entities of a whole page of parents, however
/// many rows each has, instead of one statement per parent.
pub(crate) fn page_per_partition(
    dialect: &impl Dialect,
    table: &Table,
    tenant: &str,
    query: &PartitionQuery<'_>,
) -> Statement {
    let all: Vec<usize> = (0..table.columns.len()).collect();
    let mut columns = select_list(dialect, table, &all);
    if let Partition::Links { .. } = query.partition {
        columns.push(frag![",", ident(dialect, LINK_SOURCE)]);
    }
    let (from, partition) = partition_from(dialect, table, tenant, query.partition);
    let rank = ident(dialect, "_rank");
    let terms = query
        .order
        .iter()
        .map(|t| dialect.order_term(frag!["(", &t.expr, ")"], t.direction, t.nullable));
    let mut inner = frag![
        "SELECT ",
        &columns,
        ",ROW_NUMBER() OVER (PARTITION BY ",
        partition,
        " ORDER BY ",
        Frag::join(terms, ","),
        ") AS ",
        &rank,
        from
    ];
    for condition in query.conditions {
        inner.push(frag![" AND (", &condition.frag, ")"]);
    }
    let first = i64::try_from(query.skip).unwrap_or(i64::MAX);
    let last = i64::try_from(query.skip.saturating_add(query.limit)).unwrap_or(i64::MAX);
    Statement::render(
        frag![
            "SELECT ",
            columns,
            " FROM (",
            inner,
            ") AS ",
            ident(dialect, "_ranked"),
            " WHERE ",
            &rank,
            " > ",
            Frag::param(first),
            " AND ",
            &rank,
            " <= ",
            Frag::param(last),
            " ORDER BY ",
            rank
        ],
        dialect,
    )
}

/// The partition column's value and the number of the tenant's rows matching every
/// condition, per value (`GROUP BY`).
pub(crate) fn count_per_partition(
    dialect: &impl Dialect,
    table: &Table,
    tenant: &str,
    conditions: &[&Condition],
    partition: Partition<'_>,
) -> Statement {
    let (from, column) = partition_from(dialect, table, tenant, partition);
    let mut sql = frag!["SELECT ", &column, ",COUNT(*)", from];
    for condition in conditions {
        sql.push(frag![" AND (", &condition.frag, ")"]);
    }
    sql.push(frag![" GROUP BY ", column]);
    Statement::render(sql, dialect)
}

/// The number of the tenant's entities matching every condition.
pub(crate) fn count(
    dialect: &impl Dialect,
    table: &Table,
    tenant: &str,
    conditions: &[&Condition],
) -> Statement {
    let mut sql = frag!["SELECT COUNT(*)", from_tenant(dialect, table, tenant)];
    for condition in conditions {
        sql.push(frag![" AND (", &condition.frag, ")"]);
    }
    Statement::render(sql, dialect)
}

/// A new row at version 1; `values` holds one parameter per written column (see
/// [`write_columns`]).
pub(crate) fn insert(
    dialect: &impl Dialect,
    table: &Table,
    tenant: &str,
    type_name: &str,
    values: Vec<SqlParam>,
) -> Statement {
    let written = write_columns(dialect, table);
    let mut columns = vec![
        ident(dialect, "_tenant"),
        ident(dialect, "_type"),
        ident(dialect, "_version"),
    ];
    let mut row = vec![Frag::param(tenant), Frag::param(type_name), Frag::sql("1")];
    if table.insertion_order
        && let Some(next) = dialect.next_sequence(&table.name)
    {
        columns.push(ident(dialect, SEQUENCE_COLUMN));
        row.push(next);
    }
    for ((column, kind), value) in written.into_iter().zip(values) {
        columns.push(column);
        row.push(dialect.column_param(Frag::param(value), kind));
    }
    Statement::render(
        frag![
            "INSERT INTO ",
            ident(dialect, &table.name),
            " (",
            Frag::join(columns, ","),
            ") VALUES (",
            Frag::join(row, ","),
            ")"
        ],
        dialect,
    )
}

/// [`insert`] on SQLite, its text rendered once per table (its placeholders do not depend
/// on the values): building it was a tenth of a create's CPU on the request's thread.
pub(crate) fn sqlite_insert(
    table: &Table,
    tenant: &str,
    type_name: &str,
    values: Vec<SqlParam>,
) -> Statement {
    let mut params = Vec::with_capacity(values.len() + 2);
    params.extend([SqlParam::from(tenant), SqlParam::from(type_name)]);
    params.extend(values);
    let sql = table
        .sqlite_texts
        .insert
        .get_or_init(|| insert(&Sqlite, table, tenant, type_name, params[2..].to_vec()).sql);
    Statement {
        sql: sql.clone(),
        params,
    }
}

/// [`delete`] of a just-created entity (version 1) on SQLite, its text rendered once per
/// table.
pub(crate) fn sqlite_delete_created(table: &Table, tenant: &str, key: Vec<SqlParam>) -> Statement {
    let mut params = Vec::with_capacity(key.len() + 2);
    params.push(SqlParam::from(tenant));
    params.extend(key);
    params.push(SqlParam::Integer(1));
    let sql = table.sqlite_texts.delete_created.get_or_init(|| {
        delete(
            &Sqlite,
            table,
            tenant,
            params[1..params.len() - 1].to_vec(),
            1,
        )
        .sql
    });
    Statement {
        sql: sql.clone(),
        params,
    }
}

/// Writes every column of one entity and bumps its version, only while the stored
/// version is still `version`: a concurrent writer (on this or another instance) makes it
/// change no row.
pub(crate) fn update(
    dialect: &impl Dialect,
    table: &Table,
    tenant: &str,
    key: Vec<SqlParam>,
    version: i64,
    values: Vec<SqlParam>,
) -> Statement {
    let version_column = ident(dialect, "_version");
    let mut assignments = vec![frag![&version_column, " = ", &version_column, " + 1"]];
    assignments.extend(write_columns(dialect, table).into_iter().zip(values).map(
        |((column, kind), value)| {
            frag![
                column,
                " = ",
                dialect.column_param(Frag::param(value), kind)
            ]
        },
    ));
    Statement::render(
        frag![
            "UPDATE ",
            ident(dialect, &table.name),
            " SET ",
            Frag::join(assignments, ","),
            " WHERE ",
            ident(dialect, "_tenant"),
            " = ",
            Frag::param(tenant),
            key_match(dialect, table, key),
            " AND ",
            version_column,
            " = ",
            Frag::param(version)
        ],
        dialect,
    )
}

/// One stream of one entity by key: `_version`, the bytes, the media type.
pub(crate) fn stream_read(
    dialect: &impl Dialect,
    table: &Table,
    tenant: &str,
    key: Vec<SqlParam>,
    stream: &StreamColumns,
) -> Statement {
    Statement::render(
        frag![
            "SELECT ",
            ident(dialect, "_version"),
            ",",
            ident(dialect, &stream.content),
            ",",
            ident(dialect, &table.columns[stream.media_type].property.name),
            from_tenant(dialect, table, tenant),
            key_match(dialect, table, key)
        ],
        dialect,
    )
}

/// Replaces the bytes of one stream of one entity; the version and the media type are
/// written by the [`update`] of the same transaction.
pub(crate) fn stream_write(
    dialect: &impl Dialect,
    table: &Table,
    tenant: &str,
    key: Vec<SqlParam>,
    stream: &StreamColumns,
    bytes: Vec<u8>,
) -> Statement {
    Statement::render(
        frag![
            "UPDATE ",
            ident(dialect, &table.name),
            " SET ",
            ident(dialect, &stream.content),
            " = ",
            Frag::param(SqlParam::Blob(bytes)),
            " WHERE ",
            ident(dialect, "_tenant"),
            " = ",
            Frag::param(tenant),
            key_match(dialect, table, key)
        ],
        dialect,
    )
}

/// Points the reference column `column` of one member of `table` at the entity whose key
/// is `source` (`link`), or clears it where it points at that entity (`!link`), bumping
/// the member's version: the link is part of the member's state and its ETag.
pub(crate) fn relink(
    dialect: &impl Dialect,
    table: &Table,
    tenant: &str,
    member: Vec<SqlParam>,
    column: usize,
    source: SqlParam,
    link: bool,
) -> Statement {
    let reference = &table.columns[column];
    let reference_column = ident(dialect, &reference.property.name);
    let value = if link {
        dialect.column_param(Frag::param(source.clone()), reference.kind)
    } else {
        Frag::sql("NULL")
    };
    let mut statement = frag![
        "UPDATE ",
        ident(dialect, &table.name),
        " SET ",
        version_bump(dialect, table),
        ",",
        &reference_column,
        " = ",
        value,
        " WHERE ",
        ident(dialect, "_tenant"),
        " = ",
        Frag::param(tenant),
        key_match(dialect, table, member)
    ];
    if !link {
        statement.push(frag![" AND ", reference_column, " = ", Frag::param(source)]);
    }
    Statement::render(statement, dialect)
}

/// Adds the link row (`_tenant`, `source`, `target`) with `pair` = [source, target]
/// unless it exists (the primary key covers all three columns).
pub(crate) fn add_link(
    dialect: &impl Dialect,
    link: &LinkTable,
    tenant: &str,
    pair: Vec<SqlParam>,
) -> Statement {
    let values = pair.into_iter().map(Frag::param);
    Statement::render(
        frag![
            "INSERT INTO ",
            ident(dialect, link.name()),
            " (",
            ident(dialect, "_tenant"),
            ",",
            ident(dialect, SOURCE_COLUMN),
            ",",
            ident(dialect, TARGET_COLUMN),
            ") VALUES (",
            Frag::param(tenant),
            ",",
            Frag::join(values, ","),
            ") ON CONFLICT DO NOTHING"
        ],
        dialect,
    )
}

/// Removes the link row with `pair` = [source, target].
pub(crate) fn remove_link(
    dialect: &impl Dialect,
    link: &LinkTable,
    tenant: &str,
    pair: Vec<SqlParam>,
) -> Statement {
    Statement::render(
        frag![
            "DELETE",
            from_tenant(dialect, &link.table, tenant),
            key_match(dialect, &link.table, pair)
        ],
        dialect,
    )
}

/// `"_version" = "_version" + 1`, and the same for the property mirroring the version
/// ([`Table::version`]) if there is one.
fn version_bump(dialect: &impl Dialect, table: &Table) -> Frag {
    let version_column = ident(dialect, "_version");
    let mut bump = frag![&version_column, " = ", &version_column, " + 1"];
    if let Some(mirror) = table.version {
        bump.push(frag![
            ",",
            ident(dialect, &table.columns[mirror].property.name),
            " = ",
            &version_column,
            " + 1"
        ]);
    }
    bump
}

/// Deletes the rows of a contained collection's table whose parent column `column` holds
/// `parent` (the entities contained in a deleted one).
pub(crate) fn delete_contained(
    dialect: &impl Dialect,
    table: &Table,
    tenant: &str,
    column: usize,
    parent: SqlParam,
) -> Statement {
    Statement::render(
        frag![
            "DELETE",
            from_tenant(dialect, table, tenant),
            " AND ",
            ident(dialect, &table.columns[column].property.name),
            " = ",
            Frag::param(parent)
        ],
        dialect,
    )
}

/// Clears the reference column `column` of the rows of `table` that hold `principal` (the
/// entities referring to a deleted one), changing their versions.
pub(crate) fn unlink_dependents(
    dialect: &impl Dialect,
    table: &Table,
    tenant: &str,
    column: usize,
    principal: SqlParam,
) -> Statement {
    let reference_column = ident(dialect, &table.columns[column].property.name);
    Statement::render(
        frag![
            "UPDATE ",
            ident(dialect, &table.name),
            " SET ",
            version_bump(dialect, table),
            ", ",
            &reference_column,
            " = NULL WHERE ",
            ident(dialect, "_tenant"),
            " = ",
            Frag::param(tenant),
            " AND ",
            reference_column,
            " = ",
            Frag::param(principal)
        ],
        dialect,
    )
}

/// One row of `table` whose reference column `column` holds `principal`, if any.
pub(crate) fn any_dependent(
    dialect: &impl Dialect,
    table: &Table,
    tenant: &str,
    column: usize,
    principal: SqlParam,
) -> Statement {
    Statement::render(
        frag![
            "SELECT 1",
            from_tenant(dialect, table, tenant),
            " AND ",
            ident(dialect, &table.columns[column].property.name),
            " = ",
            Frag::param(principal),
            " LIMIT 1"
        ],
        dialect,
    )
}

/// Deletes every row of the tenant.
pub(crate) fn delete_all(dialect: &impl Dialect, table: &Table, tenant: &str) -> Statement {
    Statement::render(
        frag!["DELETE", from_tenant(dialect, table, tenant)],
        dialect,
    )
}

/// One row of the tenant, if any.
pub(crate) fn any_row(dialect: &impl Dialect, table: &Table, tenant: &str) -> Statement {
    Statement::render(
        frag!["SELECT 1", from_tenant(dialect, table, tenant), " LIMIT 1"],
        dialect,
    )
}

/// Deletes one entity while its stored version is still `version`.
pub(crate) fn delete(
    dialect: &impl Dialect,
    table: &Table,
    tenant: &str,
    key: Vec<SqlParam>,
    version: i64,
) -> Statement {
    Statement::render(
        frag![
            "DELETE",
            from_tenant(dialect, table, tenant),
            key_match(dialect, table, key),
            " AND ",
            ident(dialect, "_version"),
            " = ",
            Frag::param(version)
        ],
        dialect,
    )
}

/// The cheapest statement that proves the database answers (readiness).
pub(crate) fn ping() -> Statement {
    Statement {
        sql: "SELECT 1".to_owned(),
        params: Vec::new(),
    }
}

/// PostgreSQL: sets the session's `statement_timeout` to `millis`, or back to the session's
/// default for `None` (the server's, or the one the session started with).
pub(crate) fn statement_timeout(dialect: &impl Dialect, millis: Option<u128>) -> Statement {
    match millis {
        Some(ms) => Statement::render(
            frag![
                "SELECT set_config('statement_timeout', ",
                Frag::param(ms.to_string()),
                ", false)"
            ],
            dialect,
        ),
        None => Statement {
            sql: "RESET statement_timeout".to_owned(),
            params: Vec::new(),
        },
    }
}

/// The service's own secrets (the `$skiptoken` key): created when missing.
pub(crate) fn create_secret_table(dialect: &impl Dialect) -> Statement {
    Statement::render(
        frag![
            "CREATE TABLE IF NOT EXISTS ",
            ident(dialect, "_odata_secret"),
            " (",
            ident(dialect, "name"),
            " TEXT PRIMARY KEY NOT NULL, ",
            ident(dialect, "value"),
            " ",
            dialect.blob_type(),
            " NOT NULL)"
        ],
        dialect,
    )
}

/// Stores `value` under `name` unless a value is there already (the first instance wins).
pub(crate) fn insert_secret(dialect: &impl Dialect, name: &str, value: Vec<u8>) -> Statement {
    Statement::render(
        frag![
            "INSERT INTO ",
            ident(dialect, "_odata_secret"),
            " VALUES (",
            Frag::param(name),
            ", ",
            Frag::param(SqlParam::Blob(value)),
            ") ON CONFLICT DO NOTHING"
        ],
        dialect,
    )
}

/// The secret stored under `name`.
pub(crate) fn read_secret(dialect: &impl Dialect, name: &str) -> Statement {
    Statement::render(
        frag![
            "SELECT ",
            ident(dialect, "value"),
            " FROM ",
            ident(dialect, "_odata_secret"),
            " WHERE ",
            ident(dialect, "name"),
            " = ",
            Frag::param(name)
        ],
        dialect,
    )
}

/// The page statement the store runs on `backend` (for tests, `EXPLAIN` and diagnostics).
pub fn page_for(backend: Backend, table: &Table, tenant: &str, query: &PageQuery<'_>) -> Statement {
    match backend {
        Backend::Sqlite => page(&Sqlite, table, tenant, query),
        Backend::Postgres => page(&Postgres, table, tenant, query),
    }
}

/// The count statement the store runs on `backend` (for tests, `EXPLAIN` and diagnostics).
pub fn count_for(
    backend: Backend,
    table: &Table,
    tenant: &str,
    conditions: &[&Condition],
) -> Statement {
    match backend {
        Backend::Sqlite => count(&Sqlite, table, tenant, conditions),
        Backend::Postgres => count(&Postgres, table, tenant, conditions),
    }
}

/// The condition "row sorts strictly after `values`" for `terms`, in the order the
/// dialect sorts (nulls first ascending, last descending):
/// `after(t0) OR (equal(t0) AND after(t1)) OR …`.
pub fn after(backend: Backend, terms: &[OrderTerm], values: &[SqlParam]) -> Condition {
    match backend {
        Backend::Sqlite => after_in(&Sqlite, terms, values),
        Backend::Postgres => after_in(&Postgres, terms, values),
    }
}

pub(crate) fn after_in(
    dialect: &impl Dialect,
    terms: &[OrderTerm],
    values: &[SqlParam],
) -> Condition {
    let alternatives = (0..terms.len().min(values.len())).map(|i| {
        let mut parts: Vec<Frag> = terms[..i]
            .iter()
            .zip(values)
            .map(|(term, value)| {
                dialect.null_safe_eq(frag!["(", &term.expr, ")"], Frag::param(value.clone()))
            })
            .collect();
        parts.push(strictly_after(&terms[i], &values[i]));
        frag!["(", Frag::join(parts, " AND "), ")"]
    });
    Condition {
        frag: frag!["(", Frag::join(alternatives, " OR "), ")"],
    }
}

fn strictly_after(term: &OrderTerm, value: &SqlParam) -> Frag {
    let expr = frag!["(", &term.expr, ")"];
    match (term.direction, value) {
        (SortDirection::Asc, SqlParam::Null) => frag![expr, " IS NOT NULL"],
        (SortDirection::Asc, v) => frag![expr, " > ", Frag::param(v.clone())],
        (SortDirection::Desc, SqlParam::Null) => Frag::sql("(1 = 0)"),
        (SortDirection::Desc, v) => {
            frag![
                "(",
                &expr,
                " < ",
                Frag::param(v.clone()),
                " OR ",
                &expr,
                " IS NULL)"
            ]
        }
    }
}

// Change tracking (`crate::store::changes`): a per-tenant change counter and one row per
// tracked entity holding the counter value of its latest change.

/// The framework's change-tracking tables, created when missing: `_odata_change_seq`
/// (per tenant: the last change number handed out and the epoch, bumped when the tenant's
/// tracked data is replaced) and `_odata_changes` (per tracked entity: the number of its
/// latest change and whether that change deleted it), with the index delta reads use.
pub(crate) fn create_change_tables(dialect: &impl Dialect) -> Vec<Statement> {
    let big = dialect.integer_type();
    vec![
        Statement::render(
            frag![
                "CREATE TABLE IF NOT EXISTS ",
                ident(dialect, "_odata_change_seq"),
                " (",
                ident(dialect, "_tenant"),
                " TEXT PRIMARY KEY NOT NULL, ",
                ident(dialect, "seq"),
                " ",
                big,
                " NOT NULL, ",
                ident(dialect, "epoch"),
                " ",
                big,
                " NOT NULL)"
            ],
            dialect,
        ),
        Statement::render(
            frag![
                "CREATE TABLE IF NOT EXISTS ",
                ident(dialect, "_odata_changes"),
                " (",
                ident(dialect, "_tenant"),
                " TEXT NOT NULL, ",
                ident(dialect, "collection"),
                " TEXT NOT NULL, ",
                ident(dialect, "key"),
                " TEXT NOT NULL, ",
                ident(dialect, "seq"),
                " ",
                big,
                " NOT NULL, ",
                ident(dialect, "deleted"),
                " ",
                big,
                " NOT NULL, PRIMARY KEY (",
                ident(dialect, "_tenant"),
                ", ",
                ident(dialect, "collection"),
                ", ",
                ident(dialect, "key"),
                "))"
            ],
            dialect,
        ),
        Statement::render(
            frag![
                "CREATE INDEX IF NOT EXISTS ",
                ident(dialect, "_odata_changes_seq"),
                " ON ",
                ident(dialect, "_odata_changes"),
                " (",
                ident(dialect, "_tenant"),
                ", ",
                ident(dialect, "collection"),
                ", ",
                ident(dialect, "seq"),
                ", ",
                ident(dialect, "key"),
                ")"
            ],
            dialect,
        ),
    ]
}

/// Hands out the tenant's next change number (and, `new_epoch`, starts a new epoch):
/// returns `seq`, `epoch`. The counter row stays locked until the transaction ends, so
/// change numbers are committed in the order they are handed out.
pub(crate) fn next_change(dialect: &impl Dialect, tenant: &str, new_epoch: bool) -> Statement {
    let seq = ident(dialect, "seq");
    let epoch = ident(dialect, "epoch");
    let table = ident(dialect, "_odata_change_seq");
    let mut sql = frag![
        "INSERT INTO ",
        &table,
        " (",
        ident(dialect, "_tenant"),
        ", ",
        &seq,
        ", ",
        &epoch,
        ") VALUES (",
        Frag::param(tenant),
        ", 1, ",
        Frag::param(i64::from(new_epoch)),
        ") ON CONFLICT (",
        ident(dialect, "_tenant"),
        ") DO UPDATE SET ",
        &seq,
        " = ",
        &table,
        ".",
        &seq,
        " + 1"
    ];
    if new_epoch {
        sql.push(frag![", ", &epoch, " = ", &table, ".", &epoch, " + 1"]);
    }
    sql.push(frag![" RETURNING ", seq, ", ", epoch]);
    Statement::render(sql, dialect)
}

/// The tenant's last change number and epoch (no row: none yet).
pub(crate) fn change_mark(dialect: &impl Dialect, tenant: &str) -> Statement {
    Statement::render(
        frag![
            "SELECT ",
            ident(dialect, "seq"),
            ", ",
            ident(dialect, "epoch"),
            " FROM ",
            ident(dialect, "_odata_change_seq"),
            " WHERE ",
            ident(dialect, "_tenant"),
            " = ",
            Frag::param(tenant)
        ],
        dialect,
    )
}

/// Records change `seq` of the entity with key text `key` of `collection`.
pub(crate) fn log_change(
    dialect: &impl Dialect,
    tenant: &str,
    collection: &str,
    key: String,
    seq: i64,
    deleted: bool,
) -> Statement {
    let seq_column = ident(dialect, "seq");
    let deleted_column = ident(dialect, "deleted");
    Statement::render(
        frag![
            "INSERT INTO ",
            ident(dialect, "_odata_changes"),
            " (",
            ident(dialect, "_tenant"),
            ", ",
            ident(dialect, "collection"),
            ", ",
            ident(dialect, "key"),
            ", ",
            &seq_column,
            ", ",
            &deleted_column,
            ") VALUES (",
            Frag::param(tenant),
            ", ",
            Frag::param(collection),
            ", ",
            Frag::param(key),
            ", ",
            Frag::param(seq),
            ", ",
            Frag::param(i64::from(deleted)),
            ") ON CONFLICT (",
            ident(dialect, "_tenant"),
            ", ",
            ident(dialect, "collection"),
            ", ",
            ident(dialect, "key"),
            ") DO UPDATE SET ",
            &seq_column,
            " = ",
            Frag::param(seq),
            ", ",
            &deleted_column,
            " = ",
            Frag::param(i64::from(deleted))
        ],
        dialect,
    )
}

/// Forgets the changes of `collection` in the tenant (its data was replaced).
pub(crate) fn forget_changes(dialect: &impl Dialect, tenant: &str, collection: &str) -> Statement {
    Statement::render(
        frag![
            "DELETE FROM ",
            ident(dialect, "_odata_changes"),
            " WHERE ",
            ident(dialect, "_tenant"),
            " = ",
            Frag::param(tenant),
            " AND ",
            ident(dialect, "collection"),
            " = ",
            Frag::param(collection)
        ],
        dialect,
    )
}

/// The changes of `collection` numbered up to `upto` and after the position `after`
/// (a change number, and the key text of the last change read with that number): `key`,
/// `seq`, `deleted`, in (number, key) order, at most `limit`.
pub(crate) fn changes_since(
    dialect: &impl Dialect,
    tenant: &str,
    collection: &str,
    after: (i64, Option<String>),
    upto: i64,
    limit: u32,
) -> Statement {
    let seq = ident(dialect, "seq");
    let key = ident(dialect, "key");
    let position = match after.1 {
        None => frag![&seq, " > ", Frag::param(after.0)],
        Some(last) => frag![
            "(",
            &seq,
            " > ",
            Frag::param(after.0),
            " OR (",
            &seq,
            " = ",
            Frag::param(after.0),
            " AND ",
            &key,
            " > ",
            Frag::param(last),
            "))"
        ],
    };
    Statement::render(
        frag![
            "SELECT ",
            &key,
            ", ",
            &seq,
            ", ",
            ident(dialect, "deleted"),
            " FROM ",
            ident(dialect, "_odata_changes"),
            " WHERE ",
            ident(dialect, "_tenant"),
            " = ",
            Frag::param(tenant),
            " AND ",
            ident(dialect, "collection"),
            " = ",
            Frag::param(collection),
            " AND ",
            position,
            " AND ",
            &seq,
            " <= ",
            Frag::param(upto),
            " ORDER BY ",
            &seq,
            ", ",
            &key,
            " LIMIT ",
            Frag::param(i64::from(limit))
        ],
        dialect,
    )
}

/// The keys of the rows of `table` whose column `column` holds `value` (the dependents a
/// delete cascades to or unlinks, whose changes are recorded).
pub(crate) fn keys_where(
    dialect: &impl Dialect,
    table: &Table,
    tenant: &str,
    column: usize,
    value: SqlParam,
) -> Statement {
    let keys = table
        .key
        .iter()
        .map(|&k| ident(dialect, &table.columns[k].property.name));
    Statement::render(
        frag![
            "SELECT ",
            Frag::join(keys, ","),
            from_tenant(dialect, table, tenant),
            " AND ",
            ident(dialect, &table.columns[column].property.name),
            " = ",
            Frag::param(value)
        ],
        dialect,
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use odata_core::edm::{EntityTypeDef, ModelBuilder, PropertyDef};

    use super::*;

    fn table() -> Table {
        let model = ModelBuilder::new("ns")
            .entity_type(
                EntityTypeDef::new("thing")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null())
                    .property(PropertyDef::new("at", "Edm.DateTimeOffset"))
                    .property(PropertyDef::new("n", "Edm.Int32")),
            )
            .build()
            .unwrap();
        let ty = model.find_entity_type("thing").unwrap();
        Table::new(&model, ty, "things".into())
    }

    #[test]
    fn sqlite_statements_rendered_once_are_those_rendered_each_time() {
        let mut sequenced = table();
        sequenced.insertion_order = true;
        for table in [table(), sequenced] {
            for (tenant, id, at) in [("t1", "a", Some(5)), ("t2", "b", None)] {
                let values = vec![
                    SqlParam::Text(id.into()),
                    at.map_or(SqlParam::Null, |_| {
                        SqlParam::Text("2025-01-01T00:00:00Z".into())
                    }),
                    at.map_or(SqlParam::Null, SqlParam::Integer),
                    SqlParam::Integer(7),
                ];
                assert_eq!(
                    sqlite_insert(&table, tenant, "ns.thing", values.clone()),
                    insert(&Sqlite, &table, tenant, "ns.thing", values)
                );
                let key = vec![SqlParam::Text(id.into())];
                assert_eq!(
                    sqlite_delete_created(&table, tenant, key.clone()),
                    delete(&Sqlite, &table, tenant, key, 1)
                );
            }
        }
    }

    fn term(sql: &str, direction: SortDirection) -> OrderTerm {
        OrderTerm {
            expr: Frag::atom(sql),
            direction,
            nullable: true,
        }
    }

    #[test]
    fn an_insert_numbers_the_row_where_the_database_does_not() {
        let mut t = table();
        t.insertion_order = true;
        let values = vec![
            SqlParam::Text("a".into()),
            SqlParam::Null,
            SqlParam::Null,
            SqlParam::Null,
        ];
        let sqlite = insert(&Sqlite, &t, "t1", "ns.thing", values.clone());
        assert!(
            sqlite.sql.starts_with(
                "INSERT INTO \"things\" (\"_tenant\",\"_type\",\"_version\",\"_seq\",\"id\""
            ),
            "{}",
            sqlite.sql
        );
        assert!(
            sqlite
                .sql
                .contains("(SELECT COALESCE(MAX(\"_seq\"),0)+1 FROM \"things\")"),
            "{}",
            sqlite.sql
        );
        let postgres = insert(&Postgres, &t, "t1", "ns.thing", values);
        assert!(!postgres.sql.contains("_seq"), "{}", postgres.sql);
    }

    #[test]
    fn a_page_carries_every_parameter_in_text_order() {
        let t = table();
        let filter = Condition {
            frag: frag!["\"n\" > ", Frag::param(3)],
        };
        let order = [
            OrderTerm {
                expr: frag!["(\"n\" + ", Frag::param(1), ")"],
                direction: SortDirection::Desc,
                nullable: true,
            },
            OrderTerm::column("id", SortDirection::Asc),
        ];
        let s = page(
            &Sqlite,
            &t,
            "t1",
            &PageQuery {
                conditions: &[&filter],
                order: &order,
                columns: &[0, 2],
                limit: 10,
                offset: 5,
            },
        );
        assert_eq!(
            s.sql,
            "SELECT \"_type\",\"_version\",\"id\",\"n\",((\"n\" + ?)) AS \"$o0\",(\"id\") AS \"$o1\" \
             FROM \"things\" WHERE \"_tenant\" = ? AND (\"n\" > ?) ORDER BY ((\"n\" + ?)) DESC,(\"id\") ASC \
             LIMIT ? OFFSET ?"
        );
        use SqlParam::{Integer as I, Text as T};
        assert_eq!(s.params, [I(1), T("t1".into()), I(3), I(1), I(10), I(5)]);
    }

    #[test]
    fn writes_check_the_version_they_read() {
        let t = table();
        let values = vec![
            SqlParam::Text("k".into()),
            SqlParam::Text("2024-01-01T00:00:00Z".into()),
            SqlParam::Integer(1),
            SqlParam::Integer(7),
        ];
        let s = update(
            &Sqlite,
            &t,
            "t1",
            vec![SqlParam::Text("k".into())],
            4,
            values,
        );
        assert_eq!(
            s.sql,
            "UPDATE \"things\" SET \"_version\" = \"_version\" + 1,\"id\" = ?,\"at\" = ?,\
             \"at__utc\" = ?,\"n\" = ? WHERE \"_tenant\" = ? AND \"id\" = ? AND \"_version\" = ?"
        );
        assert_eq!(s.params.len(), 7);
        assert_eq!(s.params[6], SqlParam::Integer(4));
        let s = delete(&Sqlite, &t, "t1", vec![SqlParam::Text("k".into())], 9);
        assert_eq!(
            s.sql,
            "DELETE FROM \"things\" WHERE \"_tenant\" = ? AND \"id\" = ? AND \"_version\" = ?"
        );
    }

    #[test]
    fn postgres_numbers_placeholders_through_the_whole_statement() {
        let t = table();
        let values = vec![
            SqlParam::Text("k".into()),
            SqlParam::Null,
            SqlParam::Null,
            SqlParam::Integer(7),
        ];
        let s = update(
            &Postgres,
            &t,
            "t1",
            vec![SqlParam::Text("k".into())],
            4,
            values,
        );
        assert_eq!(
            s.sql,
            "UPDATE \"things\" SET \"_version\" = \"_version\" + 1,\"id\" = CAST($1::text AS \
             TEXT),\"at\" = CAST($2::text AS TEXT),\"at__utc\" = CAST($3::text AS BIGINT),\"n\" \
             = CAST($4::int8 AS BIGINT) WHERE \"_tenant\" = $5::text AND \"id\" = $6::text AND \
             \"_version\" = $7::int8"
        );
        let keyset = after_in(
            &Postgres,
            &[OrderTerm::column("id", SortDirection::Asc)],
            &[SqlParam::Text("k".into())],
        );
        let order = [OrderTerm::column("id", SortDirection::Asc)];
        let s = page(
            &Postgres,
            &t,
            "t1",
            &PageQuery {
                conditions: &[&keyset],
                order: &order,
                columns: &[0],
                limit: 10,
                offset: 0,
            },
        );
        assert_eq!(
            s.sql,
            "SELECT \"_type\",\"_version\",\"id\",(\"id\") AS \"$o0\" FROM \"things\" WHERE \
             \"_tenant\" = $1::text AND ((((\"id\") > $2::text))) ORDER BY (\"id\") ASC LIMIT $3::int8 OFFSET \
             $4::int8"
        );
    }

    #[test]
    fn after_respects_direction_and_nulls() {
        let terms = [
            term("\"a\"", SortDirection::Desc),
            term("\"id\"", SortDirection::Asc),
        ];
        let (sql, params) = after_in(
            &Sqlite,
            &terms,
            &[SqlParam::Integer(5), SqlParam::Text("k".into())],
        )
        .frag
        .render(&Sqlite);
        assert_eq!(
            sql,
            "((((\"a\") < ? OR (\"a\") IS NULL)) OR (((\"a\") IS ?) AND (\"id\") > ?))"
        );
        assert_eq!(
            params,
            [
                SqlParam::Integer(5),
                SqlParam::Integer(5),
                SqlParam::Text("k".into())
            ]
        );
        let (sql, _) = after_in(
            &Sqlite,
            &terms,
            &[SqlParam::Null, SqlParam::Text("k".into())],
        )
        .frag
        .render(&Sqlite);
        assert_eq!(sql, "(((1 = 0)) OR (((\"a\") IS ?) AND (\"id\") > ?))");
    }
}
