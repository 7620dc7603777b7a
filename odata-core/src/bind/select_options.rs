//! Nested options of selected properties (OData 4.01 `$select=prop(…)`): `$select` inside
//! a complex property, and `$filter`, `$search`, `$orderby`, `$skip`, `$top`, `$count` and
//! `$select` on the items of a collection-valued structural property.
//!
//! In the nested `$filter` and `$orderby`, `$this` is the current item (`$this gt 1` for a
//! collection of numbers), a bare member name is a member of a complex item (`City eq 'x'`),
//! and `$it` is still the entity. The in-memory evaluator applies the options to the
//! property's value ([`crate::eval::shape_value`]).
//!
//! `$compute` and parameter aliases inside a nested `$select` item, and nested options on a
//! path of more than one segment (`a/b($top=1)`), are 501.

use crate::edm::{TypeKind, TypeRef};
use crate::error::{ErrorKind, ODataError};
use crate::query::{NestedOptions, PathName, Select, SelectItem};

use super::binder::{BindContext, Binder, bind_orderby_with, bind_search, filter_with, type_of};
use super::typed::{BoundExpr, BoundOrderBy, BoundSearch, ExprType};

/// A selected top-level property with nested options (`$select=Tags($top=2)`).
#[derive(Debug, Clone, PartialEq)]
pub struct SelectedProperty {
    /// The property's name.
    pub name: String,
    /// What to do with its value.
    pub options: SelectOptions,
}

/// The bound nested options of one selected property or member.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectOptions {
    /// True for a collection-valued property (the options apply to its items).
    pub collection: bool,
    /// The type of the value (of each item, for a collection).
    pub item: ExprType,
    /// `$filter`: the items kept (`$this` is the item).
    pub filter: Option<BoundExpr>,
    /// `$search`: the items kept whose text (a string item, or any string member of a
    /// complex item) matches.
    pub search: Option<BoundSearch>,
    /// `$orderby` of the items (empty: as stored).
    pub orderby: Vec<BoundOrderBy>,
    /// `$skip`
    pub skip: Option<u64>,
    /// `$top`
    pub top: Option<u64>,
    /// `$count=true`: `{name}@odata.count` (the number of items after `$filter`/`$search`)
    /// is written with the property.
    pub count: bool,
    /// `$select` of a complex value (of each complex item): the members kept, in request
    /// order, with their own nested options; `None` keeps all.
    pub select: Option<Vec<SelectedMember>>,
}

/// One member named in a nested `$select`.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectedMember {
    /// The member's name.
    pub name: String,
    /// Its own nested options, if any.
    pub options: Option<SelectOptions>,
}

/// Binds the nested options of the `$select` items that have any (`prop(…)`), in request
/// order. Items without options give nothing; a property named twice keeps its first
/// options.
///
/// Errors (400, target `$select`): options on a navigation or a primitive, non-collection
/// property; collection options (`$filter`, `$top`, …) on a single complex value; `$select`
/// inside a primitive collection; a nested `$filter` that is not Boolean; unknown members.
pub fn bind_select_options(
    ctx: &BindContext,
    select: &Select,
) -> Result<Vec<SelectedProperty>, ODataError> {
    let b = Binder::new(ctx, "$select");
    let ty = ctx.model.entity_type(ctx.entity_type);
    let mut out: Vec<SelectedProperty> = Vec::new();
    for item in &select.items {
        let SelectItem::Path { segments, options } = item else {
            continue;
        };
        if options.is_empty() {
            continue;
        }
        let [PathName::Name(name)] = segments.as_slice() else {
            return Err(not_implemented(
                "nested options are supported on a single property name only, not on a path",
            ));
        };
        let Some(property) = ty.property(name) else {
            if ty.navigation_property(name).is_some() {
                return Err(b.err(format!(
                    "'{name}' is a navigation property: nested options belong in $expand"
                )));
            }
            return Err(b.err(format!(
                "'{name}' is not a property of '{}'",
                ty.qualified_name
            )));
        };
        b.readable(property)?;
        let bound = bind_options(ctx, name, &property.type_ref, options)?;
        if !out.iter().any(|p| p.name == *name) {
            out.push(SelectedProperty {
                name: name.clone(),
                options: bound,
            });
        }
    }
    Ok(out)
}

/// A 501 naming `$select`.
fn not_implemented(message: &str) -> ODataError {
    ODataError::new(ErrorKind::NotImplemented, format!("$select: {message}")).with_target("$select")
}

/// Binds the options `options` of the property (or member) `name` of type `type_ref`.
fn bind_options(
    ctx: &BindContext,
    name: &str,
    type_ref: &TypeRef,
    options: &NestedOptions,
) -> Result<SelectOptions, ODataError> {
    let b = Binder::new(ctx, "$select");
    let Some(ty) = type_of(type_ref) else {
        return Err(not_implemented(
            "entity-typed properties cannot have nested options",
        ));
    };
    let (collection, item) = match ty {
        ExprType::Collection(item) => (true, *item),
        other => (false, other),
    };
    if options.compute.is_some() {
        return Err(not_implemented(
            "$compute inside a selected property is not supported",
        ));
    }
    if !options.aliases.is_empty() {
        return Err(not_implemented(
            "parameter aliases inside a selected property are not supported",
        ));
    }
    if options.expand.is_some() || options.levels.is_some() {
        return Err(b.err(format!(
            "'{name}': $expand and $levels do not apply to a selected property"
        )));
    }
    let complex = match item {
        ExprType::Complex(c) => Some(c),
        _ => None,
    };
    if !collection {
        let given = [
            ("$filter", options.filter.is_some()),
            ("$search", options.search.is_some()),
            ("$orderby", options.orderby.is_some()),
            ("$skip", options.skip.is_some()),
            ("$top", options.top.is_some()),
            ("$count", options.count.is_some()),
        ];
        if let Some((option, _)) = given.iter().find(|(_, g)| *g) {
            return Err(b.err(format!(
                "'{name}' is not a collection: {option} does not apply to it"
            )));
        }
        if complex.is_none() {
            return Err(b.err(format!(
                "'{name}' is a primitive property: it has no nested options"
            )));
        }
    }
    let filter = match &options.filter {
        Some(f) => Some(filter_with(
            Binder::over_items(ctx, "$filter", item.clone()),
            f,
        )?),
        None => None,
    };
    let orderby = match &options.orderby {
        Some(o) => bind_orderby_with(Binder::over_items(ctx, "$orderby", item.clone()), o)?,
        None => Vec::new(),
    };
    let select = match (&options.select, complex) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(b.err(format!(
                "'{name}' holds primitive values: $select does not apply to them"
            )));
        }
        (Some(select), Some(c)) => members(ctx, c, select)?,
    };
    Ok(SelectOptions {
        collection,
        item,
        filter,
        search: options.search.as_ref().map(bind_search),
        orderby,
        skip: options.skip,
        top: options.top,
        count: options.count == Some(true),
        select,
    })
}

/// The members of complex type `c` a nested `$select` keeps (`None`: all, for `*`).
fn members(
    ctx: &BindContext,
    c: crate::edm::ComplexTypeId,
    select: &Select,
) -> Result<Option<Vec<SelectedMember>>, ODataError> {
    let b = Binder::new(ctx, "$select");
    let model = ctx.model;
    let ct = model.complex_type(c);
    let mut out: Vec<SelectedMember> = Vec::new();
    let mut all = false;
    for item in &select.items {
        match item {
            SelectItem::Star => all = true,
            SelectItem::AllOperations { .. } => {}
            SelectItem::Path { segments, options } => {
                let [PathName::Name(name)] = segments.as_slice() else {
                    return Err(not_implemented(
                        "a nested $select names members of the complex type, not paths",
                    ));
                };
                let Some(member) = ct.property(name) else {
                    return Err(b.err(format!(
                        "'{name}' is not a property of '{}'",
                        ct.qualified_name
                    )));
                };
                b.readable(member)?;
                if matches!(member.type_ref.kind, TypeKind::Entity(_)) {
                    return Err(not_implemented("entity-typed members cannot be selected"));
                }
                let options = if options.is_empty() {
                    None
                } else {
                    Some(bind_options(ctx, name, &member.type_ref, options)?)
                };
                if !out.iter().any(|m| m.name == *name) {
                    out.push(SelectedMember {
                        name: name.clone(),
                        options,
                    });
                }
            }
        }
    }
    Ok(if all && out.iter().all(|m| m.options.is_none()) {
        None
    } else if all {
        // `*` with options on some members: every member, those with their options.
        Some(
            ct.properties()
                .map(|p| SelectedMember {
                    name: p.name.clone(),
                    options: out
                        .iter()
                        .find(|m| m.name == p.name)
                        .and_then(|m| m.options.clone()),
                })
                .collect(),
        )
    } else {
        Some(out)
    })
}
