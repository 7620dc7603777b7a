//! The OData JSON format: strict reading of request bodies against the model and writing of
//! entities with control information.

mod parameters;
mod read;
mod write;

pub use parameters::{read_parameters, read_url_arguments};
pub use read::{
    Bind, EntityPayload, Inline, Links, WriteRules, bound_navigation, default_value,
    parse_default_value, read_entity, read_entity_object, read_entity_update,
    read_entity_update_object, read_entity_update_with, read_entity_with, read_object, read_value,
    zero_value,
};
pub use write::{
    ControlInformation, EntityControl, MediaControl, MetadataLevel, PropertyValue, WriteOptions,
    write_dynamic_properties, write_entity, write_string, write_value,
};

/// Control-information name without its prefix: accepts `@odata.type` (4.0 and 4.01) and
/// `@type` (4.01 short form) and returns `type`.
pub(crate) fn control_name(key: &str) -> Option<&str> {
    key.strip_prefix("@odata.")
        .or_else(|| key.strip_prefix("odata."))
        .or_else(|| key.strip_prefix('@').filter(|k| !k.contains('.')))
}
