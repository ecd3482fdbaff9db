//! Managed resources, one module each.

pub mod launch_template;
pub mod security_group;

use crate::framework::{DynResource, Erased};

/// Every resource this provider manages.
pub fn all() -> Vec<Box<dyn DynResource>> {
    vec![
        Box::new(Erased::new(security_group::SecurityGroupResource)),
        Box::new(Erased::new(launch_template::LaunchTemplateResource)),
    ]
}
