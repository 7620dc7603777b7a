//! Enumeration types.

use super::annotation::Annotation;
use super::types::PrimitiveKind;

/// One member of an enumeration type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumMember {
    /// Member name, case-sensitive, exactly as on the wire.
    pub name: String,
    /// Its numeric value.
    pub value: i64,
    /// Annotations on the member.
    pub annotations: Vec<Annotation>,
}

/// An enumeration type.
#[derive(Debug, Clone)]
pub struct EnumType {
    /// Unqualified name.
    pub name: String,
    /// Qualified name.
    pub qualified_name: String,
    /// Underlying integer type (`Edm.Int32` unless declared otherwise).
    pub underlying: PrimitiveKind,
    /// Flags enums allow combinations of members (`a,b`).
    pub is_flags: bool,
    /// Members in declaration order.
    pub members: Vec<EnumMember>,
    /// Annotations on the type.
    pub annotations: Vec<Annotation>,
}

impl EnumType {
    /// A member by its exact name.
    pub fn member(&self, name: &str) -> Option<&EnumMember> {
        self.members.iter().find(|m| m.name == name)
    }

    /// A member by its numeric value.
    pub fn member_by_value(&self, value: i64) -> Option<&EnumMember> {
        self.members.iter().find(|m| m.value == value)
    }

    /// Comma-separated member names, for error messages.
    pub fn member_list(&self) -> String {
        self.members
            .iter()
            .map(|m| m.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Parses a wire value: a member name, a numeric value, or for flags enums a
    /// comma-separated list of either. Returns the numeric value.
    pub fn parse_value(&self, text: &str) -> Option<i64> {
        let one = |part: &str| -> Option<i64> {
            match self.member(part) {
                Some(m) => Some(m.value),
                None => {
                    let n: i64 = part.parse().ok()?;
                    (self.is_flags || self.member_by_value(n).is_some()).then_some(n)
                }
            }
        };
        if self.is_flags {
            text.split(',')
                .map(|p| one(p.trim()))
                .try_fold(0i64, |acc, v| v.map(|v| acc | v))
        } else {
            one(text)
        }
    }

    /// Renders a numeric value as its member name(s); `None` when no member matches.
    pub fn format_value(&self, value: i64) -> Option<String> {
        if let Some(m) = self.member_by_value(value) {
            return Some(m.name.clone());
        }
        if !self.is_flags {
            return None;
        }
        let mut rest = value;
        let mut names = Vec::new();
        for m in &self.members {
            if m.value != 0 && value & m.value == m.value {
                names.push(m.name.as_str());
                rest &= !m.value;
            }
        }
        (rest == 0 && !names.is_empty()).then(|| names.join(","))
    }
}
