//! Operations: actions (side effects, POST) and functions (no side effects, GET), bound
//! or unbound, and how a call picks one of several overloads of the same name.

use super::annotation::{Annotation, CORE};
use super::types::TypeRef;

/// A parameter of an action or function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    /// Parameter name.
    pub name: String,
    /// Its type.
    pub type_ref: TypeRef,
    /// Annotations written inside the `<Parameter>` element (`Core.OptionalParameter`).
    pub annotations: Vec<Annotation>,
}

impl Parameter {
    /// Whether the parameter carries `Core.OptionalParameter`: a call may leave it out.
    pub fn is_optional(&self) -> bool {
        self.annotations
            .iter()
            .any(|a| a.term == format!("{CORE}.OptionalParameter"))
    }

    /// Whether a call may leave the parameter out: it is optional, or nullable (an omitted
    /// nullable parameter reads as null).
    pub fn may_be_omitted(&self) -> bool {
        self.is_optional() || self.type_ref.nullable
    }
}

/// An action or function. For bound operations the first parameter is the binding
/// parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    /// Unqualified name.
    pub name: String,
    /// Qualified name.
    pub qualified_name: String,
    /// Bound to an entity or collection (first parameter).
    pub is_bound: bool,
    /// Parameters, binding parameter first when bound.
    pub parameters: Vec<Parameter>,
    /// Return type, if the action returns something.
    pub return_type: Option<TypeRef>,
    /// `EntitySetPath` (e.g. `bindingParameter`): the returned entities belong to the
    /// entity set the path leads to from the binding parameter.
    pub entity_set_path: Option<String>,
    /// Annotations on the action.
    pub annotations: Vec<Annotation>,
}

impl Action {
    /// The binding parameter of a bound action.
    pub fn binding_parameter(&self) -> Option<&Parameter> {
        if self.is_bound {
            self.parameters.first()
        } else {
            None
        }
    }

    /// Parameters a client sends in the body (all but the binding parameter).
    pub fn body_parameters(&self) -> &[Parameter] {
        if self.is_bound {
            &self.parameters[1..]
        } else {
            &self.parameters
        }
    }

    /// Whether a call giving exactly the parameters `names` fits this overload: each name
    /// is a (non-binding) parameter and every parameter left out may be omitted.
    pub fn accepts<'n>(&self, names: impl IntoIterator<Item = &'n str> + Clone) -> bool {
        let declared = self.body_parameters();
        names
            .clone()
            .into_iter()
            .all(|n| declared.iter().any(|p| p.name == n))
            && declared
                .iter()
                .all(|p| p.may_be_omitted() || names.clone().into_iter().any(|n| n == p.name))
    }

    /// Whether the non-binding parameters are exactly `names` (in any order).
    pub fn declares_exactly<'n>(&self, names: impl IntoIterator<Item = &'n str> + Clone) -> bool {
        let declared = self.body_parameters();
        let count = names.clone().into_iter().count();
        count == declared.len() && self.accepts_all_declared(names)
    }

    fn accepts_all_declared<'n>(&self, names: impl IntoIterator<Item = &'n str> + Clone) -> bool {
        self.body_parameters()
            .iter()
            .all(|p| names.clone().into_iter().any(|n| n == p.name))
    }

    /// The non-binding parameter names, sorted: how overloads are told apart
    /// (`a,b`).
    pub fn signature(&self) -> String {
        let mut names: Vec<&str> = self
            .body_parameters()
            .iter()
            .map(|p| p.name.as_str())
            .collect();
        names.sort_unstable();
        names.join(",")
    }
}

/// Picks the overload a call with the parameter names `given` (in any order) invokes:
/// the one whose parameters are exactly those, or else the only one that accepts them
/// (see [`Action::accepts`]). `None` when no overload or more than one fits.
///
/// ```
/// use odata_core::edm::{ActionDef, EntityTypeDef, ModelBuilder, PropertyDef, select_overload};
///
/// let model = ModelBuilder::new("ns")
///     .entity_type(EntityTypeDef::new("t").key(["id"])
///         .property(PropertyDef::new("id", "Edm.String").not_null()))
///     .function(ActionDef::new("f").parameter(PropertyDef::new("a", "Edm.Int64").not_null())
///         .returns("Edm.Int64"))
///     .function(ActionDef::new("f").parameter(PropertyDef::new("a", "Edm.Int64").not_null())
///         .parameter(PropertyDef::new("b", "Edm.Int64").not_null()).returns("Edm.Int64"))
///     .build().unwrap();
/// let overloads = model.unbound_functions("f");
/// assert_eq!(select_overload(&overloads, &["b", "a"]).unwrap().parameters.len(), 2);
/// assert_eq!(select_overload(&overloads, &["a"]).unwrap().parameters.len(), 1);
/// assert!(select_overload(&overloads, &["b"]).is_none());
/// ```
pub fn select_overload<'a>(overloads: &[&'a Action], given: &[&str]) -> Option<&'a Action> {
    let names = given.iter().copied();
    let exact: Vec<&&Action> = overloads
        .iter()
        .filter(|a| a.declares_exactly(names.clone()))
        .collect();
    if let [one] = exact.as_slice() {
        return Some(**one);
    }
    let fitting: Vec<&&Action> = overloads
        .iter()
        .filter(|a| a.accepts(names.clone()))
        .collect();
    match fitting.as_slice() {
        [one] => Some(**one),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use crate::edm::{
        ActionDef, EntityTypeDef, ModelBuilder, ModelError, PropertyDef, select_overload,
    };

    fn builder() -> ModelBuilder {
        ModelBuilder::new("ns")
            .entity_type(
                EntityTypeDef::new("t")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null()),
            )
            .entity_type(EntityTypeDef::new("u").base("t"))
            .entity_set("ts", "t")
    }

    fn int(name: &str) -> PropertyDef {
        PropertyDef::new(name, "Edm.Int64").not_null()
    }

    fn f(parameters: &[&str]) -> ActionDef {
        parameters
            .iter()
            .fold(ActionDef::new("f").returns("Edm.Int64"), |d, p| {
                d.parameter(int(p))
            })
    }

    #[test]
    fn overloads_are_picked_by_the_set_of_parameter_names() {
        let model = builder()
            .function(f(&[]))
            .function(f(&["a"]))
            .function(f(&["a", "b"]))
            .function(
                ActionDef::new("g")
                    .parameter(int("p"))
                    .parameter(int("q").optional_parameter())
                    .returns("Edm.Int64"),
            )
            .function_import("f", "f")
            .build()
            .unwrap();
        let overloads = model.unbound_functions("ns.f");
        assert_eq!(overloads.len(), 3);
        let pick = |given: &[&str]| select_overload(&overloads, given).map(|a| a.signature());
        assert_eq!(pick(&[]).as_deref(), Some(""));
        assert_eq!(pick(&["a"]).as_deref(), Some("a"));
        assert_eq!(pick(&["b", "a"]).as_deref(), Some("a,b"));
        assert_eq!(pick(&["b"]), None);
        assert_eq!(pick(&["a", "c"]), None);
        let g = model.unbound_functions("g");
        assert!(g[0].body_parameters()[1].is_optional());
        assert!(select_overload(&g, &["p"]).is_some());
        assert!(select_overload(&g, &["q", "p"]).is_some());
        assert!(select_overload(&g, &["q"]).is_none());
    }

    #[test]
    fn bound_overloads_are_found_for_derived_types_most_specific_first() {
        let model = builder()
            .function(f(&["a"]).bound_to("x", "ns.t"))
            .function(f(&["a", "b"]).bound_to("x", "ns.u"))
            .function(f(&[]).bound_to("x", "Collection(ns.t)"))
            .build()
            .unwrap();
        let t = model.find_entity_type("t").unwrap();
        let u = model.find_entity_type("u").unwrap();
        let signatures = |ty, collection| {
            model
                .bound_functions(ty, collection, "f")
                .iter()
                .map(|a| a.signature())
                .collect::<Vec<_>>()
        };
        assert_eq!(signatures(t, false), ["a"]);
        assert_eq!(signatures(u, false), ["a,b", "a"]);
        assert_eq!(signatures(t, true), [""]);
    }

    #[test]
    fn overloads_csdl_forbids_are_refused() {
        let clash = |b: ModelBuilder| matches!(b.build(), Err(ModelError::Overload { .. }));
        assert!(clash(builder().function(f(&["a"])).function(f(&["a"]))));
        assert!(clash(
            builder()
                .function(f(&["a"]).bound_to("x", "ns.t"))
                .function(f(&["a"]).bound_to("y", "ns.t"))
        ));
        assert!(clash(
            builder()
                .action(ActionDef::new("go"))
                .action(ActionDef::new("go").parameter(int("a")))
        ));
        assert!(clash(
            builder()
                .action(ActionDef::new("go").bound_to("x", "ns.t"))
                .action(
                    ActionDef::new("go")
                        .bound_to("x", "ns.t")
                        .parameter(int("a"))
                )
        ));
        assert!(clash(
            builder().action(ActionDef::new("f")).function(f(&[]))
        ));
        // Different bindings, or different names: fine.
        assert!(
            builder()
                .function(f(&["a"]).bound_to("x", "ns.t"))
                .function(f(&["a"]).bound_to("x", "Collection(ns.t)"))
                .function(f(&["a"]))
                .action(ActionDef::new("go").bound_to("x", "ns.t"))
                .action(ActionDef::new("go").bound_to("x", "ns.u"))
                .action(ActionDef::new("go"))
                .build()
                .is_ok()
        );
    }

    #[test]
    fn imports_name_existing_operations_and_sets() {
        let model = builder()
            .action(ActionDef::new("go"))
            .function(f(&[]))
            .function_import_in("f", "ns.f", "ts")
            .action_import("go", "go")
            .build()
            .unwrap();
        assert_eq!(
            model.function_import("f").unwrap().0.entity_set.as_deref(),
            Some("ts")
        );
        assert_eq!(model.action_import("go").unwrap().1.name, "go");
        assert!(matches!(
            builder()
                .function(f(&[]))
                .function_import_in("f", "f", "nope")
                .build(),
            Err(ModelError::UnknownImportSet { .. })
        ));
        assert!(matches!(
            builder()
                .action(ActionDef::new("go").bound_to("x", "ns.t"))
                .action_import("go", "go")
                .build(),
            Err(ModelError::UnknownAction { .. })
        ));
    }
}
