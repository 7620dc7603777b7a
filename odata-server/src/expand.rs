//! `$expand`: bound against the collection's navigation bindings, then run with one
//! statement per expanded navigation and level for a whole page of parents — never one per
//! parent.
//!
//! * A reference (single-valued) reads the related entities by key: `key IN (…)` over the
//!   distinct references of the page (a nested `$filter` makes a non-matching one null).
//! * An inverse (collection-valued) reads the related rows of every parent at once, ranked
//!   per parent (`ROW_NUMBER() OVER (PARTITION BY reference …)`), so a nested `$top` and
//!   `$skip` apply to each parent's collection. At most a page of members is inlined per
//!   parent; when more exist the collection carries `@odata.nextLink` to the navigation's
//!   URL. A nested `$count=true` (or `nav/$count`) is one `GROUP BY` statement. A
//!   many-to-many navigation reads the same way, its related rows joined with the link
//!   table's rows of the parents and ranked per parent (a row linked to two parents of the
//!   page is read for each).
//! * Nested `$filter`, `$search`, `$orderby`, `$select`, `$compute`, `$top`, `$skip`,
//!   `$count`, `$expand` and `$levels` are bound like the request's own options, against the
//!   target's entity type; `*` expands every bound navigation.
//!
//! Every statement is confined to the request's tenant. The handler authorizes reading
//! each expanded collection ([`ExpandItem::collections`]). Depth and the number of items
//! are limited ([`MAX_DEPTH`], [`MAX_ITEMS`]) like expression size.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use odata_core::edm::EntityTypeId;
use odata_core::error::{ErrorKind, ODataError};
use odata_core::query::{Expand, ExpandItem as ExpandSyntax, ExpandKind, Levels, PathName};
use odata_core::query::{NestedOptions, QueryOptions};
use odata_core::value::{DateTimeOffset, Value};

use crate::compute::Computed;
use crate::plan::{self, CollectionPlan};
use crate::service::{Collection, Link, Navigation, Service};
use crate::sql::schema::Backend;
use crate::sql::statement::{Partition, PartitionQuery};
use crate::sql::{self, Condition};
use crate::store::{Deadline, Find, Store, StoreError, StoredEntity};

/// Deepest nesting of `$expand` (levels included).
pub const MAX_DEPTH: usize = 4;
/// Most expand items in one request, nested ones included.
pub const MAX_ITEMS: usize = 16;

/// One bound `$expand` item.
#[derive(Debug)]
pub struct ExpandItem<'s> {
    /// The navigation property expanded.
    pub navigation: &'s Navigation,
    /// The related entities' collection.
    pub target: &'s Collection,
    /// `nav/$count`: only the number of related entities.
    pub count_only: bool,
    /// `nav/$ref`: the related entities' references (`@odata.id`) instead of the entities.
    pub references_only: bool,
    /// The nested `$filter`, `$search`, `$orderby` and `$select`, bound against the target.
    pub plan: CollectionPlan,
    /// The nested options as given (for the nextLink of a partly inlined collection).
    pub options: QueryOptions,
    /// Nested `$count=true`.
    pub with_count: bool,
    /// Nested expansions of the related entities.
    pub nested: Vec<ExpandItem<'s>>,
}

impl<'s> ExpandItem<'s> {
    /// Every collection the expansion reads, nested ones included (each to be authorized).
    pub fn collections(items: &[ExpandItem<'s>]) -> Vec<&'s Collection> {
        let mut out = Vec::new();
        for item in items {
            out.push(item.target);
            out.extend(ExpandItem::collections(&item.nested));
        }
        out
    }
}

/// Binds `$expand` of a request addressing `collection`.
///
/// Errors: 400 for an unknown navigation property, too deep or too many items, and nested
/// options that do not bind (and `$select`/`$expand`/`$levels` inside `nav/$ref`); 501 for
/// navigation properties not bound to storage and paths through complex properties. A
/// type cast after the navigation (`nav/Namespace.Type`) keeps the related entities of that
/// type.
pub fn bind<'s>(
    service: &'s Service,
    backend: Backend,
    collection: &'s Collection,
    expand: &Expand,
    parent: &QueryOptions,
    now: &DateTimeOffset,
) -> Result<Vec<ExpandItem<'s>>, ODataError> {
    let mut budget = MAX_ITEMS;
    let context = Binding {
        service,
        backend,
        parent,
        now,
    };
    context.items(collection, expand, 1, &mut budget)
}

struct Binding<'a, 's> {
    service: &'s Service,
    backend: Backend,
    parent: &'a QueryOptions,
    now: &'a DateTimeOffset,
}

fn bad(message: String) -> ODataError {
    ODataError::bad_request(message).with_target("$expand")
}

/// Takes one item of the request's [`MAX_ITEMS`].
fn spend(budget: &mut usize) -> Result<(), ODataError> {
    *budget = budget.checked_sub(1).ok_or_else(|| {
        bad(format!(
            "$expand has more than {MAX_ITEMS} items (nested ones included)."
        ))
    })?;
    Ok(())
}

fn unsupported(message: String) -> ODataError {
    ODataError::new(ErrorKind::NotImplemented, message).with_target("$expand")
}

impl<'s> Binding<'_, 's> {
    fn items(
        &self,
        collection: &'s Collection,
        expand: &Expand,
        depth: usize,
        budget: &mut usize,
    ) -> Result<Vec<ExpandItem<'s>>, ODataError> {
        if depth > MAX_DEPTH {
            return Err(bad(format!(
                "$expand is nested deeper than {MAX_DEPTH} levels."
            )));
        }
        let mut out: Vec<ExpandItem<'s>> = Vec::new();
        for item in &expand.items {
            let ExpandSyntax::Path {
                segments,
                kind,
                options,
            } = item
            else {
                return Err(unsupported("Expanding '$value' is not supported.".into()));
            };
            let (names, cast): (Vec<&Navigation>, Option<EntityTypeId>) = match segments.as_slice()
            {
                [PathName::Star] => (collection.navigations.iter().collect(), None),
                [PathName::Name(name)] => (vec![self.navigation(collection, name)?], None),
                // `nav/Namespace.Type`: only the related entities of that type (or one
                // derived from it).
                [PathName::Name(name), PathName::Name(ty)] if ty.contains('.') => {
                    let navigation = self.navigation(collection, name)?;
                    let cast = self.cast(navigation, ty)?;
                    (vec![navigation], Some(cast))
                }
                _ => {
                    return Err(unsupported(format!(
                        "Expanding the path '{}' (complex properties, several segments) is \
                         not supported yet.",
                        segments
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join("/")
                    )));
                }
            };
            for navigation in names {
                if out.iter().any(|i| i.navigation.name == navigation.name) {
                    continue;
                }
                spend(budget)?;
                let mut item = self.item(navigation, *kind, options, depth, budget)?;
                if let Some(cast) = cast {
                    let model = self.service.model();
                    item.plan.conditions.push(sql::type_in(model, cast));
                }
                out.push(item);
            }
        }
        Ok(out)
    }

    fn navigation(
        &self,
        collection: &'s Collection,
        name: &str,
    ) -> Result<&'s Navigation, ODataError> {
        if let Some(n) = collection.navigation(name) {
            return Ok(n);
        }
        let model = self.service.model();
        let ty = model.entity_type(collection.entity_type);
        if ty.navigation_property(name).is_some() {
            Err(unsupported(format!(
                "The navigation property '{name}' is not bound to storage by this service."
            )))
        } else {
            Err(bad(format!(
                "'{name}' is not a navigation property of '{}'.",
                ty.qualified_name
            )))
        }
    }

    /// The entity type `name` of a cast after `navigation`: its target type or one derived
    /// from it (400 otherwise).
    fn cast(&self, navigation: &Navigation, name: &str) -> Result<EntityTypeId, ODataError> {
        let model = self.service.model();
        let target = self.service.target(navigation).entity_type;
        model
            .find_entity_type(name)
            .filter(|&t| model.entity_derives_from(t, target))
            .ok_or_else(|| {
                bad(format!(
                    "'{name}' is not '{}' or a type derived from it: '{}' cannot be cast to it.",
                    model.entity_type(target).qualified_name,
                    navigation.name
                ))
            })
    }

    fn item(
        &self,
        navigation: &'s Navigation,
        kind: ExpandKind,
        nested: &NestedOptions,
        depth: usize,
        budget: &mut usize,
    ) -> Result<ExpandItem<'s>, ODataError> {
        let target = self.service.target(navigation);
        if kind == ExpandKind::Ref
            && let Some(name) = [
                ("$select", nested.select.is_some()),
                ("$expand", nested.expand.is_some()),
                ("$levels", nested.levels.is_some()),
                ("$compute", nested.compute.is_some()),
            ]
            .iter()
            .find_map(|(name, given)| given.then_some(name))
        {
            return Err(bad(format!(
                "'{name}' does not apply inside '{}/$ref': references have no properties.",
                navigation.name
            )));
        }
        let single = !navigation.is_collection();
        let collection_options = [
            ("$top", nested.top.is_some()),
            ("$skip", nested.skip.is_some()),
            ("$orderby", nested.orderby.is_some()),
            ("$count", nested.count.is_some()),
            ("$search", nested.search.is_some()),
        ];
        if single && let Some((name, _)) = collection_options.iter().find(|(_, g)| *g) {
            return Err(bad(format!(
                "'{name}' does not apply inside the expansion of the single-valued '{}'.",
                navigation.name
            )));
        }
        let mut options = QueryOptions {
            filter: nested.filter.clone(),
            select: nested.select.clone(),
            orderby: nested.orderby.clone(),
            top: nested.top,
            skip: nested.skip,
            count: nested.count,
            search: nested.search.clone(),
            compute: nested.compute.clone(),
            aliases: self.parent.aliases.clone(),
            limits: self.parent.limits,
            ..QueryOptions::default()
        };
        options.aliases.extend(nested.aliases.iter().cloned());
        let plan = plan::plan(
            self.service,
            self.backend,
            target,
            &options,
            self.now.clone(),
        )?;
        let mut nested_items = match &nested.expand {
            Some(e) => self.items(target, e, depth + 1, budget)?,
            None => Vec::new(),
        };
        // `$levels`: the same navigation again on the related entities.
        let more_levels = match nested.levels {
            Some(Levels::Number(n)) => n.saturating_sub(1) as usize,
            // As deep as the navigation goes: one level when the related entities do not
            // have it again.
            Some(Levels::Max) if target.navigation(&navigation.name).is_none() => 0,
            Some(Levels::Max) => MAX_DEPTH.saturating_sub(depth),
            None => 0,
        };
        if more_levels > 0 {
            let again = target.navigation(&navigation.name).ok_or_else(|| {
                bad(format!(
                    "'$levels' repeats '{}', which the related entities do not have.",
                    navigation.name
                ))
            })?;
            if depth + 1 > MAX_DEPTH {
                return Err(bad(format!(
                    "$expand is nested deeper than {MAX_DEPTH} levels."
                )));
            }
            let mut repeated = nested.clone();
            repeated.levels = (more_levels > 1).then_some(Levels::Number(
                u32::try_from(more_levels).unwrap_or(u32::MAX),
            ));
            spend(budget)?;
            nested_items.push(self.item(again, kind, &repeated, depth + 1, budget)?);
        }
        Ok(ExpandItem {
            navigation,
            target,
            count_only: kind == ExpandKind::Count,
            references_only: kind == ExpandKind::Ref,
            with_count: nested.count == Some(true),
            plan,
            options,
            nested: nested_items,
        })
    }
}

/// An entity with its expansions, one per item, in item order.
#[derive(Debug, Clone)]
pub struct Node {
    /// The entity.
    pub entity: StoredEntity,
    /// Its expanded navigation properties.
    pub expansions: Vec<Expansion>,
    /// The values of its `$compute`d properties that read through navigation properties,
    /// in `$compute` order ([`crate::compute::fetch`]).
    pub computed: Vec<Value>,
}

/// The value of one expanded navigation property of one entity.
#[derive(Debug, Clone)]
pub enum Expansion {
    /// A single-valued navigation: the related entity or null.
    Single(Option<Box<Node>>),
    /// A collection-valued navigation.
    Many {
        /// The inlined members, in order.
        members: Vec<Node>,
        /// The number of related entities (nested `$count=true`).
        count: Option<i64>,
        /// `$skip` of the next part when more members exist than were inlined.
        next_skip: Option<u64>,
    },
    /// `nav/$count`.
    Count(i64),
}

/// Where and how much to read.
pub struct Reading<'a> {
    /// The store.
    pub store: &'a Store,
    /// The caller's tenant.
    pub tenant: &'a str,
    /// Members inlined per parent at most (the page size).
    pub page_size: u64,
    /// The request's statement deadline.
    pub deadline: Deadline,
}

type Expanded<'a> = Pin<Box<dyn Future<Output = Result<Vec<Node>, StoreError>> + Send + 'a>>;

/// Runs `items` for the entities of `collection`: the same entities as nodes with their
/// expansions and the values `computed` reads through navigation properties.
pub fn run<'a>(
    reading: &'a Reading<'a>,
    collection: &'a Collection,
    items: &'a [ExpandItem<'a>],
    computed: &'a Computed,
    parents: Vec<StoredEntity>,
) -> Expanded<'a> {
    Box::pin(async move {
        let mut nodes: Vec<Node> = parents
            .into_iter()
            .map(|entity| Node {
                entity,
                expansions: Vec::with_capacity(items.len()),
                computed: Vec::new(),
            })
            .collect();
        crate::compute::fetch(
            reading.store,
            reading.tenant,
            reading.deadline,
            collection,
            computed,
            &mut nodes,
        )
        .await?;
        for item in items {
            let values = expand_one(reading, collection, item, &nodes).await?;
            for (node, value) in nodes.iter_mut().zip(values) {
                node.expansions.push(value);
            }
        }
        Ok(nodes)
    })
}

/// One item for every parent, in parent order.
async fn expand_one(
    reading: &Reading<'_>,
    collection: &Collection,
    item: &ExpandItem<'_>,
    parents: &[Node],
) -> Result<Vec<Expansion>, StoreError> {
    let target = item.target;
    match &item.navigation.link {
        &Link::Reference { column } => {
            let mut keys: Vec<Value> = Vec::new();
            for p in parents {
                let v = &p.entity.values[column];
                if !v.is_null() && !keys.contains(v) {
                    keys.push(v.clone());
                }
            }
            let [key_column] = target.table.key.as_slice() else {
                return Ok(parents.iter().map(|_| Expansion::Single(None)).collect());
            };
            let by_key = sql::column_in(&target.table, *key_column, &keys);
            let mut conditions: Vec<&Condition> = item.plan.conditions.iter().collect();
            conditions.push(&by_key);
            let found = if keys.is_empty() {
                Vec::new()
            } else {
                let rows = reading
                    .store
                    .find(
                        &target.table,
                        reading.tenant,
                        &Find {
                            conditions: &conditions,
                            order: &[],
                            projection: None,
                            limit: u32::try_from(keys.len()).unwrap_or(u32::MAX),
                            offset: 0,
                        },
                        reading.deadline,
                    )
                    .await?;
                let rows = rows.into_iter().map(|r| r.entity).collect();
                run(reading, target, &item.nested, &item.plan.computed, rows).await?
            };
            let by_value: HashMap<String, Node> = found
                .into_iter()
                .map(|n| (key_string(&n.entity.values[*key_column]), n))
                .collect();
            Ok(parents
                .iter()
                .map(|p| {
                    let v = &p.entity.values[column];
                    // Parents sharing a related entity each get their own copy.
                    let node = if v.is_null() {
                        None
                    } else {
                        by_value.get(&key_string(v)).cloned()
                    };
                    Expansion::Single(node.map(Box::new))
                })
                .collect())
        }
        link @ (Link::Inverse { .. } | Link::Many { .. }) => {
            let keys: Vec<Value> = parents
                .iter()
                .filter_map(|p| parent_key(collection, &p.entity))
                .collect();
            let mut conditions: Vec<&Condition> = item.plan.conditions.iter().collect();
            let of_parents;
            let partition = match link {
                &Link::Inverse { column } => {
                    of_parents = sql::column_in(&target.table, column, &keys);
                    conditions.push(&of_parents);
                    Partition::Column(column)
                }
                Link::Many { table } => Partition::Links {
                    link: table,
                    sources: &keys,
                },
                Link::Reference { .. } => {
                    return Err(StoreError::Corrupt {
                        column: item.navigation.name.clone(),
                        reason: "a single-valued navigation expanded as a collection".into(),
                    });
                }
            };
            let counts: Option<HashMap<String, i64>> = if item.with_count || item.count_only {
                let rows = reading
                    .store
                    .count_per_partition(
                        &target.table,
                        reading.tenant,
                        &conditions,
                        partition,
                        reading.deadline,
                    )
                    .await?;
                Some(rows.into_iter().map(|(v, n)| (key_string(&v), n)).collect())
            } else {
                None
            };
            let count_of = |p: &Node| {
                counts.as_ref().map(|c| {
                    parent_key(collection, &p.entity)
                        .and_then(|k| c.get(&key_string(&k)).copied())
                        .unwrap_or(0)
                })
            };
            if item.count_only {
                return Ok(parents
                    .iter()
                    .map(|p| Expansion::Count(count_of(p).unwrap_or(0)))
                    .collect());
            }
            let skip = item.options.skip.unwrap_or(0);
            let wanted = item.options.top.unwrap_or(u64::MAX);
            let limit = wanted.min(reading.page_size);
            // One row more than inlined tells whether more exist.
            let rows = reading
                .store
                .find_per_partition(
                    &target.table,
                    reading.tenant,
                    &PartitionQuery {
                        conditions: &conditions,
                        partition,
                        order: &item.plan.order,
                        skip,
                        limit: limit.saturating_add(1),
                    },
                    reading.deadline,
                )
                .await?;
            let mut groups: HashMap<String, Vec<StoredEntity>> = HashMap::new();
            for (parent, row) in rows {
                groups.entry(key_string(&parent)).or_default().push(row);
            }
            // Each parent's inlined members, then the next level for all of them at once.
            let mut sizes = Vec::with_capacity(parents.len());
            let mut all = Vec::new();
            for p in parents {
                let mut members = parent_key(collection, &p.entity)
                    .and_then(|k| groups.remove(&key_string(&k)))
                    .unwrap_or_default();
                let more = members.len() as u64 > limit && wanted > limit;
                members.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
                sizes.push((members.len(), more));
                all.extend(members);
            }
            let mut all = run(reading, target, &item.nested, &item.plan.computed, all)
                .await?
                .into_iter();
            Ok(parents
                .iter()
                .zip(sizes)
                .map(|(p, (n, more))| Expansion::Many {
                    members: all.by_ref().take(n).collect(),
                    count: count_of(p),
                    next_skip: more.then(|| skip.saturating_add(limit)),
                })
                .collect())
        }
    }
}

/// The single key value of a parent (inverses need single-property keys).
fn parent_key(collection: &Collection, entity: &StoredEntity) -> Option<Value> {
    match collection.table.key.as_slice() {
        [k] => Some(entity.values[*k].clone()),
        _ => None,
    }
}

/// A hashable form of a key value.
fn key_string(v: &Value) -> String {
    format!("{v:?}")
}
