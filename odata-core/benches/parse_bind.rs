//! Parse + bind of realistic Autopilot `$filter`s against an inline model resembling
//! Microsoft Graph's `deviceManagementAutopilotEvent` and `windowsAutopilotDeviceIdentity`
//! (the `autopilot-model` crate cannot be a dependency of `odata-core`).
//!
//! Run: `cargo bench -p odata-core --bench parse_bind -- --warm-up-time 1 --measurement-time 3`

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use indexmap::IndexMap;
use odata_core::bind::{BindContext, bind_filter};
use odata_core::edm::{
    ComplexTypeDef, EntityTypeDef, EnumTypeDef, Model, ModelBuilder, PropertyDef,
};
use odata_core::query::{Expr, ParseLimits, parse_filter};
use odata_core::value::DateTimeOffset;

fn enum_def(name: &str, members: &[&str]) -> EnumTypeDef {
    members
        .iter()
        .zip(0..)
        .fold(EnumTypeDef::new(name), |e, (m, v)| e.member(*m, v))
}

fn model() -> Model {
    let p = PropertyDef::new;
    ModelBuilder::new("microsoft.graph")
        .alias("graph")
        .enum_type(enum_def(
            "windowsAutopilotDeploymentState",
            &[
                "unknown",
                "success",
                "inProgress",
                "failure",
                "successWithTimeout",
                "notAttempted",
                "disabled",
                "successOnRetry",
            ],
        ))
        .enum_type(enum_def(
            "enrollmentState",
            &[
                "unknown",
                "enrolled",
                "pendingReset",
                "failed",
                "notContacted",
                "blocked",
            ],
        ))
        .enum_type(enum_def(
            "deviceManagementAutopilotPolicyComplianceStatus",
            &[
                "unknown",
                "compliant",
                "installed",
                "notCompliant",
                "notInstalled",
                "error",
            ],
        ))
        .complex_type(
            ComplexTypeDef::new("deviceManagementAutopilotPolicyStatusDetail")
                .property(p("displayName", "Edm.String"))
                .property(p(
                    "complianceStatus",
                    "graph.deviceManagementAutopilotPolicyComplianceStatus",
                ))
                .property(p("trackedOnEnrollmentStatus", "Edm.Boolean"))
                .property(p("lastReportedDateTime", "Edm.DateTimeOffset"))
                .property(p("errorCode", "Edm.Int32")),
        )
        .entity_type(
            EntityTypeDef::new("entity")
                .abstract_type()
                .key(["id"])
                .property(p("id", "Edm.String").not_null()),
        )
        .entity_type(
            EntityTypeDef::new("deviceManagementAutopilotEvent")
                .base("graph.entity")
                .property(p(
                    "deploymentState",
                    "graph.windowsAutopilotDeploymentState",
                ))
                .property(p("enrollmentState", "graph.enrollmentState"))
                .property(p("eventDateTime", "Edm.DateTimeOffset"))
                .property(p("deploymentStartDateTime", "Edm.DateTimeOffset"))
                .property(p("deploymentDuration", "Edm.Duration"))
                .property(p("deploymentTotalDuration", "Edm.Duration"))
                .property(p("deviceSerialNumber", "Edm.String"))
                .property(p("managedDeviceName", "Edm.String"))
                .property(p("osVersion", "Edm.String"))
                .property(p("userPrincipalName", "Edm.String"))
                .property(p(
                    "windowsAutopilotDeploymentProfileDisplayName",
                    "Edm.String",
                ))
                .property(p("targetedAppCount", "Edm.Int32"))
                .property(p(
                    "policyStatusDetails",
                    "Collection(graph.deviceManagementAutopilotPolicyStatusDetail)",
                )),
        )
        .entity_type(
            EntityTypeDef::new("windowsAutopilotDeviceIdentity")
                .base("graph.entity")
                .property(p("serialNumber", "Edm.String"))
                .property(p("groupTag", "Edm.String"))
                .property(p("enrollmentState", "graph.enrollmentState"))
                .property(p("lastContactedDateTime", "Edm.DateTimeOffset")),
        )
        .build()
        .expect("valid model")
}

const EVENT: &str = "graph.deviceManagementAutopilotEvent";
const IDENTITY: &str = "graph.windowsAutopilotDeviceIdentity";

/// `(name, entity type, $filter)`.
const FILTERS: [(&str, &str, &str); 9] = [
    (
        "state_and_date",
        EVENT,
        "deploymentState eq 'failure' and eventDateTime ge 2024-01-01T00:00:00Z",
    ),
    (
        "contains_tolower",
        EVENT,
        "contains(tolower(deviceSerialNumber),'abc')",
    ),
    (
        "in_and_not_duration",
        EVENT,
        "enrollmentState in ('enrolled','failed') and not (deploymentDuration gt duration'PT10M')",
    ),
    (
        "lambda_complex",
        EVENT,
        "policyStatusDetails/any(p: p/complianceStatus eq 'error' and p/trackedOnEnrollmentStatus)",
    ),
    (
        "startswith_null_int",
        EVENT,
        "startswith(managedDeviceName,'DESKTOP-') and osVersion ne null and targetedAppCount ge 5",
    ),
    (
        "now_arith_year",
        EVENT,
        "eventDateTime ge now() sub duration'P7D' and year(deploymentStartDateTime) eq 2024",
    ),
    (
        "qualified_enum_or",
        EVENT,
        "(deploymentState eq microsoft.graph.windowsAutopilotDeploymentState'success' or \
         deploymentState eq 'successOnRetry') and deploymentTotalDuration lt duration'PT1H30M'",
    ),
    (
        "string_eq_pair",
        EVENT,
        "userPrincipalName eq 'user@contoso.com' and \
         windowsAutopilotDeploymentProfileDisplayName eq 'Default profile'",
    ),
    (
        "identity_tag_state_date",
        IDENTITY,
        "groupTag eq 'Sales' and enrollmentState ne 'enrolled' and \
         lastContactedDateTime lt 2024-06-01T00:00:00Z",
    ),
];

fn benches(c: &mut Criterion) {
    let model = model();
    let aliases: IndexMap<String, Expr> = IndexMap::new();
    let now = DateTimeOffset::parse("2024-06-01T12:00:00Z").unwrap();
    let limits = ParseLimits::default();
    let ctx = |ty: &str| BindContext {
        model: &model,
        entity_type: model.find_entity_type(ty).unwrap(),
        aliases: &aliases,
        now: now.clone(),
        limits,
    };
    // Every filter must parse and bind before it is measured.
    for (name, ty, text) in FILTERS {
        let ast = parse_filter(text, &limits).unwrap();
        bind_filter(&ctx(ty), &ast).unwrap_or_else(|e| panic!("{name}: {}", e.message));
    }

    let mut group = c.benchmark_group("parse_bind");
    for (name, ty, text) in FILTERS {
        let ctx = ctx(ty);
        group.bench_function(name, |b| {
            b.iter(|| {
                let ast = parse_filter(black_box(text), &limits).unwrap();
                black_box(bind_filter(&ctx, &ast).unwrap())
            });
        });
    }
    group.finish();

    let mut group = c.benchmark_group("bind_only");
    for (name, ty, text) in FILTERS {
        let ctx = ctx(ty);
        let ast = parse_filter(text, &limits).unwrap();
        group.bench_function(name, |b| {
            b.iter(|| black_box(bind_filter(&ctx, black_box(&ast)).unwrap()));
        });
    }
    group.finish();
}

criterion_group!(parse_bind, benches);
criterion_main!(parse_bind);
