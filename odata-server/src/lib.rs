//! actix-web OData service.
