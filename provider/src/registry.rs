//! Every resource and data source type of the provider. Add a new type here.

use std::sync::Arc;

use tfplugin::{DataSource, Resource};

/// The managed resource types.
pub fn resources() -> Vec<Arc<dyn Resource>> {
    vec![Arc::new(
        crate::resource_profile_restore::ProfileRestoreResource,
    )]
}

/// The data source types.
pub fn data_sources() -> Vec<Arc<dyn DataSource>> {
    vec![]
}
