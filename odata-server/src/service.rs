//! What a service serves: a model plus the collections it exposes and where they are stored.
//!
//! Each collection is declared as one [`CollectionDef`]: its path, its table, the
//! permissions it requires and the properties `$search` looks in.
//!
//! ```
//! use odata_core::edm::{EntityTypeDef, ModelBuilder, PropertyDef};
//! use odata_server::auth::Permissions;
//! use odata_server::service::{CollectionDef, Service};
//!
//! let model = ModelBuilder::new("example.shop")
//!     .entity_type(EntityTypeDef::new("product").key(["sku"])
//!         .property(PropertyDef::new("sku", "Edm.String").not_null())
//!         .property(PropertyDef::new("name", "Edm.String")))
//!     .entity_set("products", "product")
//!     .build()
//!     .unwrap();
//! let service = Service::builder(model)
//!     .collection(
//!         CollectionDef::new("products", "products")
//!             .permissions(Permissions::new(&["Shop.Read"], &["Shop.ReadWrite"]))
//!             .searchable(["name"]),
//!     )
//!     .build()
//!     .unwrap();
//! assert_eq!(service.collections()[0].table.name, "products");
//! ```

use odata_core::csdl::AnnotationPlacement;
use odata_core::edm::{
    Action, EntityTypeId, Model, NavigationProperty, OnDeleteAction, PrimitiveKind, TypeKind,
};
use odata_core::json::{ControlInformation, WriteRules};

use crate::action::ActionHandler;
use crate::auth::Permissions;
use crate::dataset::Dataset;
use crate::function::FunctionHandler;
use crate::media::MediaHandler;
use crate::sql::SearchPath;
use crate::store::DependentRule;
use crate::store::link_table::LinkTable;
use crate::store::table::{ColumnKind, Table};

/// Why a service definition is inconsistent with its model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// The path does not name an entity set or a singleton's contained collection.
    #[error("'{0}' is not an entity set or a collection contained in a singleton")]
    UnknownCollection(String),
    /// The name is not a singleton of the model.
    #[error("'{0}' is not a singleton of the model")]
    UnknownSingleton(String),
    /// Two declarations of the same collection path.
    #[error("'{0}' is declared twice")]
    DuplicateCollection(String),
    /// Keys must be single primitive properties or named composites of them.
    #[error("'{0}': entity type has no key")]
    NoKey(String),
    /// A property declared searchable is not a property of the collection's entity type
    /// (or of a type derived from it).
    #[error("'{path}': the searchable property '{property}' is not a property of its entity type")]
    UnknownSearchable {
        /// The collection path.
        path: String,
        /// The declared property name.
        property: String,
    },
    /// A property declared searchable is write-only (`Core.Permissions/Write`): matching
    /// `$search` terms against it would reveal its value.
    #[error(
        "'{path}': the searchable property '{property}' is write-only; $search would reveal it"
    )]
    WriteOnlySearchable {
        /// The collection path.
        path: String,
        /// The declared property name.
        property: String,
    },
    /// An effect or computation given for an action or function the model does not bind
    /// to the collection's entity type (or, for a function import, does not import).
    #[error("'{path}': '{operation}' is not an operation bound to its entity type or imported")]
    UnknownOperation {
        /// The collection path (empty for a function import).
        path: String,
        /// The operation name as given.
        operation: String,
    },
    /// A version property that is not an integer property of the collection's entity type
    /// outside its key.
    #[error(
        "'{path}': the version property '{property}' is not an integer property outside the key"
    )]
    VersionProperty {
        /// The collection path.
        path: String,
        /// The declared property name.
        property: String,
    },
    /// A type property that is not a string property of the collection's entity type.
    #[error("'{path}': the type property '{property}' is not a string property")]
    TypeProperty {
        /// The collection path.
        path: String,
        /// The declared property name.
        property: String,
    },
    /// A creation timestamp that is not a DateTimeOffset property of the collection's
    /// entity type.
    #[error("'{path}': the creation timestamp '{property}' is not a DateTimeOffset property")]
    CreationTimestamp {
        /// The collection path.
        path: String,
        /// The declared property name.
        property: String,
    },
    /// A property with range counts that is not a DateTimeOffset property of the
    /// collection's entity type.
    #[error("'{path}': the range-counted property '{property}' is not a DateTimeOffset property")]
    RangeCount {
        /// The collection path.
        path: String,
        /// The declared property name.
        property: String,
    },
    /// A property with a trigram index that is not a string property of the collection's
    /// entity type.
    #[error("'{path}': the trigram-indexed property '{property}' is not a string property")]
    TrigramIndex {
        /// The collection path.
        path: String,
        /// The declared property name.
        property: String,
    },
    /// A navigation binding that does not fit the model: the navigation property is
    /// missing or of the other cardinality, the target collection is not served or holds
    /// another type, its key is not a single property, or an inverse names no reference
    /// back.
    #[error("'{path}': navigation '{navigation}': {reason}")]
    Navigation {
        /// The collection path.
        path: String,
        /// The navigation property.
        navigation: String,
        /// What does not fit.
        reason: String,
    },
}

/// One addressable collection: an entity set (`products`) or a collection-valued containment
/// navigation of a singleton (`deviceManagement/autopilotEvents`).
#[derive(Debug, Clone)]
pub struct Collection {
    /// URL path below the service root, segments joined by `/`.
    pub path: String,
    /// The path segments.
    pub segments: Vec<String>,
    /// Declared entity type of its members.
    pub entity_type: EntityTypeId,
    /// Where its members are stored.
    pub table: Table,
    /// Indexes into `table.columns` of the string properties `$search` looks in.
    pub searchable: Vec<crate::sql::SearchPath>,
    /// The permissions reading and writing it require (see [`crate::auth::authorize`]);
    /// `None`: closed to every authenticated caller.
    pub permissions: Option<Permissions>,
    /// Its entities' navigation properties that are bound to storage.
    pub navigations: Vec<Navigation>,
    /// The effects of the actions bound to its entities, by qualified action name.
    pub actions: Vec<(String, ActionHandler)>,
    /// The effects of the actions bound to the collection, by qualified action name.
    pub collection_actions: Vec<(String, ActionHandler)>,
    /// The computations of the functions bound to its entities, by overload (see
    /// [`overload_key`]).
    pub functions: Vec<(String, FunctionHandler)>,
    /// The computations of the functions bound to the collection, by overload.
    pub collection_functions: Vec<(String, FunctionHandler)>,
    /// For a collection contained in the entities of another: where. It is then reached
    /// only through its parent entity (`parent/{key}/navigation`), never at its own path.
    pub containment: Option<Containment>,
    /// Read only: every write is refused with 405 (see [`CollectionDef::read_only`]).
    pub read_only: bool,
    /// What uploads of its media streams write to its entities' properties (media entity
    /// types only; see [`crate::media`]).
    pub media: Option<MediaHandler>,
    /// A stored singleton of the model (see [`SingletonDef`]): `path` is the singleton's
    /// name, its table holds one row per tenant, and it has no key in URLs.
    pub singleton: bool,
    /// The rows of other collections that hold the key of one of its entities, and what
    /// deleting the entity does to them: the entities it contains are deleted; those whose
    /// foreign key (a referential constraint) refers to it follow the `OnDelete` of the
    /// navigation property leading to them.
    pub dependents: Vec<Dependent>,
}

/// Rows of a collection that depend on an entity of another: see
/// [`Collection::dependents`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dependent {
    /// The dependent collection (index into [`Service::collections`]).
    pub collection: usize,
    /// Its column holding the principal's key (index into its `table.columns`).
    pub column: usize,
    /// What deleting the principal does to them.
    pub rule: DependentRule,
}

/// Where the entities of a contained collection live: inside one entity each of the
/// parent collection, whose key their `_parent` column holds.
#[derive(Debug, Clone)]
pub struct Containment {
    /// The parent collection (index into [`Service::collections`]).
    pub parent: usize,
    /// The parent's containment navigation property.
    pub navigation: String,
    /// The `_parent` column (index into the contained collection's `table.columns`).
    pub column: usize,
}

impl Collection {
    /// The navigation property `name`, when it is bound to storage.
    pub fn navigation(&self, name: &str) -> Option<&Navigation> {
        self.navigations.iter().find(|n| n.name == name)
    }

    /// The effect of the bound action with this qualified name (bound to the entities, or
    /// with `collection` to the collection), when the service gives it one.
    pub fn action(&self, qualified_name: &str, collection: bool) -> Option<&ActionHandler> {
        let actions = if collection {
            &self.collection_actions
        } else {
            &self.actions
        };
        lookup(actions, qualified_name)
    }

    /// The computation of the bound function overload `function` (bound to the entities,
    /// or with `collection` to the collection), when the service gives it one.
    pub fn function(&self, function: &Action, collection: bool) -> Option<&FunctionHandler> {
        let functions = if collection {
            &self.collection_functions
        } else {
            &self.functions
        };
        lookup(functions, &overload_key(function))
    }
}

/// A navigation property of a collection's entities, bound to storage: where the related
/// entities are and how they are linked.
#[derive(Debug, Clone)]
pub struct Navigation {
    /// The navigation property's name.
    pub name: String,
    /// The collection of the related entities (index into [`Service::collections`]).
    pub target: usize,
    /// How the entities are linked.
    pub link: Link,
}

impl Navigation {
    /// Whether it leads to a collection of entities.
    pub fn is_collection(&self) -> bool {
        matches!(self.link, Link::Inverse { .. } | Link::Many { .. })
    }
}

/// How a [`Navigation`]'s entities are linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// Single-valued: the source table's column (index into its `table.columns`) holds the
    /// related entity's key, null when there is none.
    Reference {
        /// The reference column in the source table.
        column: usize,
    },
    /// Collection-valued: the related entities are the target's members whose reference
    /// column (index into the target's `table.columns`) holds the source entity's key.
    Inverse {
        /// The reference column in the target table.
        column: usize,
    },
    /// Collection-valued, many-to-many: the related entities are those whose key a row of
    /// the link table pairs with the source entity's key (see [`CollectionDef::many`]).
    Many {
        /// The link table (boxed: a table mapping is far larger than the other variants).
        table: Box<LinkTable>,
    },
}

/// The key a handler of the operation overload `operation` is kept under:
/// `ns.Name(a,b)`, its non-binding parameter names sorted.
pub fn overload_key(operation: &Action) -> String {
    format!("{}({})", operation.qualified_name, operation.signature())
}

fn lookup<'h, H>(handlers: &'h [(String, H)], key: &str) -> Option<&'h H> {
    handlers.iter().find(|(k, _)| k == key).map(|(_, h)| h)
}

/// Resolves registrations `Name` (every overload of that name) and `Name(a,b)` (the
/// overload whose non-binding parameters are exactly `a` and `b`, in any order; `Name()`:
/// the one without) against `overloads(Name)`, keyed by [`overload_key`]. A registration
/// naming one overload wins over one naming them all.
fn resolve_overloads<'m, H: Clone>(
    registrations: Vec<(String, H)>,
    overloads: impl Fn(&str) -> Vec<&'m Action>,
    unknown: impl Fn(String) -> ServiceError,
) -> Result<Vec<(String, H)>, ServiceError> {
    let mut resolved: Vec<(String, H, bool)> = Vec::new();
    for (registered, handler) in registrations {
        let (name, parameters) = match registered.split_once('(') {
            Some((name, rest)) => (name, rest.strip_suffix(')')),
            None => (registered.as_str(), None),
        };
        if registered.contains('(') && parameters.is_none() {
            return Err(unknown(registered));
        }
        let given: Option<Vec<&str>> = parameters.map(|p| {
            p.split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .collect()
        });
        let targets: Vec<&Action> = overloads(name)
            .into_iter()
            .filter(|a| {
                given
                    .as_ref()
                    .is_none_or(|g| a.declares_exactly(g.iter().copied()))
            })
            .collect();
        if targets.is_empty() {
            return Err(unknown(registered));
        }
        let specific = given.is_some();
        for target in targets {
            let key = overload_key(target);
            match resolved.iter_mut().find(|(k, ..)| *k == key) {
                Some(slot) if specific || !slot.2 => {
                    slot.1 = handler.clone();
                    slot.2 = specific;
                }
                Some(_) => {}
                None => resolved.push((key, handler.clone(), specific)),
            }
        }
    }
    Ok(resolved.into_iter().map(|(k, h, _)| (k, h)).collect())
}

/// A model with its collections bound to storage. Built once at start-up.
#[derive(Debug, Clone)]
pub struct Service {
    model: Model,
    collections: Vec<Collection>,
    function_imports: Vec<(String, FunctionHandler)>,
    initial_data: Option<Dataset>,
    write_rules: WriteRules,
    control_information: ControlInformation,
    write_answers: WriteAnswers,
    metadata_style: MetadataStyle,
    action_imports: Vec<(String, ActionHandler)>,
    batch_continues_on_error: bool,
}

/// How `$metadata` describes a service besides its model. The default states the
/// framework's capabilities (the Capabilities vocabulary: supported query options,
/// functions, restrictions) and writes annotations inline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetadataStyle {
    /// Where the XML document writes annotations.
    pub placement: AnnotationPlacement,
    /// State the framework's capabilities. Without them, only what the service declares
    /// is annotated: its model's annotations, read-only collections, version properties.
    pub capabilities: bool,
}

impl Default for MetadataStyle {
    fn default() -> Self {
        Self {
            placement: AnnotationPlacement::Inline,
            capabilities: true,
        }
    }
}

/// How successful writes answer where OData leaves the choice to the service. The default
/// answers updates with 200 and the entity and a `return=minimal` create with 204.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteAnswers {
    /// PATCH and PUT without a `return` preference answer 204 No Content (with the ETag).
    pub updates_without_content: bool,
    /// A create with `Prefer: return=minimal` answers 201 Created with an empty body, so
    /// every create has one status.
    pub minimal_creates_created: bool,
}

impl WriteAnswers {
    /// Updates answer 204 unless the entity is asked for; every create answers 201.
    pub fn minimal() -> Self {
        Self {
            updates_without_content: true,
            minimal_creates_created: true,
        }
    }
}

impl Service {
    /// Starts a service definition over a model.
    pub fn builder(model: Model) -> ServiceBuilder {
        ServiceBuilder {
            model,
            collections: Vec::new(),
            singletons: Vec::new(),
            function_imports: Vec::new(),
            initial_data: None,
            write_rules: WriteRules::default(),
            control_information: ControlInformation::default(),
            write_answers: WriteAnswers::default(),
            metadata_style: MetadataStyle::default(),
            action_imports: Vec::new(),
            batch_continues_on_error: false,
        }
    }

    /// Whether a `$batch` goes on after a failed request without the client asking for it;
    /// see [`ServiceBuilder::batch_continues_on_error`].
    pub fn batch_continues_on_error(&self) -> bool {
        self.batch_continues_on_error
    }

    /// How `$metadata` describes the service; see [`ServiceBuilder::metadata_style`].
    pub fn metadata_style(&self) -> MetadataStyle {
        self.metadata_style
    }

    /// How successful writes answer; see [`ServiceBuilder::write_answers`].
    pub fn write_answers(&self) -> WriteAnswers {
        self.write_answers
    }

    /// The control information written on every entity; see
    /// [`ServiceBuilder::control_information`].
    pub fn control_information(&self) -> ControlInformation {
        self.control_information
    }

    /// How entity bodies are read and completed; see [`ServiceBuilder::write_rules`].
    pub fn write_rules(&self) -> WriteRules {
        self.write_rules
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The collections, in registration order.
    pub fn collections(&self) -> &[Collection] {
        &self.collections
    }

    /// The collection a [`Navigation`] leads to.
    pub fn target(&self, navigation: &Navigation) -> &Collection {
        &self.collections[navigation.target]
    }

    /// The link tables of the many-to-many navigations, each once (see
    /// [`CollectionDef::many`]).
    pub fn link_tables(&self) -> Vec<&LinkTable> {
        let mut out: Vec<&LinkTable> = Vec::new();
        for navigation in self.collections.iter().flat_map(|c| &c.navigations) {
            if let Link::Many { table } = &navigation.link
                && out.iter().all(|t| t.name() != table.name())
            {
                out.push(table);
            }
        }
        out
    }

    /// The link tables that hold keys of `collection`'s entities, each with the column
    /// holding them ([`LinkTable::SOURCE`] or [`LinkTable::TARGET`]): the links to remove
    /// when such an entity is deleted.
    pub fn links_of(&self, collection: &Collection) -> Vec<(&LinkTable, usize)> {
        let mut out = Vec::new();
        for source in &self.collections {
            for navigation in &source.navigations {
                let Link::Many { table } = &navigation.link else {
                    continue;
                };
                let table: &LinkTable = table;
                if source.path == collection.path {
                    out.push((table, LinkTable::SOURCE));
                }
                if self.collections[navigation.target].path == collection.path {
                    out.push((table, LinkTable::TARGET));
                }
            }
        }
        out
    }

    /// The collection (or stored singleton) at `path`.
    pub fn collection(&self, path: &str) -> Option<&Collection> {
        self.collections.iter().find(|c| c.path == path)
    }

    /// The stored singleton `name`, when the service stores it (see [`SingletonDef`]).
    pub fn stored_singleton(&self, name: &str) -> Option<&Collection> {
        self.collections
            .iter()
            .find(|c| c.singleton && c.path == name)
    }

    /// The data written at start-up into an empty store, if any.
    pub fn initial_data(&self) -> Option<&Dataset> {
        self.initial_data.as_ref()
    }

    /// The computation of the overload `function` of a function import, when the service
    /// gives it one.
    pub fn function_import(&self, function: &Action) -> Option<&FunctionHandler> {
        lookup(&self.function_imports, &overload_key(function))
    }

    /// The effect of the action import `name`, when the service gives it one.
    pub fn action_import(&self, name: &str) -> Option<&ActionHandler> {
        lookup(&self.action_imports, name)
    }
}

/// One served collection, declared in one value: where it is (`path`: an entity set name,
/// or `singleton/navigation` for a contained collection), where it is stored (`table`),
/// what reading and writing it require, and what `$search` looks in.
/// [`ServiceBuilder::build`] checks every name against the model.
#[derive(Debug, Clone)]
pub struct CollectionDef {
    path: String,
    table: String,
    permissions: Option<Permissions>,
    searchable: Option<Vec<String>>,
    links: Vec<LinkDef>,
    actions: Vec<(String, ActionHandler)>,
    collection_actions: Vec<(String, ActionHandler)>,
    functions: Vec<(String, FunctionHandler)>,
    collection_functions: Vec<(String, FunctionHandler)>,
    contained: Vec<(String, String)>,
    read_only: bool,
    media: Option<MediaHandler>,
    version: Option<String>,
    creation_timestamps: Vec<String>,
    range_counts: Vec<String>,
    trigram_indexes: Vec<String>,
    type_property: Option<String>,
    insertion_order: bool,
    track_changes: bool,
}

/// A declared navigation binding, resolved by [`ServiceBuilder::build`].
#[derive(Debug, Clone)]
enum LinkDef {
    Reference {
        navigation: String,
        target: String,
    },
    Inverse {
        navigation: String,
        target: String,
        via: String,
    },
    Many {
        navigation: String,
        target: String,
        link_table: String,
    },
}

impl CollectionDef {
    /// The collection at `path`, stored in table `table`; no permissions declared (closed
    /// to every caller when authentication is on) and the default searchable properties.
    pub fn new(path: impl Into<String>, table: impl Into<String>) -> Self {
        Self {
            path: path.into(),
            table: table.into(),
            permissions: None,
            searchable: None,
            links: Vec::new(),
            actions: Vec::new(),
            collection_actions: Vec::new(),
            functions: Vec::new(),
            collection_functions: Vec::new(),
            contained: Vec::new(),
            read_only: false,
            media: None,
            version: None,
            creation_timestamps: Vec::new(),
            range_counts: Vec::new(),
            trigram_indexes: Vec::new(),
            type_property: None,
            insertion_order: false,
            track_changes: false,
        }
    }

    /// Lists the collection's entities in the order they were created when a request
    /// gives no `$orderby`, and breaks the ties of a `$orderby` in that order (instead of
    /// by key). The table needs the integer column `_seq` (see
    /// [`SEQUENCE_COLUMN`](crate::store::table::SEQUENCE_COLUMN)); on PostgreSQL an
    /// identity column fills it:
    ///
    /// ```sql
    /// -- SQLite
    /// ALTER TABLE "items" ADD COLUMN "_seq" INTEGER;
    /// CREATE UNIQUE INDEX "items_seq" ON "items" ("_seq");
    /// -- PostgreSQL
    /// ALTER TABLE "items" ADD COLUMN "_seq" BIGINT GENERATED BY DEFAULT AS IDENTITY;
    /// CREATE UNIQUE INDEX "items_seq" ON "items" ("_seq");
    /// ```
    pub fn insertion_order(mut self) -> Self {
        self.insertion_order = true;
        self
    }

    /// Tracks changes to the collection's entities (OData change tracking, see
    /// [`crate::delta`]): `GET` of the collection with `Prefer: odata.track-changes` (or
    /// `track-changes`) answers `Preference-Applied` and ends with an `@odata.deltaLink`,
    /// and `GET` of that link lists the entities created, changed and deleted since.
    /// Every write to its entities is recorded in a change log the store keeps in the same
    /// transaction ([`crate::store::changes`]). Collections without it ignore the
    /// preference.
    ///
    /// ```
    /// use odata_server::service::CollectionDef;
    /// let products = CollectionDef::new("Products", "products").track_changes();
    /// # let _ = products;
    /// ```
    pub fn track_changes(mut self) -> Self {
        self.track_changes = true;
        self
    }

    /// Makes the string property `name` name each entity's concrete type (the type's
    /// unqualified name, e.g. `special` for `ns.special`): a create takes its type from
    /// `@odata.type`, else from this property, else the collection's type, and the two must
    /// agree; the property is then set to the type's name and never changes (an update
    /// naming another type is a 400, a replacement keeps it).
    pub fn type_property(mut self, name: impl Into<String>) -> Self {
        self.type_property = Some(name.into());
        self
    }

    /// DateTimeOffset properties stamped with the time an entity is created (in whole
    /// seconds) when the create leaves them out; those that are computed never change
    /// afterwards (other computed timestamps are refreshed by every write).
    pub fn creation_timestamps<I, S>(mut self, properties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.creation_timestamps = properties.into_iter().map(Into::into).collect();
        self
    }

    /// Keeps, per tenant and UTC day, the number of entities whose DateTimeOffset property
    /// `name` falls in that day, in the same transaction as every write (database
    /// triggers the store creates at startup, filled from the stored rows the first
    /// time). A `$count` whose `$filter` is a range on that property (`ge`/`gt`/`lt`/`le`
    /// literals, ANDed) then adds up the days the range covers and counts only the rows
    /// of its two partial days, instead of walking every index entry of the range: the
    /// cost follows the number of days, not of entities. Exact whatever was written.
    ///
    /// ```
    /// use odata_server::service::CollectionDef;
    /// let events = CollectionDef::new("events", "events").range_counts("occurredAt");
    /// # let _ = events;
    /// ```
    pub fn range_counts(mut self, name: impl Into<String>) -> Self {
        self.range_counts.push(name.into());
        self
    }

    /// Keeps a trigram index of the string property `name` (created by the store at
    /// startup and filled from the stored rows the first time; kept by the database in the
    /// transaction of every write): on SQLite an FTS5 table with the `trigram` tokenizer
    /// over the collection's table (which must be a rowid table; an index on `_tenant`
    /// and the property finds the rows of the values it matches), on PostgreSQL a
    /// `pg_trgm` GIN index. A `$filter` that requires `contains` or `endswith` of the property with a
    /// literal long enough to be selective then reads the candidate rows from the index
    /// instead of testing every row of the tenant; the answer is exactly the same (the
    /// index only narrows the rows the function is tested on).
    ///
    /// ```
    /// use odata_server::service::CollectionDef;
    /// let devices = CollectionDef::new("devices", "devices").trigram_index("serialNumber");
    /// # let _ = devices;
    /// ```
    pub fn trigram_index(mut self, name: impl Into<String>) -> Self {
        self.trigram_indexes.push(name.into());
        self
    }

    /// Makes the integer property `name` mirror each entity's version, the source of its
    /// ETag (`W/"<version>"`): 1 when created, one more with every change. A client's
    /// value for it is never stored (declare it `Core.Computed`).
    pub fn version_property(mut self, name: impl Into<String>) -> Self {
        self.version = Some(name.into());
        self
    }

    /// Makes the collection read only: POST, PATCH, PUT and DELETE on it, its entities,
    /// their streams, references and bound actions answer 405 with `Allow: GET, HEAD`.
    /// `$metadata` says so on its entity set: `Core.Permissions` `Read` and
    /// `Capabilities.InsertRestrictions`, `UpdateRestrictions` and `DeleteRestrictions`
    /// with `false`.
    pub fn read_only(mut self) -> Self {
        self.read_only = true;
        self
    }

    /// What uploads of the media streams of the collection's entities (a media entity type)
    /// write to their properties; see [`crate::media`]. Without it, uploads write the
    /// stream and its media type only.
    pub fn media(mut self, handler: MediaHandler) -> Self {
        self.media = Some(handler);
        self
    }

    /// Binds the single-valued navigation property `navigation` to the collection at
    /// `target`: the column `{navigation}__id` of this collection's table holds the key of
    /// the related entity (null: none). The target's key must be one property.
    pub fn reference(mut self, navigation: impl Into<String>, target: impl Into<String>) -> Self {
        self.links.push(LinkDef::Reference {
            navigation: navigation.into(),
            target: target.into(),
        });
        self
    }

    /// Binds the collection-valued navigation property `navigation` to the members of the
    /// collection at `target` whose reference `via` (declared there with
    /// [`CollectionDef::reference`]) leads to this collection's entity.
    pub fn inverse(
        mut self,
        navigation: impl Into<String>,
        target: impl Into<String>,
        via: impl Into<String>,
    ) -> Self {
        self.links.push(LinkDef::Inverse {
            navigation: navigation.into(),
            target: target.into(),
            via: via.into(),
        });
        self
    }

    /// Binds the collection-valued navigation property `navigation` to the members of the
    /// collection at `target` that rows of the table `link_table` pair with this
    /// collection's entity: a many-to-many relationship (no partner reference needed).
    /// The link table has the columns `_tenant`, `source` (this entity's key) and `target`
    /// (the related entity's key), primary key all three; see
    /// [`crate::store::link_table`]. Both keys must be single properties.
    ///
    /// Links are added and removed with `$ref` and binds, follow the entities' tenant, and
    /// disappear with either entity.
    ///
    /// ```
    /// use odata_core::edm::{EntityTypeDef, ModelBuilder, NavigationDef, PropertyDef};
    /// use odata_server::service::{CollectionDef, Link, Service};
    ///
    /// let model = ModelBuilder::new("example.blog")
    ///     .entity_type(EntityTypeDef::new("tag").key(["name"])
    ///         .property(PropertyDef::new("name", "Edm.String").not_null()))
    ///     .entity_type(EntityTypeDef::new("article").key(["id"])
    ///         .property(PropertyDef::new("id", "Edm.Int32").not_null())
    ///         .navigation(NavigationDef::new("tags", "Collection(example.blog.tag)")))
    ///     .entity_set("articles", "article")
    ///     .entity_set("tags", "tag")
    ///     .build()
    ///     .unwrap();
    /// let service = Service::builder(model)
    ///     .collection(CollectionDef::new("articles", "articles").many("tags", "tags", "article_tags"))
    ///     .collection(CollectionDef::new("tags", "tags"))
    ///     .build()
    ///     .unwrap();
    /// let tags = service.collections()[0].navigation("tags").unwrap();
    /// assert!(matches!(&tags.link, Link::Many { table } if table.name() == "article_tags"));
    /// ```
    pub fn many(
        mut self,
        navigation: impl Into<String>,
        target: impl Into<String>,
        link_table: impl Into<String>,
    ) -> Self {
        self.links.push(LinkDef::Many {
            navigation: navigation.into(),
            target: target.into(),
            link_table: link_table.into(),
        });
        self
    }

    /// Stores the containment navigation property `navigation` (collection-valued,
    /// `ContainsTarget`) of the collection's entities in table `table`, whose column
    /// `_parent` holds the key of the entity containing each row. Its entities are read and
    /// written through their parent (`collection/{key}/navigation[/{key}]`), with the
    /// parent's permissions, and deleted with it.
    pub fn contains(mut self, navigation: impl Into<String>, table: impl Into<String>) -> Self {
        self.contained.push((navigation.into(), table.into()));
        self
    }

    /// Gives the action `name` (qualified or not) bound to the collection's entity type its
    /// effect; see [`crate::action`]. An action without one answers 501.
    pub fn action(mut self, name: impl Into<String>, handler: ActionHandler) -> Self {
        self.actions.push((name.into(), handler));
        self
    }

    /// Gives the action `name` (qualified or not) bound to a collection of the
    /// collection's entity type (`POST collection/name`) its effect; see [`crate::action`].
    pub fn collection_action(mut self, name: impl Into<String>, handler: ActionHandler) -> Self {
        self.collection_actions.push((name.into(), handler));
        self
    }

    /// Gives the function `name` (qualified or not) bound to the collection's entity type
    /// its computation; see [`crate::function`]. A function without one answers 501.
    ///
    /// `name` alone covers every overload of that name (the handler sees which parameters
    /// were given); `name(a,b)` covers the overload whose parameters are exactly `a` and
    /// `b` (in any order; `name()`: the one without parameters) and wins over `name`.
    pub fn function(mut self, name: impl Into<String>, handler: FunctionHandler) -> Self {
        self.functions.push((name.into(), handler));
        self
    }

    /// Gives the function `name` bound to a collection of the collection's entity type
    /// (`GET collection/name(…)`) its computation, overloads named as for
    /// [`CollectionDef::function`]; the handler sees the collection's members
    /// ([`FunctionCall::members`](crate::function::FunctionCall::members)).
    pub fn collection_function(
        mut self,
        name: impl Into<String>,
        handler: FunctionHandler,
    ) -> Self {
        self.collection_functions.push((name.into(), handler));
        self
    }

    /// The permissions (delegated scopes or application roles) reading and writing the
    /// collection require: the one place a model states its access rules, enforced by
    /// [`crate::auth::authorize`] for every request and feature.
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = Some(permissions);
        self
    }

    /// The string properties `$search` matches (default: every string property of the
    /// entity type that is not write-only). Each must be a property of the entity type or
    /// of a type derived from it, and not write-only.
    pub fn searchable<I, S>(mut self, properties: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.searchable = Some(properties.into_iter().map(Into::into).collect());
        self
    }

    /// The collection path.
    pub fn path(&self) -> &str {
        &self.path
    }
}

/// Registers collections and their tables; see [`Service`].
#[derive(Debug)]
pub struct ServiceBuilder {
    model: Model,
    collections: Vec<CollectionDef>,
    singletons: Vec<SingletonDef>,
    function_imports: Vec<(String, FunctionHandler)>,
    initial_data: Option<Dataset>,
    write_rules: WriteRules,
    control_information: ControlInformation,
    write_answers: WriteAnswers,
    metadata_style: MetadataStyle,
    action_imports: Vec<(String, ActionHandler)>,
    batch_continues_on_error: bool,
}

/// A singleton of the model stored in a table of its own, one row per tenant: read with
/// `GET /{name}` (with `$select`, property paths and `/$value`), updated with PATCH and
/// PUT (If-Match optional; 204 unless `return=representation`); POST and DELETE answer
/// 405. The service writes its row (there is no create through HTTP); a tenant without
/// one gets 404. The table is laid out as a collection's (see [`crate::store::table`]).
///
/// ```
/// use odata_core::edm::{EntityTypeDef, ModelBuilder, PropertyDef};
/// use odata_server::service::{Service, SingletonDef};
///
/// let model = ModelBuilder::new("example.shop")
///     .entity_type(EntityTypeDef::new("company").key(["id"])
///         .property(PropertyDef::new("id", "Edm.Guid").not_null())
///         .property(PropertyDef::new("name", "Edm.String")))
///     .singleton("Company", "company")
///     .build()
///     .unwrap();
/// let service = Service::builder(model)
///     .singleton(SingletonDef::new("Company", "company"))
///     .build()
///     .unwrap();
/// assert_eq!(service.stored_singleton("Company").unwrap().table.name, "company");
/// ```
#[derive(Debug, Clone)]
pub struct SingletonDef {
    name: String,
    table: String,
    permissions: Option<Permissions>,
    version: Option<String>,
}

impl SingletonDef {
    /// The model's singleton `name`, stored in table `table`.
    pub fn new(name: impl Into<String>, table: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            table: table.into(),
            permissions: None,
            version: None,
        }
    }

    /// Makes the integer property `name` mirror the singleton's version; see
    /// [`CollectionDef::version_property`].
    pub fn version_property(mut self, name: impl Into<String>) -> Self {
        self.version = Some(name.into());
        self
    }

    /// The permissions reading and updating it require (as for a collection).
    pub fn permissions(mut self, permissions: Permissions) -> Self {
        self.permissions = Some(permissions);
        self
    }
}

impl ServiceBuilder {
    /// Runs every request of a `$batch` whose dependencies succeeded, even after another
    /// failed, unless the client prefers `odata.continue-on-error=false` (as Microsoft
    /// Graph and many clients expect). By default a batch stops at its first failure
    /// unless the client prefers `odata.continue-on-error`, as OData specifies.
    pub fn batch_continues_on_error(mut self) -> Self {
        self.batch_continues_on_error = true;
        self
    }

    /// How `$metadata` describes the service (default: see [`MetadataStyle`]).
    pub fn metadata_style(mut self, style: MetadataStyle) -> Self {
        self.metadata_style = style;
        self
    }

    /// How successful writes answer (default: see [`WriteAnswers`]).
    pub fn write_answers(mut self, answers: WriteAnswers) -> Self {
        self.write_answers = answers;
        self
    }

    /// The control information written on every entity in minimal metadata (default:
    /// Microsoft Graph's, see [`ControlInformation`]).
    pub fn control_information(mut self, written: ControlInformation) -> Self {
        self.control_information = written;
        self
    }

    /// Data the service writes at start-up into a store that holds none (no row of any
    /// served collection, in the tenant of unauthenticated callers); see
    /// [`crate::dataset`].
    pub fn initial_data(mut self, dataset: Dataset) -> Self {
        self.initial_data = Some(dataset);
        self
    }

    /// How entity bodies are read and completed (default: Microsoft Graph's rules, see
    /// [`WriteRules`]). With [`WriteRules::standard`] a create must set every non-nullable
    /// property without a `DefaultValue` that is not computed, and computed values in
    /// bodies are ignored.
    pub fn write_rules(mut self, rules: WriteRules) -> Self {
        self.write_rules = rules;
        self
    }

    /// Serves a collection; see [`CollectionDef`].
    pub fn collection(mut self, collection: CollectionDef) -> Self {
        self.collections.push(collection);
        self
    }

    /// Serves a singleton of the model from a table; see [`SingletonDef`].
    pub fn singleton(mut self, singleton: SingletonDef) -> Self {
        self.singletons.push(singleton);
        self
    }

    /// Gives the model's function import `name` its computation; see
    /// [`crate::function`]. An import without one answers 501. Overloads are named as
    /// for [`CollectionDef::function`]: `name` for all, `name(a,b)` for one.
    pub fn function_import(mut self, name: impl Into<String>, handler: FunctionHandler) -> Self {
        self.function_imports.push((name.into(), handler));
        self
    }

    /// Gives the model's action import `name` its effect; see [`crate::action`]. An
    /// import without one answers 501.
    pub fn action_import(mut self, name: impl Into<String>, handler: ActionHandler) -> Self {
        self.action_imports.push((name.into(), handler));
        self
    }

    /// Checks every declaration against the model and derives the table mappings.
    ///
    /// Errors: a path that is not a collection of the model or is declared twice, an
    /// entity type without key, a searchable name that is not a property or is write-only.
    pub fn build(self) -> Result<Service, ServiceError> {
        let model = self.model;
        let write_rules = self.write_rules;
        let mut collections: Vec<Collection> = Vec::with_capacity(self.collections.len());
        let mut links = Vec::with_capacity(self.collections.len());
        let mut contained = Vec::new();
        for def in self.collections {
            if collections.iter().any(|c| c.path == def.path) {
                return Err(ServiceError::DuplicateCollection(def.path));
            }
            let segments: Vec<String> = def.path.split('/').map(str::to_owned).collect();
            let entity_type = resolve_collection(&model, &segments)
                .ok_or_else(|| ServiceError::UnknownCollection(def.path.clone()))?;
            if model.entity_type(entity_type).key.is_empty() {
                return Err(ServiceError::NoKey(def.path));
            }
            let mut table = Table::new(&model, entity_type, def.table);
            table.insertion_order = def.insertion_order;
            table.version = version_column(&table, &def.path, def.version.as_deref())?;
            table.track_changes = def.track_changes;
            table.type_property = def
                .type_property
                .as_deref()
                .map(|name| {
                    string_column(&table, name).ok_or_else(|| ServiceError::TypeProperty {
                        path: def.path.clone(),
                        property: name.to_owned(),
                    })
                })
                .transpose()?;
            table.creation_timestamps = def
                .creation_timestamps
                .iter()
                .map(|name| timestamp_column(&table, &def.path, name))
                .collect::<Result<_, _>>()?;
            table.range_counts =
                declared_columns(&def.range_counts, |name| date_time_column(&table, name))
                    .map_err(|property| ServiceError::RangeCount {
                        path: def.path.clone(),
                        property,
                    })?;
            table.trigram_indexes =
                declared_columns(&def.trigram_indexes, |name| string_column(&table, name))
                    .map_err(|property| ServiceError::TrigramIndex {
                        path: def.path.clone(),
                        property,
                    })?;
            let searchable =
                searchable_columns(&model, &table, &def.path, def.searchable.as_deref())?;
            links.push(def.links);
            let unknown = |operation: String| ServiceError::UnknownOperation {
                path: def.path.clone(),
                operation,
            };
            // Operations bound to the type, a base of it, or a type derived from it (the
            // members of that type are reached through a type cast).
            let types = model.entity_type_and_subtypes(entity_type);
            let bound_actions = |registrations: Vec<(String, ActionHandler)>, collection: bool| {
                registrations
                    .into_iter()
                    .map(|(name, handler)| {
                        match types
                            .iter()
                            .find_map(|&t| model.bound_action(t, collection, &name))
                        {
                            Some(action) => Ok((action.qualified_name.clone(), handler)),
                            None => Err(unknown(name)),
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()
            };
            let bound_functions = |name: &str, collection: bool| {
                let mut all: Vec<&Action> = Vec::new();
                for &t in &types {
                    for f in model.bound_functions(t, collection, name) {
                        if !all.iter().any(|a| std::ptr::eq(*a, f)) {
                            all.push(f);
                        }
                    }
                }
                all
            };
            let actions = bound_actions(def.actions, false)?;
            let collection_actions = bound_actions(def.collection_actions, true)?;
            let functions =
                resolve_overloads(def.functions, |name| bound_functions(name, false), unknown)?;
            let collection_functions = resolve_overloads(
                def.collection_functions,
                |name| bound_functions(name, true),
                unknown,
            )?;
            contained.push((collections.len(), def.contained));
            collections.push(Collection {
                read_only: def.read_only,
                media: def.media,
                singleton: false,
                containment: None,
                actions,
                collection_actions,
                functions,
                collection_functions,
                permissions: def.permissions,
                searchable,
                table,
                path: def.path,
                segments,
                entity_type,
                navigations: Vec::new(),
                dependents: Vec::new(),
            });
        }
        for (parent, defs) in contained {
            for (navigation, table) in defs {
                let index = collections.len();
                let (child, column) =
                    bind_contained(&model, &collections[parent], parent, &navigation, table)?;
                collections.push(child);
                collections[parent].navigations.push(Navigation {
                    name: navigation,
                    target: index,
                    link: Link::Inverse { column },
                });
            }
        }
        // References first: an inverse needs the reference column of its target.
        for (source, defs) in links.iter().enumerate() {
            for def in defs {
                if let LinkDef::Reference { navigation, target } = def {
                    let nav = bind_reference(&model, &mut collections, source, navigation, target)?;
                    collections[source].navigations.push(nav);
                }
            }
        }
        for (source, defs) in links.iter().enumerate() {
            for def in defs {
                if let LinkDef::Inverse {
                    navigation,
                    target,
                    via,
                } = def
                {
                    let nav = bind_inverse(&model, &collections, source, navigation, target, via)?;
                    collections[source].navigations.push(nav);
                }
            }
        }
        for (source, defs) in links.iter().enumerate() {
            for def in defs {
                if let LinkDef::Many {
                    navigation,
                    target,
                    link_table,
                } = def
                {
                    let nav =
                        bind_many(&model, &collections, source, navigation, target, link_table)?;
                    collections[source].navigations.push(nav);
                }
            }
        }
        for def in self.singletons {
            let singleton = model
                .singleton(&def.name)
                .ok_or_else(|| ServiceError::UnknownSingleton(def.name.clone()))?;
            if collections.iter().any(|c| c.path == def.name) {
                return Err(ServiceError::DuplicateCollection(def.name));
            }
            let mut table = Table::new(&model, singleton.entity_type, def.table);
            table.version = version_column(&table, &def.name, def.version.as_deref())?;
            collections.push(Collection {
                path: def.name.clone(),
                segments: vec![def.name],
                entity_type: singleton.entity_type,
                table,
                searchable: Vec::new(),
                permissions: def.permissions,
                navigations: Vec::new(),
                actions: Vec::new(),
                collection_actions: Vec::new(),
                functions: Vec::new(),
                collection_functions: Vec::new(),
                containment: None,
                read_only: false,
                media: None,
                singleton: true,
                dependents: Vec::new(),
            });
        }
        for principal in 0..collections.len() {
            collections[principal].dependents = dependents(&model, &collections, principal)?;
        }
        // The collections whose entities have many-to-many links (which a delete removes).
        let linked: Vec<usize> = collections
            .iter()
            .enumerate()
            .flat_map(|(i, c)| {
                c.navigations.iter().filter_map(move |n| match n.link {
                    Link::Many { .. } => Some([i, n.target]),
                    _ => None,
                })
            })
            .flatten()
            .collect();
        for collection in &collections {
            if let Some(d) = collection
                .dependents
                .iter()
                .find(|d| d.rule == DependentRule::Delete && linked.contains(&d.collection))
            {
                return Err(ServiceError::Navigation {
                    path: collection.path.clone(),
                    navigation: String::new(),
                    reason: format!(
                        "deleting its entities deletes entities of '{}', which have \
                         many-to-many links; cascades reach one level",
                        collections[d.collection].path
                    ),
                });
            }
            let cascades_further = collection.dependents.iter().any(|d| {
                d.rule == DependentRule::Delete
                    && collections[d.collection].containment.is_none()
                    && !collections[d.collection].dependents.is_empty()
            });
            if cascades_further {
                return Err(ServiceError::Navigation {
                    path: collection.path.clone(),
                    navigation: String::new(),
                    reason: "a cascading delete reaches entities that have dependents of \
                             their own; cascades reach one level"
                        .into(),
                });
            }
        }
        let unknown = |operation: String| ServiceError::UnknownOperation {
            path: String::new(),
            operation,
        };
        let function_imports = resolve_overloads(
            self.function_imports,
            |name| match model.function_import(name) {
                Some((_, function)) => model.unbound_functions(&function.name),
                None => Vec::new(),
            },
            unknown,
        )?;
        let action_imports = self
            .action_imports
            .into_iter()
            .map(|(name, handler)| match model.action_import(&name) {
                Some(_) => Ok((name, handler)),
                None => Err(unknown(name)),
            })
            .collect::<Result<_, _>>()?;
        Ok(Service {
            model,
            collections,
            function_imports,
            initial_data: self.initial_data,
            write_rules,
            control_information: self.control_information,
            write_answers: self.write_answers,
            batch_continues_on_error: self.batch_continues_on_error,
            metadata_style: self.metadata_style,
            action_imports,
        })
    }
}

/// The collection that a containment navigation property of `parent`'s entities leads
/// to, stored in `table` with a `_parent` column typed like the parent's key.
fn bind_contained(
    model: &Model,
    parent: &Collection,
    parent_index: usize,
    navigation: &str,
    table: String,
) -> Result<(Collection, usize), ServiceError> {
    let error = |reason: &str| ServiceError::Navigation {
        path: parent.path.clone(),
        navigation: navigation.to_owned(),
        reason: reason.to_owned(),
    };
    let nav = model
        .entity_type(parent.entity_type)
        .navigation_property(navigation)
        .ok_or_else(|| error("no such navigation property"))?;
    if !(nav.collection && nav.contains_target) {
        return Err(error(
            "it is not a collection-valued containment navigation property",
        ));
    }
    let [key] = parent.table.key.as_slice() else {
        return Err(error("the parent's key is not a single property"));
    };
    let path = format!("{}/{navigation}", parent.path);
    if model.entity_type(nav.target).key.is_empty() {
        return Err(ServiceError::NoKey(path));
    }
    let mut table = Table::new(model, nav.target, table);
    let column = table.add_parent(&parent.table.columns[*key].property);
    let searchable = searchable_columns(model, &table, &path, None)?;
    let mut segments = parent.segments.clone();
    segments.push(navigation.to_owned());
    let collection = Collection {
        path,
        segments,
        entity_type: nav.target,
        table,
        searchable,
        permissions: parent.permissions.clone(),
        navigations: Vec::new(),
        actions: Vec::new(),
        collection_actions: Vec::new(),
        functions: Vec::new(),
        collection_functions: Vec::new(),
        read_only: parent.read_only,
        media: None,
        singleton: false,
        containment: Some(Containment {
            parent: parent_index,
            navigation: navigation.to_owned(),
            column,
        }),
        dependents: Vec::new(),
    };
    Ok((collection, column))
}

/// The navigation property `name` of the collection's entity type, checked for cardinality,
/// and the index of the served collection at `target` holding its entity type.
fn navigation_target(
    model: &Model,
    collections: &[Collection],
    source: usize,
    name: &str,
    target: &str,
    collection_valued: bool,
) -> Result<usize, ServiceError> {
    let path = &collections[source].path;
    let error = |reason: String| ServiceError::Navigation {
        path: path.clone(),
        navigation: name.to_owned(),
        reason,
    };
    let ty = model.entity_type(collections[source].entity_type);
    let nav = ty.navigation_property(name).ok_or_else(|| {
        error(format!(
            "'{}' has no such navigation property",
            ty.qualified_name
        ))
    })?;
    if nav.collection != collection_valued {
        return Err(error(if collection_valued {
            "it is single-valued: bind it with `reference`".to_owned()
        } else {
            "it is collection-valued: bind it with `inverse`".to_owned()
        }));
    }
    let index = collections
        .iter()
        .position(|c| c.path == target)
        .ok_or_else(|| error(format!("'{target}' is not a served collection")))?;
    if !model.entity_derives_from(collections[index].entity_type, nav.target) {
        return Err(error(format!(
            "'{target}' holds '{}', not '{}'",
            model
                .entity_type(collections[index].entity_type)
                .qualified_name,
            model.entity_type(nav.target).qualified_name
        )));
    }
    Ok(index)
}

/// A single-valued navigation stored in a new reference column `{name}__id` of the source
/// table, typed like the target's (single) key.
fn bind_reference(
    model: &Model,
    collections: &mut [Collection],
    source: usize,
    name: &str,
    target: &str,
) -> Result<Navigation, ServiceError> {
    let index = navigation_target(model, collections, source, name, target, false)?;
    let target_table = &collections[index].table;
    let [key] = target_table.key.as_slice() else {
        return Err(ServiceError::Navigation {
            path: collections[source].path.clone(),
            navigation: name.to_owned(),
            reason: format!("the key of '{target}' is not a single property"),
        });
    };
    let key = target_table.columns[*key].property.clone();
    let declared = model
        .entity_type(collections[source].entity_type)
        .navigation_property(name);
    let column = match declared.and_then(NavigationProperty::foreign_key) {
        // A referential constraint: the dependent property is the reference column.
        Some(constraint) => {
            if constraint.referenced_property != key.name {
                return Err(ServiceError::Navigation {
                    path: collections[source].path.clone(),
                    navigation: name.to_owned(),
                    reason: format!(
                        "its referential constraint refers to '{}', not to the key of '{target}'",
                        constraint.referenced_property
                    ),
                });
            }
            let table = &mut collections[source].table;
            let column = table
                .column_index(&constraint.property)
                .ok_or_else(|| internal_navigation(&collections[source].path, name))?;
            collections[source].table.columns[column].reference = Some(name.to_owned());
            column
        }
        None => collections[source].table.add_reference(name, &key),
    };
    Ok(Navigation {
        name: name.to_owned(),
        target: index,
        link: Link::Reference { column },
    })
}

fn internal_navigation(path: &str, navigation: &str) -> ServiceError {
    ServiceError::Navigation {
        path: path.to_owned(),
        navigation: navigation.to_owned(),
        reason: "its foreign key is not a column of the table".into(),
    }
}

/// What deleting an entity of the collection `principal` does to rows of others: its
/// contained entities are deleted; rows whose foreign key (a reference backed by a
/// referential constraint) refers to it follow the `OnDelete` action of the principal's
/// navigation property leading to them (an inverse of the reference): `Cascade` deletes
/// them, `SetNull` clears their foreign key, `None` leaves it; without an `OnDelete`, a
/// nullable foreign key is cleared and a non-nullable one refuses the delete. References
/// without a constraint (a hidden `{navigation}__id` column) are left as they are. A
/// cascade reaches one level: the deleted dependents may not have dependents of their own.
fn dependents(
    model: &Model,
    collections: &[Collection],
    principal: usize,
) -> Result<Vec<Dependent>, ServiceError> {
    let mut out = Vec::new();
    for (index, collection) in collections.iter().enumerate() {
        if let Some(containment) = &collection.containment
            && containment.parent == principal
        {
            out.push(Dependent {
                collection: index,
                column: containment.column,
                rule: DependentRule::Delete,
            });
        }
        for navigation in &collection.navigations {
            let Link::Reference { column } = navigation.link else {
                continue;
            };
            let constrained = model
                .entity_type(collection.entity_type)
                .navigation_property(&navigation.name)
                .is_some_and(|n| n.foreign_key().is_some());
            if navigation.target != principal || !constrained {
                continue;
            }
            // The principal's navigation property bound as the inverse of this reference.
            let on_delete = collections[principal]
                .navigations
                .iter()
                .filter(|n| n.target == index && n.link == Link::Inverse { column })
                .find_map(|n| {
                    model
                        .entity_type(collections[principal].entity_type)
                        .navigation_property(&n.name)?
                        .on_delete
                });
            let nullable = collection.table.columns[column].property.type_ref.nullable;
            let rule = match on_delete {
                Some(OnDeleteAction::Cascade) => DependentRule::Delete,
                Some(OnDeleteAction::None) => continue,
                Some(OnDeleteAction::SetNull) | None if nullable => DependentRule::Unlink,
                None => DependentRule::Refuse,
                Some(other) => {
                    return Err(ServiceError::Navigation {
                        path: collection.path.clone(),
                        navigation: navigation.name.clone(),
                        reason: format!(
                            "OnDelete '{}' of its principal is not supported for this foreign key",
                            other.name()
                        ),
                    });
                }
            };
            out.push(Dependent {
                collection: index,
                column,
                rule,
            });
        }
    }
    Ok(out)
}

/// A collection-valued navigation: the members of `target` whose reference `via` leads
/// back to the source collection.
fn bind_inverse(
    model: &Model,
    collections: &[Collection],
    source: usize,
    name: &str,
    target: &str,
    via: &str,
) -> Result<Navigation, ServiceError> {
    let index = navigation_target(model, collections, source, name, target, true)?;
    let back = collections[index].navigation(via);
    match back {
        Some(Navigation {
            target,
            link: Link::Reference { column },
            ..
        }) if *target == source => Ok(Navigation {
            name: name.to_owned(),
            target: index,
            link: Link::Inverse { column: *column },
        }),
        _ => Err(ServiceError::Navigation {
            path: collections[source].path.clone(),
            navigation: name.to_owned(),
            reason: format!(
                "'{target}' declares no reference '{via}' leading back to '{}'",
                collections[source].path
            ),
        }),
    }
}

/// A many-to-many navigation: the members of `target` that rows of the link table pair
/// with the source entity. Both keys must be single properties, not DateTimeOffsets.
fn bind_many(
    model: &Model,
    collections: &[Collection],
    source: usize,
    name: &str,
    target: &str,
    link_table: &str,
) -> Result<Navigation, ServiceError> {
    let index = navigation_target(model, collections, source, name, target, true)?;
    let key = |collection: &Collection| match collection.table.key.as_slice() {
        [k] if collection.table.columns[*k].kind != ColumnKind::DateTimeOffset => {
            Ok(collection.table.columns[*k].property.clone())
        }
        _ => Err(ServiceError::Navigation {
            path: collections[source].path.clone(),
            navigation: name.to_owned(),
            reason: format!(
                "the key of '{}' is not a single property a link table can hold",
                collection.path
            ),
        }),
    };
    let source_key = key(&collections[source])?;
    let target_key = key(&collections[index])?;
    Ok(Navigation {
        name: name.to_owned(),
        target: index,
        link: Link::Many {
            table: Box::new(LinkTable::new(
                link_table.to_owned(),
                &source_key,
                &target_key,
            )),
        },
    })
}

/// The column of the property declared to mirror the version of the entities at `path`:
/// an integer property of the table that is not part of the key.
fn version_column(
    table: &Table,
    path: &str,
    property: Option<&str>,
) -> Result<Option<usize>, ServiceError> {
    let Some(name) = property else {
        return Ok(None);
    };
    let column = table.column_index(name).filter(|&c| {
        let type_ref = &table.columns[c].property.type_ref;
        !table.key.contains(&c)
            && !type_ref.collection
            && type_ref
                .primitive()
                .is_some_and(|p| p.integer_range().is_some())
    });
    column
        .map(Some)
        .ok_or_else(|| ServiceError::VersionProperty {
            path: path.to_owned(),
            property: name.to_owned(),
        })
}

/// The column of the DateTimeOffset property `name` of the entities at `path`.
fn timestamp_column(table: &Table, path: &str, name: &str) -> Result<usize, ServiceError> {
    date_time_column(table, name).ok_or_else(|| ServiceError::CreationTimestamp {
        path: path.to_owned(),
        property: name.to_owned(),
    })
}

/// The column of the single-valued DateTimeOffset property `name`.
/// The columns `column` finds for the declared property `names`, or the first name it
/// finds none for.
fn declared_columns(
    names: &[String],
    column: impl Fn(&str) -> Option<usize>,
) -> Result<Vec<usize>, String> {
    names
        .iter()
        .map(|name| column(name).ok_or_else(|| name.clone()))
        .collect()
}

/// The column of the single-valued string property `name`.
fn string_column(table: &Table, name: &str) -> Option<usize> {
    table.column_index(name).filter(|&c| {
        let type_ref = &table.columns[c].property.type_ref;
        !type_ref.collection && type_ref.primitive() == Some(PrimitiveKind::String)
    })
}

fn date_time_column(table: &Table, name: &str) -> Option<usize> {
    table.column_index(name).filter(|&c| {
        let type_ref = &table.columns[c].property.type_ref;
        !type_ref.collection && type_ref.primitive() == Some(PrimitiveKind::DateTimeOffset)
    })
}

/// The declared searchable properties of the collection at `path`, or every string
/// property of the table that is not write-only.
fn searchable_columns(
    model: &Model,
    table: &Table,
    path: &str,
    declared: Option<&[String]>,
) -> Result<Vec<SearchPath>, ServiceError> {
    let Some(names) = declared else {
        return Ok(table
            .columns
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                !table.is_stream_type_column(*i)
                    && !c.property.type_ref.collection
                    && !c.property.is_write_only()
                    && c.property.type_ref.primitive() == Some(PrimitiveKind::String)
            })
            .map(|(column, _)| SearchPath {
                column,
                members: Vec::new(),
            })
            .collect());
    };
    names
        .iter()
        .map(|name| {
            let unknown = || ServiceError::UnknownSearchable {
                path: path.to_owned(),
                property: name.clone(),
            };
            let mut segments = name.split('/');
            let first = segments.next().unwrap_or_default();
            let column = table.column_index(first).ok_or_else(unknown)?;
            let property = &table.columns[column].property;
            if property.is_write_only() {
                return Err(ServiceError::WriteOnlySearchable {
                    path: path.to_owned(),
                    property: name.clone(),
                });
            }
            // Down through complex members to a string.
            let members: Vec<String> = segments.map(str::to_owned).collect();
            let mut type_ref = &property.type_ref;
            for member in &members {
                let TypeKind::Complex(complex) = type_ref.kind else {
                    return Err(unknown());
                };
                type_ref = &model
                    .complex_type(complex)
                    .property(member)
                    .ok_or_else(unknown)?
                    .type_ref;
            }
            if !members.is_empty()
                && (type_ref.collection || type_ref.primitive() != Some(PrimitiveKind::String))
            {
                return Err(unknown());
            }
            Ok(SearchPath { column, members })
        })
        .collect()
}

fn resolve_collection(model: &Model, segments: &[String]) -> Option<EntityTypeId> {
    match segments {
        [set] => model.entity_set(set).map(|s| s.entity_type),
        [singleton, nav] => {
            let ty = model.entity_type(model.singleton(singleton)?.entity_type);
            let nav = ty.navigation_property(nav)?;
            (nav.collection && nav.contains_target).then_some(nav.target)
        }
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use odata_core::edm::{Annotation, EntityTypeDef, ModelBuilder, PropertyDef};

    use super::*;

    fn model() -> Model {
        ModelBuilder::new("example.shop")
            .entity_type(
                EntityTypeDef::new("product")
                    .key(["sku"])
                    .property(PropertyDef::new("sku", "Edm.String").not_null())
                    .property(PropertyDef::new("name", "Edm.String"))
                    .property(
                        PropertyDef::new("secret", "Edm.String").annotate(Annotation::write_only()),
                    ),
            )
            .entity_set("products", "product")
            .build()
            .unwrap()
    }

    fn searchable_names(service: &Service) -> Vec<&str> {
        let c = &service.collections()[0];
        c.searchable
            .iter()
            .map(|p| c.table.columns[p.column].property.name.as_str())
            .collect()
    }

    #[test]
    fn version_timestamp_type_counted_and_indexed_properties_must_fit_their_roles() {
        let model = ModelBuilder::new("example.shop")
            .entity_type(
                EntityTypeDef::new("thing")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.Int32").not_null())
                    .property(PropertyDef::new("name", "Edm.String"))
                    .property(PropertyDef::new("revision", "Edm.Int64").not_null()),
            )
            .entity_set("things", "example.shop.thing")
            .build()
            .unwrap();
        let build = |property: &str| {
            Service::builder(model.clone())
                .collection(CollectionDef::new("things", "things").version_property(property))
                .build()
        };
        let service = build("revision").unwrap();
        let table = &service.collections()[0].table;
        assert_eq!(table.version, table.column_index("revision"));
        for wrong in ["id", "name", "nope"] {
            assert_eq!(
                build(wrong).unwrap_err(),
                ServiceError::VersionProperty {
                    path: "things".into(),
                    property: wrong.into()
                }
            );
        }
        let stamped = Service::builder(model.clone())
            .collection(CollectionDef::new("things", "things").creation_timestamps(["name"]))
            .build();
        assert_eq!(
            stamped.unwrap_err(),
            ServiceError::CreationTimestamp {
                path: "things".into(),
                property: "name".into()
            }
        );
        let typed = Service::builder(model.clone())
            .collection(CollectionDef::new("things", "things").type_property("revision"))
            .build();
        assert_eq!(
            typed.unwrap_err(),
            ServiceError::TypeProperty {
                path: "things".into(),
                property: "revision".into()
            }
        );
        let counted = Service::builder(model.clone())
            .collection(CollectionDef::new("things", "things").range_counts("name"))
            .build();
        assert_eq!(
            counted.unwrap_err(),
            ServiceError::RangeCount {
                path: "things".into(),
                property: "name".into()
            }
        );
        for wrong in ["revision", "missing"] {
            let indexed = Service::builder(model.clone())
                .collection(CollectionDef::new("things", "things").trigram_index(wrong))
                .build();
            assert_eq!(
                indexed.unwrap_err(),
                ServiceError::TrigramIndex {
                    path: "things".into(),
                    property: wrong.into()
                }
            );
        }
        let indexed = Service::builder(model.clone())
            .collection(CollectionDef::new("things", "things").trigram_index("name"))
            .build()
            .unwrap();
        assert_eq!(indexed.collections()[0].table.trigram_indexes, [1]);
    }

    #[test]
    fn a_stored_singleton_must_be_a_singleton_of_the_model() {
        let model = ModelBuilder::new("example.shop")
            .entity_type(
                EntityTypeDef::new("company")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null()),
            )
            .singleton("company", "company")
            .build()
            .unwrap();
        let build = |name: &str| {
            Service::builder(model.clone())
                .singleton(SingletonDef::new(name, "company"))
                .build()
        };
        let service = build("company").unwrap();
        let stored = service.stored_singleton("company").unwrap();
        assert!(stored.singleton && !stored.read_only);
        assert!(stored.searchable.is_empty());
        assert_eq!(
            build("other").unwrap_err(),
            ServiceError::UnknownSingleton("other".into())
        );
    }

    #[test]
    fn default_searchable_properties_leave_out_write_only_ones() {
        let service = Service::builder(model())
            .collection(CollectionDef::new("products", "products"))
            .build()
            .unwrap();
        assert_eq!(searchable_names(&service), ["sku", "name"]);
        assert_eq!(service.collections()[0].permissions, None);
    }

    #[test]
    fn declared_searchable_properties_must_exist_and_be_readable() {
        let build = |names: &[&str]| {
            Service::builder(model())
                .collection(
                    CollectionDef::new("products", "products").searchable(names.iter().copied()),
                )
                .build()
        };
        assert_eq!(searchable_names(&build(&["name"]).unwrap()), ["name"]);
        assert_eq!(
            build(&["name", "secret"]).unwrap_err(),
            ServiceError::WriteOnlySearchable {
                path: "products".into(),
                property: "secret".into()
            }
        );
        let e = build(&["nmae"]).unwrap_err();
        assert_eq!(
            e,
            ServiceError::UnknownSearchable {
                path: "products".into(),
                property: "nmae".into()
            }
        );
        assert_eq!(
            e.to_string(),
            "'products': the searchable property 'nmae' is not a property of its entity type"
        );
        // A member path leads through complex values to a string.
        for path in ["name/first", "name/"] {
            assert_eq!(
                build(&[path]).unwrap_err(),
                ServiceError::UnknownSearchable {
                    path: "products".into(),
                    property: path.into()
                },
                "{path}"
            );
        }
    }

    #[test]
    fn a_collection_is_declared_once_with_its_permissions() {
        let read = Permissions::new(&["Shop.Read"], &["Shop.ReadWrite"]);
        let service = Service::builder(model())
            .collection(
                CollectionDef::new("products", "products")
                    .permissions(read.clone())
                    .searchable(["name"]),
            )
            .build()
            .unwrap();
        assert_eq!(service.collections()[0].permissions, Some(read.clone()));
        assert_eq!(searchable_names(&service), ["name"]);
        let e = Service::builder(model())
            .collection(CollectionDef::new("orders", "orders").permissions(read))
            .build()
            .unwrap_err();
        assert_eq!(e, ServiceError::UnknownCollection("orders".into()));
        let e = Service::builder(model())
            .collection(CollectionDef::new("products", "products"))
            .collection(CollectionDef::new("products", "products_2"))
            .build()
            .unwrap_err();
        assert_eq!(e, ServiceError::DuplicateCollection("products".into()));
    }

    fn linked_model() -> Model {
        use odata_core::edm::NavigationDef;
        ModelBuilder::new("example.shop")
            .entity_type(
                EntityTypeDef::new("category")
                    .key(["code"])
                    .property(PropertyDef::new("code", "Edm.Int32").not_null())
                    .navigation(NavigationDef::new(
                        "products",
                        "Collection(example.shop.product)",
                    )),
            )
            .entity_type(
                EntityTypeDef::new("product")
                    .key(["sku"])
                    .property(PropertyDef::new("sku", "Edm.String").not_null())
                    .navigation(NavigationDef::new("category", "example.shop.category")),
            )
            .entity_set("categories", "category")
            .entity_set("products", "product")
            .build()
            .unwrap()
    }

    fn linked(products: CollectionDef, categories: CollectionDef) -> Result<Service, ServiceError> {
        Service::builder(linked_model())
            .collection(categories)
            .collection(products)
            .build()
    }

    #[test]
    fn a_reference_adds_a_column_typed_like_the_target_key_and_an_inverse_reads_it() {
        let service = linked(
            CollectionDef::new("products", "products").reference("category", "categories"),
            CollectionDef::new("categories", "categories")
                .inverse("products", "products", "category"),
        )
        .unwrap();
        let (categories, products) = (&service.collections()[0], &service.collections()[1]);
        let category = products.navigation("category").unwrap();
        let Link::Reference { column } = category.link else {
            panic!("{category:?}")
        };
        let stored = &products.table.columns[column];
        assert_eq!(stored.property.name, "category__id");
        assert_eq!(stored.kind, crate::store::table::ColumnKind::Integer);
        assert_eq!(stored.reference.as_deref(), Some("category"));
        assert_eq!(service.target(category).path, "categories");
        let inverse = categories.navigation("products").unwrap();
        assert_eq!(inverse.link, Link::Inverse { column });
        assert!(inverse.is_collection() && !category.is_collection());
        // Not a property: no type of the hierarchy lists the reference column.
        assert!(
            products
                .table
                .types
                .iter()
                .all(|t| !t.columns.contains(&column))
        );
    }

    #[test]
    fn navigation_bindings_that_do_not_fit_the_model_are_errors() {
        let reason =
            |products: CollectionDef, categories: CollectionDef| match linked(products, categories)
            {
                Err(ServiceError::Navigation { reason, .. }) => reason,
                other => panic!("{other:?}"),
            };
        let plain = || CollectionDef::new("categories", "categories");
        assert!(
            reason(
                CollectionDef::new("products", "products").reference("nope", "categories"),
                plain()
            )
            .contains("no such navigation property")
        );
        assert!(
            reason(
                CollectionDef::new("products", "products").reference("category", "elsewhere"),
                plain()
            )
            .contains("not a served collection")
        );
        assert!(
            reason(
                CollectionDef::new("products", "products").reference("category", "products"),
                plain()
            )
            .contains("holds 'example.shop.product'")
        );
        assert!(
            reason(
                CollectionDef::new("products", "products"),
                plain().reference("products", "products")
            )
            .contains("collection-valued")
        );
        assert!(
            reason(
                CollectionDef::new("products", "products"),
                plain().inverse("products", "products", "category")
            )
            .contains("declares no reference 'category'")
        );
    }

    #[test]
    fn a_many_to_many_navigation_is_stored_in_its_link_table() {
        let service = linked(
            CollectionDef::new("products", "products"),
            CollectionDef::new("categories", "categories").many(
                "products",
                "products",
                "category_products",
            ),
        )
        .unwrap();
        let (categories, products) = (&service.collections()[0], &service.collections()[1]);
        let navigation = categories.navigation("products").unwrap();
        assert!(navigation.is_collection());
        let Link::Many { table } = &navigation.link else {
            panic!("{navigation:?}")
        };
        assert_eq!(table.name(), "category_products");
        let names: Vec<&str> = table
            .table
            .columns
            .iter()
            .map(|c| c.property.name.as_str())
            .collect();
        assert_eq!(names, ["source", "target"]);
        let table: &LinkTable = table;
        assert_eq!(service.link_tables(), [table]);
        // Deleting a category or a product removes its links.
        assert_eq!(service.links_of(categories), [(table, LinkTable::SOURCE)]);
        assert_eq!(service.links_of(products), [(table, LinkTable::TARGET)]);
        // Single-valued navigations are not stored in link tables.
        let wrong = linked(
            CollectionDef::new("products", "products").many("category", "categories", "x"),
            CollectionDef::new("categories", "categories"),
        );
        let Err(ServiceError::Navigation { reason, .. }) = wrong else {
            panic!("{wrong:?}")
        };
        assert!(reason.contains("single-valued"), "{reason}");
    }

    #[test]
    fn a_cascade_may_not_delete_entities_with_links() {
        use odata_core::edm::{NavigationDef, OnDeleteAction};
        let model = ModelBuilder::new("example.fk")
            .entity_type(
                EntityTypeDef::new("group")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.Int32").not_null())
                    .navigation(
                        NavigationDef::new("items", "Collection(example.fk.item)")
                            .partner("group")
                            .on_delete(OnDeleteAction::Cascade),
                    ),
            )
            .entity_type(
                EntityTypeDef::new("item")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.Int32").not_null())
                    .property(PropertyDef::new("groupId", "Edm.Int32"))
                    .navigation(
                        NavigationDef::new("group", "example.fk.group")
                            .partner("items")
                            .constraint("groupId", "id"),
                    )
                    .navigation(NavigationDef::new("peers", "Collection(example.fk.item)")),
            )
            .entity_set("groups", "example.fk.group")
            .entity_set("items", "example.fk.item")
            .build()
            .unwrap();
        let build = |items: CollectionDef| {
            Service::builder(model.clone())
                .collection(
                    CollectionDef::new("groups", "groups").inverse("items", "items", "group"),
                )
                .collection(items.reference("group", "groups"))
                .build()
        };
        assert!(build(CollectionDef::new("items", "items")).is_ok());
        let refused = build(CollectionDef::new("items", "items").many("peers", "items", "peers"));
        let Err(ServiceError::Navigation { path, reason, .. }) = refused else {
            panic!("{refused:?}")
        };
        assert_eq!(path, "groups");
        assert!(reason.contains("many-to-many links"), "{reason}");
    }

    #[test]
    fn operations_and_containments_must_be_in_the_model() {
        let unknown = |operation: &str| ServiceError::UnknownOperation {
            path: "products".into(),
            operation: operation.into(),
        };
        let action = crate::action::ActionHandler::new(|_| {
            Ok(crate::action::ActionEffect::Update(Vec::new()))
        });
        let function = FunctionHandler::new(|_| Ok(serde_json::Value::Null));
        let build = |def: CollectionDef| Service::builder(model()).collection(def).build();
        assert_eq!(
            build(CollectionDef::new("products", "products").action("nope", action)).unwrap_err(),
            unknown("nope")
        );
        assert_eq!(
            build(CollectionDef::new("products", "products").function("nope", function.clone()))
                .unwrap_err(),
            unknown("nope")
        );
        let e = Service::builder(model())
            .collection(CollectionDef::new("products", "products"))
            .function_import("nope", function)
            .build()
            .unwrap_err();
        assert_eq!(
            e,
            ServiceError::UnknownOperation {
                path: String::new(),
                operation: "nope".into()
            }
        );
        // Only a collection-valued containment navigation can be stored as contained.
        let e = linked(
            CollectionDef::new("products", "products"),
            CollectionDef::new("categories", "categories").contains("products", "p"),
        )
        .unwrap_err();
        assert!(
            matches!(&e, ServiceError::Navigation { reason, .. } if reason.contains("containment")),
            "{e}"
        );
    }

    #[test]
    fn handlers_are_registered_per_overload_or_for_all() {
        use odata_core::edm::ActionDef;

        use crate::function::{FunctionCall, FunctionOutput};

        let model = ModelBuilder::new("ns")
            .entity_type(
                EntityTypeDef::new("t")
                    .key(["id"])
                    .property(PropertyDef::new("id", "Edm.String").not_null()),
            )
            .entity_set("ts", "t")
            .function(ActionDef::new("f").returns("Edm.Int32"))
            .function(
                ActionDef::new("f")
                    .parameter(PropertyDef::new("a", "Edm.Int32").not_null())
                    .returns("Edm.Int32"),
            )
            .function_import("f", "f")
            .build()
            .unwrap();
        let answering = |n: i32| FunctionHandler::new(move |_| Ok(serde_json::json!(n)));
        let service = Service::builder(model.clone())
            .function_import("f(a)", answering(1))
            .function_import("f", answering(2))
            .build()
            .unwrap();
        let overloads = model.unbound_functions("f");
        let answer = |function: &Action| {
            let call = FunctionCall {
                entity: None,
                members: None,
                parameters: &serde_json::Map::new(),
            };
            match service
                .function_import(function)
                .unwrap()
                .call(&call)
                .unwrap()
            {
                FunctionOutput::Value(v) => v,
                FunctionOutput::Entities(_) => serde_json::Value::Null,
            }
        };
        // The specific registration wins, whatever the order.
        assert_eq!(answer(overloads[1]), 1);
        assert_eq!(answer(overloads[0]), 2);
        for name in ["f(b)", "f(a", "g"] {
            let e = Service::builder(model.clone())
                .function_import(name, answering(0))
                .build()
                .unwrap_err();
            assert_eq!(
                e,
                ServiceError::UnknownOperation {
                    path: String::new(),
                    operation: name.into()
                }
            );
        }
    }
}
