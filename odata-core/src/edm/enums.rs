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
    /// Whether the model states the underlying type (then `$metadata` writes it even when
    /// it is the default `Edm.Int32`).
    pub underlying_declared: bool,
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

    /// Every bit any member sets (flags enums).
    fn mask(&self) -> i64 {
        self.members.iter().fold(0, |acc, m| acc | m.value)
    }

    /// Whether `value` is a value of the type: a member's value, or for flags enums a
    /// non-negative value whose bits are all covered by members.
    pub fn is_valid_value(&self, value: i64) -> bool {
        if self.is_flags {
            value >= 0 && value & !self.mask() == 0
        } else {
            self.member_by_value(value).is_some()
        }
    }

    /// Parses a wire value: a member name, a numeric value, or for flags enums a
    /// comma-separated list of either, in any order. Returns the numeric value, `None` for
    /// an unknown name or a value that is not one of the type ([`EnumType::is_valid_value`]).
    pub fn parse_value(&self, text: &str) -> Option<i64> {
        let one = |part: &str| -> Option<i64> {
            match self.member(part) {
                Some(m) => Some(m.value),
                None => part.parse().ok(),
            }
        };
        let value = if self.is_flags {
            text.split(',')
                .map(|p| one(p.trim()))
                .try_fold(0i64, |acc, v| v.map(|v| acc | v))?
        } else {
            one(text)?
        };
        self.is_valid_value(value).then_some(value)
    }

    /// The value of a type's "zero": the member with value 0 if there is one, else the
    /// first member's value.
    pub fn zero_value(&self) -> i64 {
        self.member_by_value(0)
            .or(self.members.first())
            .map_or(0, |m| m.value)
    }

    /// Renders a numeric value as its member name(s); `None` when no member matches. A
    /// flags value is the names of its members joined by commas in ascending value order,
    /// without spaces (`9` → `a,d`).
    pub fn format_value(&self, value: i64) -> Option<String> {
        if let Some(m) = self.member_by_value(value) {
            return Some(m.name.clone());
        }
        if !self.is_flags || !self.is_valid_value(value) {
            return None;
        }
        let mut members: Vec<&EnumMember> = self
            .members
            .iter()
            .filter(|m| m.value != 0 && value & m.value == m.value)
            .collect();
        members.sort_by_key(|m| m.value);
        let mut names: Vec<&str> = Vec::new();
        let mut covered = 0;
        for m in members {
            // A member whose bits earlier (smaller) members already cover adds nothing.
            if covered & m.value != m.value {
                names.push(m.name.as_str());
                covered |= m.value;
            }
        }
        (covered == value && !names.is_empty()).then(|| names.join(","))
    }
}
