//! `cast` between types, where the evaluator's conversion has an exact SQL counterpart,
//! and `isof`.

use odata_core::bind::{BoundExpr, ExprType, Function};
use odata_core::edm::{ComplexTypeId, EntityTypeId, EnumTypeId, PrimitiveKind};
use odata_core::error::ODataError;
use odata_core::value::TICKS_PER_SECOND;

use super::temporal::{Dto, time_of_day_text};
use super::{Translator, Val, not_implemented};
use crate::sql::dialect::ExprDialect;
use crate::sql::frag::{Frag, frag};

impl<'a, D: ExprDialect> Translator<'a, D> {
    /// `cast(x, T)` for the conversions the evaluator defines that have an exact SQL
    /// counterpart; null when the value does not convert. Others are 501.
    pub(super) fn cast(&mut self, operand: &BoundExpr, ty: &ExprType) -> Result<Val, ODataError> {
        let from = operand.ty();
        if &from == ty {
            return self.value(operand);
        }
        if from == ExprType::Null {
            return Ok(Val::Scalar(Frag::atom("NULL")));
        }
        let value = self.value(operand)?;
        let converted = match (ty, &from, value) {
            (ExprType::Enum(id), _, Val::Scalar(v)) => self.cast_to_enum(v, &from, *id),
            (ExprType::Primitive(target), ExprType::Enum(id), Val::Scalar(v)) => {
                self.cast_enum(v, *id, *target)
            }
            (ExprType::Primitive(target), ExprType::Primitive(source), Val::Scalar(v)) => {
                self.cast_primitive(v, *source, *target)
            }
            (ExprType::Primitive(target), _, Val::Dto(d)) => match target {
                PrimitiveKind::Date => Some(self.dto_part(Function::Date, d)?),
                PrimitiveKind::TimeOfDay => Some(self.dto_part(Function::Time, d)?),
                PrimitiveKind::String => d.text.map(Val::Scalar),
                _ => None,
            },
            _ => None,
        };
        converted.ok_or_else(|| {
            not_implemented(format!(
                "cast from {} to {}",
                from.display(self.model),
                ty.display(self.model)
            ))
        })
    }

    /// Integer or String → enum (a member's value; any value of a flags enum).
    fn cast_to_enum(&mut self, v: Frag, from: &ExprType, id: EnumTypeId) -> Option<Val> {
        let e = self.model.enum_type(id);
        let integer = matches!(from, ExprType::Enum(_)) || from.is_integer();
        if integer && e.is_flags {
            return Some(Val::Scalar(v));
        }
        if integer {
            let values: Vec<Frag> = e.members.iter().map(|m| Frag::param(m.value)).collect();
            return Some(Val::Scalar(self.share(vec![v], |v| {
                let v = &v[0];
                frag![
                    "(CASE WHEN ",
                    v,
                    " IN (",
                    Frag::join(values, ", "),
                    ") THEN ",
                    v,
                    " END)"
                ]
            })));
        }
        if !from.is(PrimitiveKind::String) || e.is_flags {
            return None;
        }
        let mut case = frag!["(CASE ", v];
        for m in &e.members {
            for text in [m.name.clone(), m.value.to_string()] {
                case.push(frag![
                    " WHEN ",
                    Frag::param(text),
                    " THEN ",
                    Frag::param(m.value)
                ]);
            }
        }
        case.push(Frag::sql(" END)"));
        Some(Val::Scalar(case))
    }

    /// Enum → integer (range-checked) or String (the member name; non-flags enums).
    fn cast_enum(&mut self, v: Frag, id: EnumTypeId, target: PrimitiveKind) -> Option<Val> {
        if let Some((min, max)) = target.integer_range() {
            return Some(Val::Scalar(self.int_range(v, min, max)));
        }
        let e = self.model.enum_type(id);
        if target != PrimitiveKind::String || e.is_flags {
            return None;
        }
        let mut case = frag!["(CASE ", &v];
        for m in &e.members {
            case.push(frag![
                " WHEN ",
                Frag::param(m.value),
                " THEN ",
                Frag::param(m.name.as_str())
            ]);
        }
        case.push(frag![" ELSE CAST(", v, " AS TEXT) END)"]);
        Some(Val::Scalar(case))
    }

    fn cast_primitive(
        &mut self,
        v: Frag,
        source: PrimitiveKind,
        target: PrimitiveKind,
    ) -> Option<Val> {
        use PrimitiveKind as P;
        let real = |k: P| matches!(k, P::Double | P::Single | P::Decimal);
        let int = |k: P| k.integer_range().is_some();
        Some(Val::Scalar(match (target, source) {
            (t, s) if int(t) && int(s) => {
                let (min, max) = t.integer_range()?;
                self.int_range(v, min, max)
            }
            // Where decimals are text: truncated exactly, then range-checked.
            (t, P::Decimal)
                if int(t)
                    && let Some(truncated) = self.dialect.decimal_to_integer(v.clone()) =>
            {
                let (min, max) = t.integer_range()?;
                self.int_range(truncated, min, max)
            }
            (t, s) if int(t) && real(s) => {
                let (min, max) = t.integer_range()?;
                // Truncation toward zero lands in [min, max] exactly when
                // min - 1 < v < max + 1; doubles beyond ±9.2e18 do not convert.
                let (low, high) = if max == i64::MAX {
                    ("-9.2e18".to_owned(), "9.2e18".to_owned())
                } else {
                    (format!("{}.0", min - 1), format!("{}.0", max + 1))
                };
                let dialect = self.dialect;
                self.share(vec![v], |v| {
                    let v = &v[0];
                    frag![
                        "(CASE WHEN ",
                        v,
                        format!(" > {low} AND ").as_str(),
                        v,
                        format!(" < {high} THEN ").as_str(),
                        dialect.truncate_to_integer(v.clone()),
                        " END)"
                    ]
                })
            }
            (P::Double | P::Single, P::Decimal) => self.dialect.decimal_to_double(v),
            (P::Double | P::Single, s) if int(s) || real(s) => self.real(v),
            (P::Decimal, s) if int(s) => self.dialect.to_decimal(v),
            (P::Decimal, P::Double | P::Single)
                if let Some(d) = self.dialect.double_to_decimal(v.clone()) =>
            {
                d
            }
            // Decimal::from_f64 fails beyond the decimal range (and for ±INF).
            (P::Decimal, P::Double | P::Single) => self.share(vec![v], |v| {
                let v = &v[0];
                frag!["(CASE WHEN abs(", v, ") < 7.9e28 THEN ", v, " END)"]
            }),
            (P::Boolean, P::String) => frag![
                "(CASE lower(",
                v,
                ") WHEN 'true' THEN ",
                self.dialect.boolean(true),
                " WHEN 'false' THEN ",
                self.dialect.boolean(false),
                " END)"
            ],
            (P::String, s) if int(s) => frag!["CAST(", v, " AS TEXT)"],
            (P::String, P::Guid | P::Date) => v,
            (P::String, P::Boolean) => self.share(vec![v], |v| {
                let v = &v[0];
                frag![
                    "(CASE WHEN ",
                    v,
                    " THEN 'true' WHEN NOT ",
                    v,
                    " THEN 'false' END)"
                ]
            }),
            (P::String, P::TimeOfDay) => {
                let dialect = self.dialect;
                self.share(vec![v], |v| time_of_day_text(dialect, &v[0]))
            }
            (P::DateTimeOffset, P::Date) => {
                let ticks = frag![
                    "(",
                    self.dialect.epoch_seconds(v.clone()),
                    format!(" * {TICKS_PER_SECOND})").as_str()
                ];
                return Some(Val::Dto(Dto {
                    ticks,
                    offset: Some(frag!["(CASE WHEN ", &v, " IS NOT NULL THEN 0 END)"]),
                    text: Some(frag!["(", v, " || 'T00:00:00Z')"]),
                }));
            }
            _ => return None,
        }))
    }

    /// `v` when within `[min, max]`, else null.
    fn int_range(&mut self, v: Frag, min: i64, max: i64) -> Frag {
        if min == i64::MIN && max == i64::MAX {
            return v;
        }
        self.share(vec![v], |v| {
            let v = &v[0];
            frag![
                "(CASE WHEN ",
                v,
                format!(" BETWEEN {min} AND {max} THEN ").as_str(),
                v,
                " END)"
            ]
        })
    }

    /// `isof`: the entity's type for `$it`; otherwise null for null and the static type
    /// (for complex values the stored `@odata.type`, when present) decides.
    pub(super) fn is_of(
        &mut self,
        operand: Option<&BoundExpr>,
        entity_type: Option<EntityTypeId>,
        ty: Option<&ExprType>,
    ) -> Result<Frag, ODataError> {
        let (x, target) = match (operand, entity_type, ty) {
            (None, Some(t), _) => return Ok(frag!["(", self.type_test(t), ")"]),
            (Some(x), _, Some(t)) => (x, t),
            _ => return Ok(Frag::atom("NULL")),
        };
        let from = x.ty();
        let v = self.value(x)?.comparable();
        if let (ExprType::Complex(target), ExprType::Complex(declared)) = (target, &from) {
            let model = self.model;
            let mut derived = Vec::new();
            let mut others = Vec::new();
            for (i, c) in model.complex_types.iter().enumerate() {
                let list = if model.complex_derives_from(ComplexTypeId(i), *target) {
                    &mut derived
                } else {
                    &mut others
                };
                list.push(Frag::param(format!("#{}", c.qualified_name)));
                list.push(Frag::param(c.qualified_name.as_str()));
            }
            let default = model.complex_derives_from(*declared, *target);
            let dialect = self.dialect;
            return Ok(self.share(vec![v], |v| {
                let v = &v[0];
                let odata_type = dialect.json_extract(v.clone(), &["@odata.type".to_owned()]);
                let mut out = frag!["(CASE WHEN ", v, " IS NULL THEN NULL"];
                if !derived.is_empty() {
                    out.push(frag![
                        " WHEN ",
                        &odata_type,
                        " IN (",
                        Frag::join(derived, ", "),
                        ") THEN ",
                        dialect.boolean(true)
                    ]);
                }
                if !others.is_empty() {
                    out.push(frag![
                        " WHEN ",
                        &odata_type,
                        " IN (",
                        Frag::join(others, ", "),
                        ") THEN ",
                        dialect.boolean(false)
                    ]);
                }
                out.push(frag![" ELSE ", dialect.boolean(default), " END)"]);
                out
            }));
        }
        Ok(frag![
            "(CASE WHEN ",
            v,
            " IS NOT NULL THEN ",
            self.dialect.boolean(&from == target),
            " END)"
        ])
    }
}
