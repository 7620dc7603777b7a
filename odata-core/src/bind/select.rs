//! `$select`: the structural properties a response contains.

use crate::edm::{EntityTypeId, TypeKind};
use crate::error::ODataError;
use crate::query::{PathName, Select, SelectItem};

use super::binder::{BindContext, Binder, closest};
use super::compute::ComputedProperty;
use super::select_options::bind_select_options;

/// Binds `$select`: `None` means all properties (`*` anywhere in the list); otherwise
/// the selected structural property names, of the collection's type or (after a type-cast
/// segment) of a derived type, deduplicated in request order.
///
/// * A path into a complex property (`settings/eulaHidden`) is validated to its end and
///   selects the whole top-level property (`settings`).
/// * Bound actions (`NS.action`), `NS.*` and instance annotations select no property.
/// * Navigation properties are a 400 (not supported; use `$expand`). Nested options
///   (`addresses($top=1)`) are checked here and bound by [`bind_select_options`]; the
///   property itself is selected.
/// * Write-only properties (`Core.Permissions/Write`) are a 400: they are never returned.
pub fn bind_select(ctx: &BindContext, select: &Select) -> Result<Option<Vec<String>>, ODataError> {
    select_with(ctx, &[], select)
}

/// [`bind_select`] where a single-segment path may also name one of `computed`.
pub(super) fn select_with(
    ctx: &BindContext,
    computed: &[ComputedProperty],
    select: &Select,
) -> Result<Option<Vec<String>>, ODataError> {
    let b = Binder::new(ctx, "$select");
    // Nested options are checked here too, so every caller rejects invalid ones; their
    // bound form is [`bind_select_options`]'s.
    if select
        .items
        .iter()
        .any(|i| matches!(i, SelectItem::Path { options, .. } if !options.is_empty()))
    {
        bind_select_options(ctx, select)?;
    }
    let mut names: Vec<String> = Vec::new();
    for item in &select.items {
        match item {
            SelectItem::Star => return Ok(None),
            SelectItem::AllOperations { .. } => {}
            SelectItem::Path { segments, .. } => {
                let name = match segments.as_slice() {
                    [PathName::Name(n)] if computed.iter().any(|c| &c.name == n) => Some(n.clone()),
                    [PathName::Name(n)] if !computed.is_empty() && !declared(ctx, n) => {
                        return Err(b.err(format!(
                            "'{n}' is neither a property of '{}' nor a computed property \
                             defined by $compute",
                            ctx.model.entity_type(ctx.entity_type).qualified_name
                        )));
                    }
                    _ => select_path(&b, segments)?,
                };
                if let Some(name) = name
                    && !names.contains(&name)
                {
                    names.push(name);
                }
            }
        }
    }
    Ok(Some(names))
}

/// True when the entity type declares a structural or navigation property `name`, or `name`
/// is qualified (a type cast or an operation).
fn declared(ctx: &BindContext, name: &str) -> bool {
    let ty = ctx.model.entity_type(ctx.entity_type);
    name.contains('.') || ty.property(name).is_some() || ty.navigation_property(name).is_some()
}

/// `a/b/c` for messages.
fn segments_text(segments: &[PathName]) -> String {
    segments
        .iter()
        .map(|s| match s {
            PathName::Name(n) => n.clone(),
            PathName::Annotation(a) => format!("@{a}"),
            PathName::Operation { name, .. } => name.clone(),
            PathName::Star => "*".to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The top-level property a select path names, `None` when it names no property.
fn select_path(b: &Binder<'_, '_>, segments: &[PathName]) -> Result<Option<String>, ODataError> {
    let model = b.ctx.model;
    let mut entity: EntityTypeId = b.ctx.entity_type;
    let mut rest = segments;
    // Leading type casts and bound actions.
    while let Some((PathName::Name(n) | PathName::Operation { name: n, .. }, tail)) =
        rest.split_first()
    {
        if !n.contains('.') {
            break;
        }
        if tail.is_empty() {
            if model.bound_action(entity, false, n).is_some() {
                return Ok(None);
            }
            return Err(b.err(format!(
                "'{n}' is neither a property nor a bound action of '{}'",
                model.entity_type(entity).qualified_name
            )));
        }
        match model.find_type(n) {
            Some(TypeKind::Entity(d)) if model.entity_derives_from(d, entity) => entity = d,
            Some(TypeKind::Entity(d)) if model.entity_derives_from(entity, d) => {}
            _ => {
                return Err(b.err(format!(
                    "'{n}' is not a type derived from '{}'",
                    model.entity_type(entity).qualified_name
                )));
            }
        }
        rest = tail;
    }
    let Some((first, tail)) = rest.split_first() else {
        return Err(b.err("a type cast must be followed by a property"));
    };
    let name = match first {
        PathName::Name(n) => n,
        PathName::Annotation(_) => return Ok(None),
        PathName::Star => return Ok(None),
        PathName::Operation { name, .. } => {
            return Err(b.err(format!("'{name}' is not a bound action of the type")));
        }
    };
    let et = model.entity_type(entity);
    let Some(prop) = et.property(name) else {
        if et.navigation_property(name).is_some() {
            // Selecting a navigation property selects its navigation link, which a
            // response writes only where links are written (full metadata); the context
            // URL names it.
            if tail.is_empty() {
                return Ok(Some(name.clone()));
            }
            return Err(b.err(format!(
                "'{}' goes through the navigation property '{name}': use $expand={name}($select=…)",
                segments_text(segments)
            )));
        }
        let mut msg = format!("'{name}' is not a property of '{}'", et.qualified_name);
        let derived = model
            .entity_type_and_subtypes(entity)
            .into_iter()
            .skip(1)
            .find(|d| model.entity_type(*d).property(name).is_some());
        if let Some(d) = derived {
            let dn = &model.entity_type(d).qualified_name;
            msg.push_str(&format!(
                "; it is declared on the derived type '{dn}': write '{dn}/{name}'"
            ));
        } else if let Some(close) = closest(name, et.properties().map(|p| p.name.as_str())) {
            msg.push_str(&format!("; did you mean '{close}'?"));
        }
        return Err(b.err(msg));
    };
    b.readable(prop)?;
    // Validate a path into a complex property.
    let mut kind = prop.type_ref.kind;
    for seg in tail {
        let TypeKind::Complex(mut c) = kind else {
            return Err(b.err(format!(
                "'{}' has no properties: '{name}' is not of a complex type",
                segments_text(segments)
            )));
        };
        match seg {
            PathName::Star | PathName::Annotation(_) => break,
            PathName::Name(n) if n.contains('.') => match model.find_type(n) {
                Some(TypeKind::Complex(d)) if model.complex_derives_from(d, c) => {
                    c = d;
                    kind = TypeKind::Complex(c);
                }
                _ => {
                    return Err(b.err(format!(
                        "'{n}' is not a type derived from '{}'",
                        model.complex_type(c).qualified_name
                    )));
                }
            },
            PathName::Name(n) => {
                let ct = model.complex_type(c);
                match ct.property(n) {
                    Some(p) => {
                        b.readable(p)?;
                        kind = p.type_ref.kind;
                    }
                    None => {
                        return Err(b.err(format!(
                            "'{n}' is not a property of '{}'",
                            ct.qualified_name
                        )));
                    }
                }
            }
            PathName::Operation { name: op, .. } => {
                return Err(b.err(format!("'{op}' cannot be selected inside '{name}'")));
            }
        }
    }
    Ok(Some(name.clone()))
}
