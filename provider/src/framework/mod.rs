//! What every resource shares: schemas as data, diagnostics with paths,
//! validators, plan logic and the typed `Resource` trait.

mod data_source;
pub mod default_tags;
mod diagnostics;
pub mod model;
#[cfg(test)]
mod oracle;
pub mod plan;
mod resource;
mod schema;
pub mod timeouts;
mod upgrade;
mod validators;

pub use data_source::{DataSource, DynDataSource, ErasedDataSource};
pub use diagnostics::{Diagnostic, Diagnostics, Severity};
pub use model::null_as_default;
#[cfg(test)]
pub use oracle::{Dice, attr_mut, set_attr};
pub use plan::Plan;
pub use resource::{ApplyError, ApplyResult, DynResource, Erased, Resource};
pub use schema::{Attribute, Block, Mode, NestedBlock, Nesting, Schema};
pub use timeouts::Timeouts;
pub use validators::Validator;
