//! Paths through navigation properties: correlated subqueries on the related table, in the
//! caller's tenant.
//!
//! * A single-valued navigation (`deploymentProfile/displayName`) reads the related
//!   entity's value with a scalar subquery on its key (null when the link is not set).
//! * A collection-valued one is iterated by `any`/`all` (`EXISTS`) or counted (`$count`),
//!   its members being the related rows whose reference column holds the source's key, or,
//!   for a many-to-many navigation, those whose key a row of the link table pairs with the
//!   source's key.
//!   Inside a lambda the variable stands for a row of the related table ([`Scope::Row`]).
//!
//! Hops chain (`deploymentProfile/assignedDevices/$count`,
//! `assignedDevices/any(d: d/deploymentProfile/displayName eq 'x')`): every hop is resolved
//! by the [`Navigator`], which also learns which tables the query reads, so the caller can
//! authorize them. A path through a navigation the navigator does not know is a 501.

use odata_core::bind::{BoundExpr, BoundSearch, ExprType, PropertyRef};
use odata_core::edm::TypeKind;
use odata_core::error::ODataError;

use super::temporal::Dto;
use super::{Scope, Translator, Val, internal, not_implemented};
use crate::service::Link;
use crate::sql::dialect::ExprDialect;
use crate::sql::frag::{Frag, frag};
use crate::store::table::Table;

/// How navigation properties lead from one table to another, for paths in expressions.
///
/// The service implements it over its collections; [`NoNavigation`] knows none.
pub trait Navigator {
    /// Where the navigation property `navigation` of the entities stored in `from` leads;
    /// `None` when it is not bound to storage.
    fn hop(&self, from: &Table, navigation: &str) -> Option<Hop<'_>>;
}

/// One step through a navigation property.
#[derive(Debug, Clone, Copy)]
pub struct Hop<'a> {
    /// The table of the related entities.
    pub target: &'a Table,
    /// How they are linked to the source entity.
    pub link: &'a Link,
    /// The related collection's searchable strings (for `nav/$count($search=…)`).
    pub searchable: &'a [crate::sql::SearchPath],
}

/// A [`Navigator`] for expressions over one table alone: every path through a navigation
/// property is a 501.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoNavigation;

impl Navigator for NoNavigation {
    fn hop(&self, _from: &Table, _navigation: &str) -> Option<Hop<'_>> {
        None
    }
}

/// A collection-valued navigation at the end of a path: the related table and how to
/// select the source's members of it.
struct Members<'a> {
    /// The related table.
    target: &'a Table,
    /// How its rows are tied to the source entity.
    link: MembersLink<'a>,
    /// Its searchable strings.
    searchable: &'a [crate::sql::SearchPath],
    /// The source entity's key, as a path from where the navigation path starts.
    source_key: PropertyRef,
}

/// How the members of a collection-valued navigation are tied to the source entity.
enum MembersLink<'a> {
    /// The related table's column holding the source entity's key.
    Column(&'a str),
    /// A link table pairing the source's key with the related table's key column.
    Table { link: &'a str, key: &'a str },
}

impl<'a, D: ExprDialect> Translator<'a, D> {
    /// The table the path `p` starts from: the lambda variable's related table, or this
    /// translator's.
    fn start_table(&self, p: &PropertyRef) -> &'a Table {
        match p.variable.as_deref().and_then(|v| self.row_scope(v)) {
            Some((_, table)) => table,
            None => self.table,
        }
    }

    /// The alias and table of lambda variable `name`, when it stands for a related row.
    pub(super) fn row_scope(&self, name: &str) -> Option<(&str, &'a Table)> {
        match self.scopes.iter().rev().find(|(n, _)| n == name) {
            Some((_, Scope::Row { alias, table })) => Some((alias.as_str(), *table)),
            _ => None,
        }
    }

    /// A translator for the rows of `table` known as `alias` in a subquery, continuing
    /// this one's alias numbering.
    fn related_translator(&self, table: &'a Table, alias: String) -> Self {
        Translator {
            model: self.model,
            table,
            dialect: self.dialect,
            scopes: Vec::new(),
            aliases: self.aliases,
            navigator: self.navigator,
            qualifier: Some(alias),
            qualify: true,
        }
    }

    /// The value of a path that starts at a lambda variable standing for a related row:
    /// the same path from that row, translated over its table. `None` for other paths.
    pub(super) fn through_row(&mut self, p: &PropertyRef) -> Result<Option<Val>, ODataError> {
        let Some((alias, table)) = p.variable.as_deref().and_then(|v| self.row_scope(v)) else {
            return Ok(None);
        };
        let mut inner = self.related_translator(table, alias.to_owned());
        let value = inner.property(&PropertyRef {
            variable: None,
            ..p.clone()
        });
        self.aliases = inner.aliases;
        value.map(Some)
    }

    /// `nav/…` through a single-valued navigation stored as a reference column: the value
    /// of `…` on the related entity, read by a correlated subquery in the same tenant
    /// (null when there is none). `None` when the path does not start with one.
    pub(super) fn through_reference(&mut self, p: &PropertyRef) -> Result<Option<Val>, ODataError> {
        let (Some((first, rest)), None) = (p.path.split_first(), &p.variable) else {
            return Ok(None);
        };
        let Some(reference) = self
            .table
            .columns
            .iter()
            .find(|c| c.reference.as_deref() == Some(first.as_str()))
        else {
            return Ok(None);
        };
        // `nav eq null`: whether there is a related entity is whether the link is set. A
        // type cast before the navigation makes it null for entities of other types.
        if rest.is_empty() {
            let link = self.column(&reference.property.name);
            return Ok(Some(Val::Scalar(self.guard(p.cast, link))));
        }
        let target = match self.navigator.hop(self.table, first) {
            Some(Hop {
                target,
                link: Link::Reference { .. },
                ..
            }) => target,
            _ => return Err(not_implemented(format!("A path through '{first}'"))),
        };
        let key = key_name(target)?;
        let alias = self.next_alias("n");
        let mut inner = self.related_translator(target, alias.clone());
        let value = inner.property(&PropertyRef {
            variable: None,
            cast: None,
            path: rest.to_vec(),
            ty: p.ty.clone(),
        });
        self.aliases = inner.aliases;
        let value = value?;
        let from = frag![
            " FROM ",
            Frag::atom(self.dialect.quote(&target.name)),
            " AS ",
            Frag::atom(self.dialect.quote(&alias)),
            " WHERE ",
            inner.column("_tenant"),
            " = ",
            self.outer_column("_tenant"),
            " AND ",
            inner.column(key),
            " = ",
            self.outer_column(&reference.property.name),
            ")"
        ];
        // The cast is tested on the outer row, around the subquery.
        let select = |x: Frag| self.guard(p.cast, frag!["(SELECT ", x, from.clone()]);
        Ok(Some(match value {
            Val::Scalar(x) => Val::Scalar(select(x)),
            Val::Dto(d) => Val::Dto(Dto {
                ticks: select(d.ticks),
                offset: d.offset.map(select),
                text: d.text.map(select),
            }),
        }))
    }

    /// When the path `p` ends in a collection-valued navigation property (after any
    /// single-valued ones): its members' table and link.
    fn members(&self, p: &PropertyRef) -> Result<Option<Members<'a>>, ODataError> {
        let ExprType::Collection(item) = &p.ty else {
            return Ok(None);
        };
        if !matches!(**item, ExprType::Entity(_)) {
            return Ok(None);
        }
        let Some((last, before)) = p.path.split_last() else {
            return Err(internal("a navigation path without segments"));
        };
        let mut table = self.start_table(p);
        for segment in before {
            match self.navigator.hop(table, segment) {
                Some(Hop {
                    target,
                    link: Link::Reference { .. },
                    ..
                }) => table = target,
                _ => return Err(not_implemented(format!("A path through '{segment}'"))),
            }
        }
        let (target, searchable, link) = match self.navigator.hop(table, last) {
            Some(Hop {
                target,
                link: Link::Inverse { column },
                searchable,
            }) => (
                target,
                searchable,
                MembersLink::Column(&target.columns[*column].property.name),
            ),
            Some(Hop {
                target,
                link: Link::Many { table: link },
                searchable,
            }) => (
                target,
                searchable,
                MembersLink::Table {
                    link: link.name(),
                    key: key_name(target)?,
                },
            ),
            _ => {
                return Err(not_implemented(format!(
                    "The collection-valued navigation property '{last}'"
                )));
            }
        };
        let key = key_name(table)?;
        let key_column = &table.columns[table
            .column_index(key)
            .ok_or_else(|| internal("a key without a column"))?];
        let mut path = before.to_vec();
        path.push(key.to_owned());
        Ok(Some(Members {
            target,
            link,
            searchable,
            source_key: PropertyRef {
                variable: p.variable.clone(),
                cast: p.cast,
                path,
                ty: key_type(&key_column.property.type_ref.kind)?,
            },
        }))
    }

    /// ` FROM "target" AS "alias" WHERE <same tenant> AND <member of the source>`.
    fn members_from(
        &mut self,
        p: &PropertyRef,
        members: &Members<'a>,
        alias: &str,
    ) -> Result<Frag, ODataError> {
        // Qualified even at the top level: inside the subquery an unqualified column would
        // name the related table's.
        let top = std::mem::replace(&mut self.qualify, true);
        let source_key = self.property(&members.source_key);
        self.qualify = top;
        let source_key = source_key?.comparable();
        let tenant = match p.variable.as_deref().and_then(|v| self.row_scope(v)) {
            Some((row, _)) => self.qualified(row, "_tenant"),
            None => self.outer_column("_tenant"),
        };
        let member = match members.link {
            MembersLink::Column(column) => {
                frag![self.qualified(alias, column), " = ", source_key]
            }
            // `key IN (the targets the link table pairs with the source)`.
            MembersLink::Table { link, key } => {
                let links = self.next_alias("l");
                frag![
                    self.qualified(alias, key),
                    " IN (SELECT ",
                    self.qualified(&links, crate::store::link_table::TARGET_COLUMN),
                    " FROM ",
                    Frag::atom(self.dialect.quote(link)),
                    " AS ",
                    Frag::atom(self.dialect.quote(&links)),
                    " WHERE ",
                    self.qualified(&links, "_tenant"),
                    " = ",
                    self.qualified(alias, "_tenant"),
                    " AND ",
                    self.qualified(&links, crate::store::link_table::SOURCE_COLUMN),
                    " = ",
                    source_key,
                    ")"
                ]
            }
        };
        Ok(frag![
            " FROM ",
            Frag::atom(self.dialect.quote(&members.target.name)),
            " AS ",
            Frag::atom(self.dialect.quote(alias)),
            " WHERE ",
            self.qualified(alias, "_tenant"),
            " = ",
            tenant,
            " AND ",
            member
        ])
    }

    /// `$count` of a collection-valued navigation path; `None` for other paths.
    pub(super) fn count_members(&mut self, p: &PropertyRef) -> Result<Option<Frag>, ODataError> {
        let Some(members) = self.members(p)? else {
            return Ok(None);
        };
        let alias = self.next_alias("n");
        let from = self.members_from(p, &members, &alias)?;
        Ok(Some(frag!["(SELECT COUNT(*)", from, ")"]))
    }

    /// `nav/$count($filter=…;$search=…)`: the related rows meeting the filter (the variable
    /// standing for a related row) and the search; `None` for other paths.
    pub(super) fn count_members_where(
        &mut self,
        p: &PropertyRef,
        variable: &str,
        filter: Option<&BoundExpr>,
        search: Option<&BoundSearch>,
    ) -> Result<Option<Frag>, ODataError> {
        let Some(members) = self.members(p)? else {
            return Ok(None);
        };
        let alias = self.next_alias("n");
        let mut query = frag!["(SELECT COUNT(*)", self.members_from(p, &members, &alias)?];
        if let Some(filter) = filter {
            let row = Scope::Row {
                alias: alias.clone(),
                table: members.target,
            };
            self.scopes.push((variable.to_owned(), row));
            let condition = self.condition(filter);
            self.scopes.pop();
            query = frag![query, " AND ", self.dialect.two_valued(condition?)];
        }
        if let Some(search) = search {
            // Unqualified columns inside the subquery name the related table's.
            let condition = crate::sql::search::search_condition(
                self.dialect,
                members.target,
                search,
                members.searchable,
            );
            query = frag![query, " AND ", condition];
        }
        Ok(Some(frag![query, ")"]))
    }

    /// `any`/`all` over a collection-valued navigation path, the variable standing for a
    /// related row inside the predicate; `None` for other paths.
    pub(super) fn lambda_members(
        &mut self,
        p: &PropertyRef,
        variable: &str,
        predicate: Option<&BoundExpr>,
        all: bool,
    ) -> Result<Option<Frag>, ODataError> {
        let Some(members) = self.members(p)? else {
            return Ok(None);
        };
        let alias = self.next_alias("n");
        let from = self.members_from(p, &members, &alias)?;
        let Some(predicate) = predicate else {
            return Ok(Some(frag!["(EXISTS (SELECT 1", from, " LIMIT 1))"]));
        };
        let row = Scope::Row {
            alias,
            table: members.target,
        };
        self.quantify(from, true, (variable, row), predicate, all)
            .map(Some)
    }

    /// `"alias"."column"`.
    fn qualified(&self, alias: &str, column: &str) -> Frag {
        Frag::atom(format!(
            "{}.{}",
            self.dialect.quote(alias),
            self.dialect.quote(column)
        ))
    }
}

/// The name of the single key property of a navigation's source or target table.
fn key_name(table: &Table) -> Result<&str, ODataError> {
    match table.key.as_slice() {
        [key] => Ok(&table.columns[*key].property.name),
        _ => Err(not_implemented(
            "A navigation between entities with composite keys",
        )),
    }
}

/// The expression type of a key property.
fn key_type(kind: &TypeKind) -> Result<ExprType, ODataError> {
    match kind {
        TypeKind::Primitive(p) => Ok(ExprType::Primitive(*p)),
        TypeKind::Enum(id) => Ok(ExprType::Enum(*id)),
        _ => Err(internal("a key of a structured type")),
    }
}
