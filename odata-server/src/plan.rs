//! From parsed query options to what the store runs: options bound against the collection's
//! entity type, then translated to SQL conditions and sort terms.

use odata_core::bind::{self, BindContext};
use odata_core::error::ODataError;
use odata_core::query::{QueryOptions, SortDirection};
use odata_core::value::DateTimeOffset;

use crate::service::{Collection, Service};
use crate::sql::schema::Backend;
use crate::sql::{self, Condition, OrderTerm};

/// The bound and translated form of a collection request's options.
#[derive(Debug, Clone)]
pub struct CollectionPlan {
    /// `$filter` and `$search` conditions (ANDed).
    pub conditions: Vec<Condition>,
    /// `$orderby` terms followed by the key columns, so the order is total.
    pub order: Vec<OrderTerm>,
    /// Columns `$select` asks for (`None`: all).
    pub projection: Option<Vec<usize>>,
    /// Property names `$select` asks for, in request order (`None`: all).
    pub selected: Option<Vec<String>>,
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
    let mut conditions = Vec::new();
    if let Some(filter) = &options.filter {
        let bound = bind::bind_filter(&ctx, filter)?;
        conditions.push(sql::filter(backend, model, table, &bound)?);
    }
    if let Some(search) = &options.search {
        let bound = bind::bind_search(search);
        conditions.push(sql::search(backend, table, &bound, &collection.searchable));
    }
    let mut order = match &options.orderby {
        Some(orderby) => sql::order_by(backend, model, table, &bind::bind_orderby(&ctx, orderby)?)?,
        None => Vec::new(),
    };
    order.extend(
        table
            .key
            .iter()
            .map(|&k| OrderTerm::column(&table.columns[k].property.name, SortDirection::Asc)),
    );
    let selected = match &options.select {
        Some(select) => bind::bind_select(&ctx, select)?,
        None => None,
    };
    let projection = selected.as_ref().map(|names| {
        names
            .iter()
            .filter_map(|n| table.column_index(n))
            .collect::<Vec<_>>()
    });
    Ok(CollectionPlan {
        conditions,
        order,
        projection,
        selected,
    })
}

/// The `$select` of a single-entity request (`None`: all properties).
pub fn selection(
    service: &Service,
    collection: &Collection,
    options: &QueryOptions,
    now: DateTimeOffset,
) -> Result<Option<Vec<String>>, ODataError> {
    let Some(select) = &options.select else {
        return Ok(None);
    };
    let ctx = BindContext {
        model: service.model(),
        entity_type: collection.entity_type,
        aliases: &options.aliases,
        now,
        limits: options.limits,
    };
    bind::bind_select(&ctx, select)
}
