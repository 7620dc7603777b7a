//! Media entities: what an upload of a media entity's stream writes to the entity's
//! properties.
//!
//! A collection of a media entity type (`EntityTypeDef::has_stream`) stores each entity's
//! stream with the entity (see [`crate::store::table`]). `POST collection` with a body that
//! is not JSON creates an entity from the upload, and `PUT …/{key}/$value` replaces the
//! stream; the service decides what the entity's properties say about the upload with a
//! [`MediaHandler`] given by
//! [`CollectionDef::media`](crate::service::CollectionDef::media). Its values are OData
//! JSON, checked against the properties' types as a request body's would be.
//!
//! ```
//! use odata_server::media::MediaHandler;
//! use serde_json::json;
//!
//! // The name from the `Slug` header, the size and the time of the upload.
//! let media = MediaHandler::new()
//!     .on_create(|upload| {
//!         Ok(vec![
//!             ("name".to_owned(), json!(upload.slug.unwrap_or_default())),
//!             ("size".to_owned(), json!(upload.length)),
//!         ])
//!     })
//!     .on_replace(|upload| {
//!         Ok(vec![
//!             ("size".to_owned(), json!(upload.length)),
//!             ("modifiedAt".to_owned(), json!(upload.now.as_str())),
//!         ])
//!     });
//! # let _ = media;
//! ```

use std::fmt;
use std::sync::Arc;

use odata_core::error::ODataError;
use odata_core::value::DateTimeOffset;
use serde_json::Value as Json;

/// What the service learns from one upload of a media stream.
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    /// The `Slug` header, percent-decoded: the client's name for the new entity (creates
    /// only; `None` without the header).
    pub slug: Option<&'a str>,
    /// The media type of the stream (the request's `Content-Type`).
    pub content_type: &'a str,
    /// The stream's length in bytes.
    pub length: u64,
    /// The request's time.
    pub now: &'a DateTimeOffset,
}

/// Property values, in OData JSON, that an upload sets.
pub type UploadValues = Result<Vec<(String, Json)>, ODataError>;

type Hook = dyn Fn(&Upload<'_>) -> UploadValues + Send + Sync;

/// What uploads of a collection's media streams write to the entities' properties: on a
/// create from an upload, the new entity's values (anything left out takes its default, as
/// in a JSON create); on a replacement of the stream, the properties to change. An error a
/// hook returns is the response; nothing is written.
#[derive(Clone, Default)]
pub struct MediaHandler {
    create: Option<Arc<Hook>>,
    replace: Option<Arc<Hook>>,
}

impl MediaHandler {
    /// A handler that sets nothing: uploads write the stream only.
    pub fn new() -> Self {
        Self::default()
    }

    /// The values of an entity created from an upload (`POST collection` with the stream).
    pub fn on_create<F>(mut self, hook: F) -> Self
    where
        F: Fn(&Upload<'_>) -> UploadValues + Send + Sync + 'static,
    {
        self.create = Some(Arc::new(hook));
        self
    }

    /// The properties changed when an entity's stream is replaced (`PUT …/{key}/$value`).
    pub fn on_replace<F>(mut self, hook: F) -> Self
    where
        F: Fn(&Upload<'_>) -> UploadValues + Send + Sync + 'static,
    {
        self.replace = Some(Arc::new(hook));
        self
    }

    /// The values of an entity created from `upload`.
    pub fn created(&self, upload: &Upload<'_>) -> UploadValues {
        self.create
            .as_ref()
            .map_or(Ok(Vec::new()), |hook| hook(upload))
    }

    /// The properties a replacement of the stream by `upload` changes.
    pub fn replaced(&self, upload: &Upload<'_>) -> UploadValues {
        self.replace
            .as_ref()
            .map_or(Ok(Vec::new()), |hook| hook(upload))
    }
}

impl fmt::Debug for MediaHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MediaHandler")
            .field("create", &self.create.is_some())
            .field("replace", &self.replace.is_some())
            .finish()
    }
}
