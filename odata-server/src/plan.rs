//! From parsed query options to what the store runs: options bound against the collection's
//! entity type, then translated to SQL conditions and sort terms.

use odata_core::bind::{self, BindContext, SelectedProperty};
use odata_core::error::ODataError;
use odata_core::query::{QueryOptions, SortDirection};
use odata_core::value::DateTimeOffset;

use std::cell::RefCell;

use crate::compute::Computed;
use crate::service::{Collection, Service};
use crate::sql::range_count::TimeRange;
use crate::sql::schema::Backend;
use crate::sql::{self, Condition, Hop, Navigator, OrderTerm};
use crate::store::table::Table;

/// The bound and translated form of a collection request's options.
#[derive(Debug, Clone)]
pub struct CollectionPlan {
    /// `$filter` and `$search` conditions (ANDed).
    pub conditions: Vec<Condition>,
    /// `$orderby` terms followed by the key columns (in the last term's direction), so the
    /// order is total.
    pub order: Vec<OrderTerm>,
    /// Columns `$select` asks for (`None`: all).
    pub projection: Option<Vec<usize>>,
    /// Property names `$select` asks for, in request order (`None`: all).
    pub selected: Option<Vec<String>>,
    /// The nested options of selected properties (`$select=tags($top=2)`), applied to
    /// their values as rows are written.
    pub select_options: Vec<SelectedProperty>,
    /// The collections (indexes into [`Service::collections`]) that `$filter`,
    /// `$orderby` and `$compute` read through navigation properties, at any depth: the
    /// caller must be allowed to read them too.
    pub related_reads: Vec<usize>,
    /// `$compute`'s properties, in request order (written after the declared ones when
    /// selected; `$filter`/`$orderby` already have them substituted).
    pub computed: Computed,
    /// The time range the conditions select, when they are only that and the property's
    /// entities are counted per day: `$count` then reads the counts
    /// ([`crate::store::Store::count_in_range`]).
    pub range: Option<TimeRange>,
}

/// Binds and translates the options of a request addressing `collection`, for a store on
/// `backend`.
pub fn plan(
    service: &Service,
    backend: Backend,
    collection: &Collection,
    options: &QueryOptions,
    now: DateTimeOffset,
) -> Result<CollectionPlan, ODataError> {
    let model = service.model();
    let table = &collection.table;
    let ctx = BindContext {
        model,
        entity_type: collection.entity_type,
        aliases: &options.aliases,
        now,
        limits: options.limits,
    };
    let navigator = ReadsThrough::new(service);
    let computed = crate::compute::bind(service, backend, collection, &navigator, &ctx, options)?;
    let mut conditions = Vec::new();
    let mut range = None;
    if let Some(filter) = &options.filter {
        let bound = bind::bind_filter_computed(&ctx, &computed.properties, filter)?;
        conditions.push(sql::filter(backend, model, table, &navigator, &bound)?);
        conditions.extend(sql::implied_conditions(backend, table, &bound));
        range = TimeRange::of_filter(table, &bound);
    }
    if let Some(search) = &options.search {
        range = None;
        let bound = bind::bind_search(search);
        conditions.push(sql::search(backend, table, &bound, &collection.searchable));
    }
    let mut order = match &options.orderby {
        Some(orderby) => {
            let keys = bind::bind_orderby_computed(&ctx, &computed.properties, orderby)?;
            sql::order_by(backend, model, table, &navigator, &keys)?
        }
        None => Vec::new(),
    };
    // The key makes the order total. It runs in the direction of the last `$orderby` key,
    // so an index on (…, that key's column, key) serves the whole order by walking one way:
    // no sort of the matching rows, whatever the planner estimates.
    let tiebreak = order.last().map_or(SortDirection::Asc, |t| t.direction);
    order.extend(sql::default_order(table, tiebreak));
    let selected = match &options.select {
        Some(select) => bind::bind_select_computed(&ctx, &computed.properties, select)?,
        None => None,
    };
    let select_options = match &options.select {
        Some(select) => bind::bind_select_options(&ctx, select)?,
        None => Vec::new(),
    };
    let projection = selected.as_ref().map(|names| {
        let mut columns: Vec<usize> = names
            .iter()
            .filter_map(|n| table.column_index(n))
            // A contained entity's URL goes through its parent.
            .chain(collection.containment.as_ref().map(|c| c.column))
            .collect();
        // Computed values are evaluated on the read row: it needs what they read.
        for column in crate::compute::columns(table, &computed) {
            if !columns.contains(&column) {
                columns.push(column);
            }
        }
        columns
    });
    Ok(CollectionPlan {
        conditions,
        order,
        projection,
        selected,
        select_options,
        related_reads: navigator.reads(),
        computed,
        range,
    })
}

/// The service's navigation properties for the SQL translation, noting the collections
/// an expression reads through them.
#[derive(Debug)]
pub(crate) struct ReadsThrough<'s> {
    service: &'s Service,
    /// Indexes into [`Service::collections`], each once.
    reads: RefCell<Vec<usize>>,
}

impl<'s> ReadsThrough<'s> {
    /// A navigator over `service`'s collections that has read nothing yet.
    pub(crate) fn new(service: &'s Service) -> Self {
        Self {
            service,
            reads: RefCell::new(Vec::new()),
        }
    }

    /// The collections read so far (indexes into [`Service::collections`]).
    pub(crate) fn reads(&self) -> Vec<usize> {
        self.reads.borrow().clone()
    }
}

impl Navigator for ReadsThrough<'_> {
    fn hop(&self, from: &Table, navigation: &str) -> Option<Hop<'_>> {
        let source = self
            .service
            .collections()
            .iter()
            .find(|c| c.table.name == from.name)?;
        let navigation = source.navigation(navigation)?;
        let mut reads = self.reads.borrow_mut();
        if !reads.contains(&navigation.target) {
            reads.push(navigation.target);
        }
        let target = self.service.target(navigation);
        Some(Hop {
            target: &target.table,
            link: &navigation.link,
            searchable: &target.searchable,
        })
    }
}

/// What a single-entity response contains: the `$select`ed properties (`None`: all) and
/// the `$compute`d ones.
#[derive(Debug, Clone, Default)]
pub struct Shape {
    /// Property names `$select` asks for, computed ones included (`None`: all).
    pub selected: Option<Vec<String>>,
    /// `$compute`'s properties, in request order.
    pub computed: Computed,
    /// The nested options of selected properties.
    pub select_options: Vec<SelectedProperty>,
    /// The collections `$compute` reads through navigation properties (indexes into
    /// [`Service::collections`]): the caller must be allowed to read them too.
    pub related_reads: Vec<usize>,
}

/// The `$select` and `$compute` of a single-entity request, for a store on `backend`.
pub fn selection(
    service: &Service,
    backend: Backend,
    collection: &Collection,
    options: &QueryOptions,
    now: DateTimeOffset,
) -> Result<Shape, ODataError> {
    let ctx = BindContext {
        model: service.model(),
        entity_type: collection.entity_type,
        aliases: &options.aliases,
        now,
        limits: options.limits,
    };
    let navigator = ReadsThrough::new(service);
    let computed = crate::compute::bind(service, backend, collection, &navigator, &ctx, options)?;
    let selected = match &options.select {
        Some(select) => bind::bind_select_computed(&ctx, &computed.properties, select)?,
        None => None,
    };
    let select_options = match &options.select {
        Some(select) => bind::bind_select_options(&ctx, select)?,
        None => Vec::new(),
    };
    Ok(Shape {
        selected,
        computed,
        select_options,
        related_reads: navigator.reads(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use odata_core::edm::{EntityTypeDef, ModelBuilder, PropertyDef};
    use odata_core::query::ParseLimits;

    use super::*;
    use crate::service::CollectionDef;

    fn directions(query: &str) -> Vec<SortDirection> {
        order(query, false)
            .iter()
            .map(|(_, direction)| *direction)
            .collect()
    }

    /// The order terms of `query` as SQLite text with their directions.
    fn order(query: &str, insertion_order: bool) -> Vec<(String, SortDirection)> {
        let model = ModelBuilder::new("example")
            .entity_type(
                EntityTypeDef::new("item")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null())
                    .property(PropertyDef::new("n", "Edm.Int32"))
                    .property(PropertyDef::new("m", "Edm.Int32")),
            )
            .entity_set("items", "item")
            .build()
            .unwrap();
        let items = CollectionDef::new("items", "items");
        let items = if insertion_order {
            items.insertion_order()
        } else {
            items
        };
        let service = Service::builder(model).collection(items).build().unwrap();
        let options = crate::query::parse(Some(query), &ParseLimits::default()).unwrap();
        let plan = plan(
            &service,
            Backend::Sqlite,
            &service.collections()[0],
            &options,
            DateTimeOffset::min_value(),
        )
        .unwrap();
        plan.order
            .iter()
            .map(|t| (t.to_sql().0, t.direction))
            .collect()
    }

    #[test]
    fn insertion_order_replaces_the_key_and_always_ascends() {
        use SortDirection::{Asc, Desc};
        let seq = || ("\"_seq\"".to_owned(), Asc);
        assert_eq!(order("$top=1", true), [seq()]);
        assert_eq!(order("$top=1", false), [("\"id\"".to_owned(), Asc)]);
        assert_eq!(
            order("$orderby=n desc", true),
            [("\"n\"".to_owned(), Desc), seq()]
        );
    }

    #[test]
    fn the_key_tiebreak_runs_in_the_last_keys_direction() {
        use SortDirection::{Asc, Desc};
        assert_eq!(directions("$top=1"), [Asc]);
        assert_eq!(directions("$orderby=n desc"), [Desc, Desc]);
        assert_eq!(directions("$orderby=n desc,m"), [Desc, Asc, Asc]);
        assert_eq!(directions("$orderby=n,m desc"), [Asc, Desc, Desc]);
    }
}
