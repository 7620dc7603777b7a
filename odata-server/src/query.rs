//! The query string of a request: parsed once by `odata-core`'s parser, then checked for
//! options this service does not evaluate.

use odata_core::error::{ErrorKind, ODataError};
use odata_core::query::{
    AttachedSpan, BinaryOp, Expr, IndexOption, ParseError, ParseLimits, QueryOptions, Span,
    parse_query_options_with_limits,
};

/// Parses the raw query string. Syntax errors are 400 naming the option and position;
/// known options the service does not evaluate are 501 rather than silently ignored.
/// `$id` is left to [`id_for_entity_id_only`], as only the resource path tells whether it
/// applies.
pub fn parse(raw: Option<&str>, limits: &ParseLimits) -> Result<QueryOptions, ODataError> {
    let options =
        parse_query_options_with_limits(raw.unwrap_or_default(), limits).map_err(parse_error)?;
    // An integer `$index` is an insert position in an ordered collection (POST); this
    // service's collections are not ordered that way. `$index=true|false` is for reads.
    let unsupported = [(
        "$index",
        matches!(options.index, Some(IndexOption::Position(_))),
    )];
    if let Some((name, _)) = unsupported.iter().find(|(_, given)| *given) {
        return Err(ODataError::new(
            ErrorKind::NotImplemented,
            format!("The query option '{name}' is not supported yet."),
        )
        .with_target(*name));
    }
    Ok(options)
}

/// `$schemaversion` names the version of the schema a request is made against: `*` or the
/// model's own (`Core.SchemaVersion`); any other is a version this service does not serve
/// (404).
pub fn schema_version_served(
    options: &QueryOptions,
    model: &odata_core::edm::Model,
) -> Result<(), ODataError> {
    match options.schemaversion.as_deref() {
        None | Some("*") => Ok(()),
        Some(version) if model.schema_version() == Some(version) => Ok(()),
        Some(version) => Err(ODataError::not_found(format!(
            "The schema version '{version}' is not served; {}.",
            match model.schema_version() {
                Some(served) => format!("this service serves '{served}' (or use '*')"),
                None => "this service declares no schema version; use '*'".to_owned(),
            }
        ))
        .with_target("$schemaversion")),
    }
}

/// `$id` is read by `$entity` and by the deletion of a member's `$ref` (`applies` true); on
/// any other resource it means nothing, and is refused rather than ignored.
pub fn id_for_entity_id_only(options: &QueryOptions, applies: bool) -> Result<(), ODataError> {
    if options.id.is_some() && !applies {
        return Err(ODataError::bad_request(
            "The query option '$id' applies to '$entity' and to deleting a member of a \
             collection-valued navigation (DELETE …/{navigation}/$ref?$id=…) only.",
        )
        .with_target("$id"));
    }
    Ok(())
}

/// Rejects options that only apply to collections when the request addresses something
/// else (a single entity, a write).
pub fn collection_only(options: &QueryOptions) -> Result<(), ODataError> {
    match collection_option_given(options, &[]) {
        Some(name) => Err(ODataError::bad_request(format!(
            "The query option '{name}' applies to collections only."
        ))
        .with_target(name)),
        None => Ok(()),
    }
}

/// The first option given that only applies to reading a collection (`$filter`,
/// `$orderby`, `$top`, …), leaving out those named in `except`.
pub fn collection_option_given(options: &QueryOptions, except: &[&str]) -> Option<&'static str> {
    [
        ("$filter", options.filter.is_some()),
        ("$orderby", options.orderby.is_some()),
        ("$top", options.top.is_some()),
        ("$skip", options.skip.is_some()),
        ("$count", options.count.is_some()),
        ("$search", options.search.is_some()),
        ("$skiptoken", options.skiptoken.is_some()),
        ("$deltatoken", options.deltatoken.is_some()),
        ("$apply", options.apply.is_some()),
        ("$index", options.index.is_some()),
    ]
    .into_iter()
    .find(|(name, given)| *given && !except.contains(name))
    .map(|(name, _)| name)
}

/// A `/$filter(…)` path segment's expression (decoded, without the parentheses), parsed
/// as `$filter` is; errors name `$filter` and the position in the segment.
pub fn parse_path_filter(text: &str, limits: &ParseLimits) -> Result<Expr, ODataError> {
    odata_core::query::parse_filter(text, limits).map_err(parse_error)
}

/// `options` with the path's `/$filter(…)` expressions ANDed before its `$filter`: what
/// the addressed members must all meet.
pub fn with_path_filters(mut options: QueryOptions, filters: Vec<Expr>) -> QueryOptions {
    let and = |left: Expr, right: Expr| Expr::Binary {
        op: BinaryOp::And,
        left: Box::new(left),
        right: Box::new(right),
        span: AttachedSpan(Span { start: 0, end: 0 }),
    };
    let combined = filters.into_iter().chain(options.filter.take()).reduce(and);
    options.filter = combined;
    options
}

fn parse_error(e: ParseError) -> ODataError {
    let target = e.option.clone();
    ODataError::bad_request(e.to_string()).with_target(target)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn parse_default(q: &str) -> Result<QueryOptions, ODataError> {
        parse(Some(q), &ParseLimits::default())
    }

    #[test]
    fn format_is_decoded_with_plus_as_space() {
        let o = parse_default("$format=application/json%3Bodata.metadata%3Dfull&x=1").unwrap();
        assert_eq!(
            o.format.as_deref(),
            Some("application/json;odata.metadata=full")
        );
    }

    #[test]
    fn syntax_errors_name_the_option_and_position() {
        let e = parse_default("$filter=(a eq 1").unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadRequest);
        assert_eq!(e.target.as_deref(), Some("$filter"));
        assert!(e.message.starts_with("$filter: "), "{}", e.message);
        assert!(e.message.contains("position"), "{}", e.message);
    }

    #[test]
    fn unknown_repeated_and_unsupported_options() {
        assert_eq!(
            parse_default("$bogus=1").unwrap_err().kind,
            ErrorKind::BadRequest
        );
        assert_eq!(
            parse_default("$top=1&$TOP=2").unwrap_err().kind,
            ErrorKind::BadRequest
        );
        assert_eq!(
            parse_default("$index=1").unwrap_err().kind,
            ErrorKind::NotImplemented
        );
        assert!(parse_default("$deltatoken=x").is_ok());
        assert_eq!(
            parse_default("$index=3").unwrap_err().kind,
            ErrorKind::NotImplemented
        );
        let flag = parse_default("$index=true").unwrap();
        assert_eq!(flag.index, Some(IndexOption::Annotate(true)));
        assert_eq!(
            collection_only(&flag).unwrap_err().target.as_deref(),
            Some("$index")
        );
        assert_eq!(
            parse_default("$apply=frobnicate(x)")
                .unwrap_err()
                .target
                .as_deref(),
            Some("$apply")
        );
    }

    #[test]
    fn id_is_for_entity_id_only() {
        let o = parse_default("$id=products('a')").unwrap();
        assert_eq!(o.id.as_deref(), Some("products('a')"));
        assert!(id_for_entity_id_only(&o, true).is_ok());
        let e = id_for_entity_id_only(&o, false).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadRequest);
        assert_eq!(e.target.as_deref(), Some("$id"));
        let none = parse_default("$top=1").unwrap();
        assert!(id_for_entity_id_only(&none, false).is_ok());
    }
}
