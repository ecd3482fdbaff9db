//! Data sources, one module each.

pub mod ami;
pub mod default_network;

use crate::framework::{DynDataSource, ErasedDataSource};

/// Every data source this provider offers.
pub fn all() -> Vec<Box<dyn DynDataSource>> {
    vec![
        Box::new(ErasedDataSource::new(ami::AmiDataSource)),
        Box::new(ErasedDataSource::new(
            default_network::DefaultNetworkDataSource,
        )),
    ]
}
