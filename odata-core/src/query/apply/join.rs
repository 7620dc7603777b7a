//! What `join(path as alias[, sequence])` and `outerjoin(…)` join, checked once for every
//! evaluator of `$apply` (the in-memory evaluator, a SQL translation), so that both refuse
//! the same requests with the same errors.

use super::ast::{Apply, GroupingPath, Transformation};
use super::errors::{bad, not_implemented};
use crate::edm::{EntityTypeId, Model, NavigationProperty, TypeKind};
use crate::error::ODataError;

/// The related entities a join reads.
#[derive(Debug, Clone, Copy)]
pub struct JoinTarget<'m> {
    /// The instances' type.
    pub base: EntityTypeId,
    /// The collection-valued navigation property joined over.
    pub navigation: &'m NavigationProperty,
    /// The related entities' type: the navigation's target, or the type cast to.
    pub entity_type: EntityTypeId,
}

/// Checks a join (`step` is `join` or `outerjoin`) over the input's instances of `base`
/// (`None`: the input holds no instances, as after `groupby`): `path` is a
/// collection-valued navigation property of `base`, optionally followed by a cast to its
/// target type or a type derived from it; `alias` names nothing of the input (`taken`:
/// whether the input already has a property of that name); the sequence applied to the
/// related entities holds only `filter`, `search`, `orderby`, `compute` and `identity`.
/// Errors: 400 for what the request got wrong, 501 for joins of anything but instances,
/// over collection-valued complex properties, and for other transformations in the
/// sequence.
pub fn join_target<'m>(
    model: &'m Model,
    base: Option<EntityTypeId>,
    step: &str,
    path: &GroupingPath,
    alias: &str,
    taken: impl Fn(&str) -> bool,
    then: Option<&Apply>,
) -> Result<JoinTarget<'m>, ODataError> {
    let Some(base) = base else {
        return Err(not_implemented(format!(
            "'{step}' after groupby, aggregate, compute, concat or nest"
        )));
    };
    let (name, cast) = match path.segments.as_slice() {
        [name] => (name, None),
        [name, cast] if cast.contains('.') => (name, Some(cast)),
        _ => {
            return Err(bad(format!(
                "{step}: '{path}' must be a collection-valued navigation property, optionally \
                 followed by a type cast"
            )));
        }
    };
    let ty = model.entity_type(base);
    let Some(navigation) = ty.navigation_property(name) else {
        if ty.property(name).is_some_and(|p| {
            p.type_ref.collection && matches!(p.type_ref.kind, TypeKind::Complex(_))
        }) {
            return Err(not_implemented(format!(
                "'{step}' over the collection-valued complex property '{name}'"
            )));
        }
        return Err(bad(format!(
            "{step}: '{name}' is not a navigation property of '{}'",
            ty.qualified_name
        )));
    };
    if !navigation.collection {
        return Err(bad(format!(
            "{step}: '{name}' is single-valued; {step} needs a collection-valued navigation \
             property"
        )));
    }
    if ty.property(alias).is_some() || ty.navigation_property(alias).is_some() || taken(alias) {
        return Err(bad(format!(
            "{step}: the alias '{alias}' is already a property of the input"
        )));
    }
    let entity_type = match cast {
        None => navigation.target,
        Some(cast) => match model.find_entity_type(cast) {
            Some(t) if model.entity_derives_from(t, navigation.target) => t,
            _ => {
                return Err(bad(format!(
                    "{step}: '{cast}' is not '{}' or a type derived from it",
                    model.entity_type(navigation.target).qualified_name
                )));
            }
        },
    };
    let sequence = then.map_or(&[][..], |a| &a.transformations[..]);
    if let Some(other) = sequence.iter().find(|t| {
        !matches!(
            t,
            Transformation::Filter(_)
                | Transformation::Search(_)
                | Transformation::OrderBy(_)
                | Transformation::Identity
                | Transformation::Compute(_)
        )
    }) {
        return Err(not_implemented(format!(
            "'{}' among the transformations {step} applies to the related entities (filter, \
             search, orderby, compute and identity are)",
            other.name()
        )));
    }
    Ok(JoinTarget {
        base,
        navigation,
        entity_type,
    })
}
