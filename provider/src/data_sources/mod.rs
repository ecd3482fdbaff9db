//! Data sources, one module each.

use crate::framework::DynDataSource;

/// Every data source this provider offers.
pub fn all() -> Vec<Box<dyn DynDataSource>> {
    vec![]
}
