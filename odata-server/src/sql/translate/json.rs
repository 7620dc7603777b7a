//! Values inside JSON: collection-valued paths, complex members and collection items
//! converted to their canonical representation, lambdas (`any`/`all`) and `$count` of
//! collections.

use odata_core::bind::{BoundExpr, BoundSearch, ExprType, PropertyRef};
use odata_core::edm::{EnumTypeId, PrimitiveKind};
use odata_core::error::ODataError;
use odata_core::value::{TICKS_PER_HOUR, TICKS_PER_MINUTE, TICKS_PER_SECOND};

use super::temporal::{Dto, text_int};
use super::{Scope, Source, Translator, Val, not_implemented};
use crate::sql::dialect::{ExprDialect, JsonScalar};
use crate::sql::frag::{Frag, frag};

impl<'a, D: ExprDialect> Translator<'a, D> {
    /// The JSON text of a collection-valued path.
    pub(super) fn collection(&mut self, p: &PropertyRef) -> Result<Frag, ODataError> {
        if let Some(value) = self.through_row(p)? {
            return Ok(value.comparable());
        }
        // `nav/tags`: the collection of the related entity.
        if let Some(value) = self.through_reference(p)? {
            return Ok(value.comparable());
        }
        match self.source(p)? {
            Source::Column(index) => {
                let name = self.table.columns[index].property.name.clone();
                Ok(self.guard(p.cast, self.column(&name)))
            }
            Source::Json(json, members) => Ok(self.dialect.json_extract(json, &members)),
        }
    }

    /// Converts a value read out of JSON (by `json_extract` or `json_each`) to the
    /// canonical representation of `ty`.
    pub(super) fn json_leaf(&mut self, raw: Frag, ty: &ExprType) -> Result<Val, ODataError> {
        let p = match ty {
            ExprType::Complex(_)
            | ExprType::Collection(_)
            | ExprType::Entity(_)
            | ExprType::Null => {
                return Ok(Val::Scalar(raw));
            }
            ExprType::Enum(id) => return Ok(Val::Scalar(self.enum_json_leaf(raw, *id))),
            ExprType::Primitive(p) => *p,
        };
        let dialect = self.dialect;
        Ok(Val::Scalar(match p {
            // `json_extract` gives an object member as its JSON text: GeoJSON, as stored.
            PrimitiveKind::String
            | PrimitiveKind::Date
            | PrimitiveKind::GeographyPoint
            | PrimitiveKind::GeographyLineString
            | PrimitiveKind::GeographyPolygon
            | PrimitiveKind::GeometryPoint
            | PrimitiveKind::GeometryLineString
            | PrimitiveKind::GeometryPolygon => raw,
            PrimitiveKind::Boolean => dialect.json_scalar(raw, JsonScalar::Boolean),
            PrimitiveKind::Guid => frag!["lower(", raw, ")"],
            PrimitiveKind::Byte
            | PrimitiveKind::SByte
            | PrimitiveKind::Int16
            | PrimitiveKind::Int32
            | PrimitiveKind::Int64 => dialect.json_scalar(raw, JsonScalar::Integer),
            PrimitiveKind::Decimal => dialect.to_decimal(raw),
            PrimitiveKind::Double | PrimitiveKind::Single => self.share(vec![raw], |v| {
                dialect.json_scalar(v[0].clone(), JsonScalar::Real)
            }),
            PrimitiveKind::TimeOfDay => self.share(vec![raw], |v| {
                let t = &v[0];
                frag![
                    "(",
                    text_int(dialect, t, 1, 2),
                    format!(" * {TICKS_PER_HOUR} + ").as_str(),
                    text_int(dialect, t, 4, 2),
                    format!(" * {TICKS_PER_MINUTE} + (CASE WHEN substr(").as_str(),
                    t,
                    ", 6, 1) = ':' THEN ",
                    text_int(dialect, t, 7, 2),
                    format!(" * {TICKS_PER_SECOND} ELSE 0 END) + (CASE WHEN substr(").as_str(),
                    t,
                    ", 9, 1) = '.' THEN CAST(substr(substr(",
                    t,
                    ", 10) || '000000', 1, 7) AS ",
                    dialect.integer_type(),
                    ") ELSE 0 END))"
                ]
            }),
            PrimitiveKind::DateTimeOffset => {
                let ticks = self.ticks_of_text(raw.clone());
                return Ok(Val::Dto(Dto {
                    ticks,
                    offset: None,
                    text: Some(raw),
                }));
            }
            PrimitiveKind::Duration => {
                return Err(not_implemented(
                    "Comparing an Edm.Duration inside a complex or collection value",
                ));
            }
            PrimitiveKind::Binary => return Err(not_implemented("Edm.Binary")),
        }))
    }

    /// An enum member stored in JSON by name (`"a"`, or `"a,b"` for flags) as its
    /// numeric value; a number stored as such is kept.
    fn enum_json_leaf(&mut self, raw: Frag, id: EnumTypeId) -> Frag {
        let e = self.model.enum_type(id);
        let members: Vec<(String, i64)> = e
            .members
            .iter()
            .map(|m| (m.name.clone(), m.value))
            .collect();
        let flags = e.is_flags;
        let dialect = self.dialect;
        self.share(vec![raw], |v| {
            let v = &v[0];
            let mapped = if members.is_empty() {
                Frag::atom("NULL")
            } else if flags {
                let bits = members.iter().map(|(name, value)| {
                    let found = dialect.position(
                        frag!["(',' || ", v, " || ',')"],
                        Frag::param(format!(",{name},")),
                    );
                    frag![
                        "(CASE WHEN ",
                        &found,
                        " > 0 THEN ",
                        Frag::param(*value),
                        " WHEN ",
                        found,
                        " = 0 THEN 0 END)"
                    ]
                });
                frag!["(", Frag::join(bits, " | "), ")"]
            } else {
                let mut case = frag!["(CASE ", v];
                for (name, value) in &members {
                    case.push(frag![
                        " WHEN ",
                        Frag::param(name.as_str()),
                        " THEN ",
                        Frag::param(*value)
                    ]);
                }
                case.push(Frag::sql(" END)"));
                case
            };
            // A flags value without member names is kept as its number (or its text).
            frag![
                "(CASE WHEN ",
                dialect.json_is_integer(v),
                " THEN ",
                dialect.json_scalar(v.clone(), JsonScalar::Integer),
                " ELSE ",
                mapped,
                " END)"
            ]
        })
    }

    /// The number of items of a collection-valued path (0 for a null collection).
    pub(super) fn count(&mut self, collection: &PropertyRef) -> Result<Frag, ODataError> {
        if let Some(count) = self.count_members(collection)? {
            return Ok(count);
        }
        let array = self.collection(collection)?;
        Ok(self.array_length(array))
    }

    /// `path/$count($filter=…;$search=…)`: the items meeting the filter (the variable
    /// standing for an item) and the search. `$search` on a JSON collection looks at string
    /// items; on complex items it is a 501.
    pub(super) fn count_where(
        &mut self,
        collection: &PropertyRef,
        variable: &str,
        filter: Option<&BoundExpr>,
        search: Option<&BoundSearch>,
    ) -> Result<Frag, ODataError> {
        if let Some(count) = self.count_members_where(collection, variable, filter, search)? {
            return Ok(count);
        }
        let ExprType::Collection(item_type) = &collection.ty else {
            return Err(not_implemented(
                "$count of a value that is not a collection",
            ));
        };
        let array = self.collection(collection)?;
        let alias = self.next_alias("j");
        let (from, item) = self.dialect.json_each(array, &alias);
        let mut conditions = Vec::new();
        if let Some(filter) = filter {
            self.scopes
                .push((variable.to_owned(), Scope::Item(item.clone())));
            let condition = self.condition(filter);
            self.scopes.pop();
            conditions.push(self.dialect.two_valued(condition?));
        }
        if let Some(search) = search {
            if **item_type != ExprType::Primitive(PrimitiveKind::String) {
                return Err(not_implemented(
                    "$search inside $count of a collection of non-string values",
                ));
            }
            self.scopes.push((variable.to_owned(), Scope::Item(item)));
            let text = self.property(&PropertyRef {
                variable: Some(variable.to_owned()),
                cast: None,
                path: Vec::new(),
                ty: ExprType::Primitive(PrimitiveKind::String),
            });
            self.scopes.pop();
            let text = text?.comparable();
            conditions.push(self.item_search(&text, search));
        }
        let mut query = frag!["(SELECT COUNT(*) FROM ", from];
        if !conditions.is_empty() {
            query = frag![query, " WHERE ", Frag::join(conditions, " AND ")];
        }
        Ok(frag![query, ")"])
    }

    /// `$search` over one string value: each term a case-insensitive substring of it (a
    /// null text contains nothing).
    fn item_search(&self, text: &Frag, search: &BoundSearch) -> Frag {
        match search {
            BoundSearch::Term(term) => self.dialect.two_valued(
                self.dialect
                    .contains_case_insensitive(text.clone(), Frag::param(term.as_str())),
            ),
            BoundSearch::Not(inner) => frag!["(NOT ", self.item_search(text, inner), ")"],
            BoundSearch::And(a, b) => frag![
                "(",
                self.item_search(text, a),
                " AND ",
                self.item_search(text, b),
                ")"
            ],
            BoundSearch::Or(a, b) => frag![
                "(",
                self.item_search(text, a),
                " OR ",
                self.item_search(text, b),
                ")"
            ],
        }
    }

    /// `COALESCE(json_array_length(array), 0)`: a null array counts as empty.
    fn array_length(&self, array: Frag) -> Frag {
        frag!["COALESCE(", self.dialect.json_array_length(array), ", 0)"]
    }

    /// `any` (`all` when `all` is set) over a collection-valued path; `any()` without a
    /// predicate tests for a non-empty collection.
    pub(super) fn lambda(
        &mut self,
        collection: &PropertyRef,
        variable: &str,
        predicate: Option<&BoundExpr>,
        all: bool,
    ) -> Result<Frag, ODataError> {
        if let Some(lambda) = self.lambda_members(collection, variable, predicate, all)? {
            return Ok(lambda);
        }
        let array = self.collection(collection)?;
        let Some(predicate) = predicate else {
            return Ok(frag!["(", self.array_length(array), " > 0)"]);
        };
        let alias = self.next_alias("j");
        let (from, item) = self.dialect.json_each(array, &alias);
        let rows = frag![" FROM ", from];
        self.quantify(rows, false, (variable, Scope::Item(item)), predicate, all)
    }

    /// `any` (`EXISTS`) or `all` (`NOT EXISTS … NOT`, where a null predicate counts as
    /// false) over `rows` (` FROM …`, ending in a WHERE clause when `filtered`), the
    /// predicate translated with the variable standing for each row.
    ///
    /// The subqueries end in `LIMIT 1`: SQLite 3.51 turns a bare correlated `EXISTS` into a
    /// join whose duplicate rows an `OFFSET` then counts (`$filter=owned/any(…)&$skip=2`
    /// skipped one entity, not two); with a `LIMIT` it leaves the subquery alone.
    pub(super) fn quantify(
        &mut self,
        rows: Frag,
        filtered: bool,
        (variable, scope): (&str, Scope<'a>),
        predicate: &BoundExpr,
        all: bool,
    ) -> Result<Frag, ODataError> {
        self.scopes.push((variable.to_owned(), scope));
        let predicate = self.condition(predicate);
        self.scopes.pop();
        let predicate = predicate?;
        let and = if filtered { " AND " } else { " WHERE " };
        Ok(if all {
            frag![
                "(NOT EXISTS (SELECT 1",
                rows,
                and,
                "NOT ",
                self.dialect.two_valued(predicate),
                " LIMIT 1))"
            ]
        } else {
            frag!["(EXISTS (SELECT 1", rows, and, predicate, " LIMIT 1))"]
        })
    }
}
