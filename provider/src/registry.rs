//! Every resource and data source type of the provider. Add a new type here.

use std::sync::Arc;

use tfplugin::framework::provider::{DataSource, Resource};

/// The managed resource types.
pub fn resources() -> Vec<Arc<dyn Resource>> {
    vec![
        Arc::new(crate::resource_profile_restore::ProfileRestoreResource::default()),
        Arc::new(crate::resource_restore_target::RestoreTargetResource),
        Arc::new(crate::resource_replication::ReplicationResource),
    ]
}

/// The data source types.
pub fn data_sources() -> Vec<Arc<dyn DataSource>> {
    vec![
        Arc::new(crate::data_source_domain::DomainDataSource),
        Arc::new(crate::data_source_user_profile::UserProfileDataSource),
        Arc::new(crate::data_source_space::SpaceDataSource),
        Arc::new(crate::data_source_home_directories::HomeDirectoriesDataSource),
        Arc::new(crate::data_source_restore_history::RestoreHistoryDataSource),
    ]
}
