//! Helpers over [`ExprType`] and [`BoundExpr`]: the static type of a bound node, the
//! properties it reads, numeric promotion and type names for messages.

use crate::edm::{Model, PrimitiveKind};

use super::typed::{BoundExpr, ExprType, PropertyRef};

impl ExprType {
    /// The primitive kind, for primitive types.
    pub fn primitive(&self) -> Option<PrimitiveKind> {
        match self {
            ExprType::Primitive(p) => Some(*p),
            _ => None,
        }
    }

    /// True for the numeric primitive types (integers, Decimal, Single, Double).
    pub fn is_numeric(&self) -> bool {
        self.primitive().is_some_and(|p| numeric_rank(p).is_some())
    }

    /// True for the integer primitive types (Byte, SByte, Int16, Int32, Int64).
    pub fn is_integer(&self) -> bool {
        self.primitive()
            .is_some_and(|p| p.integer_range().is_some())
    }

    /// True for `Edm.Boolean` and for the untyped `null`.
    pub fn is_boolean_or_null(&self) -> bool {
        matches!(
            self,
            ExprType::Primitive(PrimitiveKind::Boolean) | ExprType::Null
        )
    }

    /// True for the given primitive kind.
    pub fn is(&self, kind: PrimitiveKind) -> bool {
        self.primitive() == Some(kind)
    }

    /// The type's name for messages: `Edm.String`, `ns.color`, `Collection(Edm.String)`,
    /// `null`.
    pub fn display(&self, model: &Model) -> String {
        match self {
            ExprType::Primitive(p) => p.name().to_owned(),
            ExprType::Enum(id) => model.enum_type(*id).qualified_name.clone(),
            ExprType::Complex(id) => model.complex_type(*id).qualified_name.clone(),
            ExprType::Entity(id) => model.entity_type(*id).qualified_name.clone(),
            ExprType::Collection(inner) => format!("Collection({})", inner.display(model)),
            ExprType::Null => "null".to_owned(),
        }
    }
}

impl BoundExpr {
    /// Every property path the expression reads, lambda variables' included, in
    /// evaluation order: what a caller checks before running it (a path through a
    /// navigation property reads another collection).
    pub fn properties(&self) -> Vec<&PropertyRef> {
        let mut out = Vec::new();
        self.collect_properties(&mut out);
        out
    }

    fn collect_properties<'e>(&'e self, out: &mut Vec<&'e PropertyRef>) {
        match self {
            BoundExpr::Literal { .. } | BoundExpr::IsOf { operand: None, .. } => {}
            BoundExpr::Property(p) | BoundExpr::Count(p) => out.push(p),
            BoundExpr::Not(x)
            | BoundExpr::Neg { operand: x, .. }
            | BoundExpr::Has { value: x, .. }
            | BoundExpr::Cast { operand: x, .. }
            | BoundExpr::IsOf {
                operand: Some(x), ..
            } => x.collect_properties(out),
            BoundExpr::And(l, r)
            | BoundExpr::Or(l, r)
            | BoundExpr::Compare {
                left: l, right: r, ..
            }
            | BoundExpr::Arith {
                left: l, right: r, ..
            } => {
                l.collect_properties(out);
                r.collect_properties(out);
            }
            BoundExpr::In { value, items } => {
                value.collect_properties(out);
                items.iter().for_each(|i| i.collect_properties(out));
            }
            BoundExpr::Call { args, .. } => args.iter().for_each(|a| a.collect_properties(out)),
            BoundExpr::Case { branches, .. } => {
                for (when, then) in branches {
                    when.collect_properties(out);
                    then.collect_properties(out);
                }
            }
            BoundExpr::Any {
                collection,
                predicate,
                ..
            } => {
                out.push(collection);
                if let Some(p) = predicate {
                    p.collect_properties(out);
                }
            }
            BoundExpr::All {
                collection,
                predicate,
                ..
            } => {
                out.push(collection);
                predicate.collect_properties(out);
            }
            BoundExpr::CountWhere {
                collection, filter, ..
            } => {
                out.push(collection);
                if let Some(f) = filter {
                    f.collect_properties(out);
                }
            }
        }
    }

    /// The static type of the node's value.
    pub fn ty(&self) -> ExprType {
        match self {
            BoundExpr::Literal { ty, .. }
            | BoundExpr::Neg { ty, .. }
            | BoundExpr::Arith { ty, .. }
            | BoundExpr::Call { ty, .. }
            | BoundExpr::Case { ty, .. }
            | BoundExpr::Cast { ty, .. } => ty.clone(),
            BoundExpr::Property(p) => p.ty.clone(),
            BoundExpr::Not(_)
            | BoundExpr::And(..)
            | BoundExpr::Or(..)
            | BoundExpr::Compare { .. }
            | BoundExpr::In { .. }
            | BoundExpr::Has { .. }
            | BoundExpr::IsOf { .. }
            | BoundExpr::Any { .. }
            | BoundExpr::All { .. } => ExprType::Primitive(PrimitiveKind::Boolean),
            BoundExpr::Count(_) | BoundExpr::CountWhere { .. } => {
                ExprType::Primitive(PrimitiveKind::Int64)
            }
        }
    }
}

/// Rank in the numeric promotion order Int32 (and smaller integers) < Int64 < Decimal <
/// Double (and Single); `None` for non-numeric kinds.
pub(crate) fn numeric_rank(kind: PrimitiveKind) -> Option<u8> {
    match kind {
        PrimitiveKind::Byte
        | PrimitiveKind::SByte
        | PrimitiveKind::Int16
        | PrimitiveKind::Int32 => Some(0),
        PrimitiveKind::Int64 => Some(1),
        PrimitiveKind::Decimal => Some(2),
        PrimitiveKind::Single | PrimitiveKind::Double => Some(3),
        _ => None,
    }
}

/// The kind standing for a promotion rank.
fn rank_kind(rank: u8) -> PrimitiveKind {
    match rank {
        0 => PrimitiveKind::Int32,
        1 => PrimitiveKind::Int64,
        2 => PrimitiveKind::Decimal,
        _ => PrimitiveKind::Double,
    }
}

/// The common type of two numeric kinds: Int32 < Int64 < Decimal < Double.
pub(crate) fn promote(a: PrimitiveKind, b: PrimitiveKind) -> Option<PrimitiveKind> {
    Some(rank_kind(numeric_rank(a)?.max(numeric_rank(b)?)))
}

/// The result kind of an arithmetic on a single numeric kind (Int16 → Int32, Single →
/// Double, others unchanged).
pub(crate) fn widen(a: PrimitiveKind) -> Option<PrimitiveKind> {
    numeric_rank(a).map(rank_kind)
}
