//! The `DataSource` trait: read-only lookups, typed like resources.

use async_trait::async_trait;
use cty::{Type, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::diagnostics::Diagnostics;
use super::model::{from_value, to_value};
use super::plan::apply_defaults;
use super::resource::validate_config;
use super::schema::Schema;
use crate::aws::Aws;

#[async_trait]
pub trait DataSource: Send + Sync + 'static {
    type Model: Serialize + DeserializeOwned + Send + Sync;

    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;
    /// Cross-attribute checks on the configuration (values may be unknown).
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}
    /// Looks the thing up; the configuration is wholly known here.
    async fn read(&self, aws: &Aws, config: Self::Model) -> Result<Self::Model, Diagnostics>;
}

#[async_trait]
pub trait DynDataSource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn value_type(&self) -> &Type;
    fn validate(&self, config: &Value) -> Diagnostics;
    async fn read(&self, aws: &Aws, config: &Value) -> Result<Value, Diagnostics>;
}

pub struct ErasedDataSource<D> {
    source: D,
    schema: Schema,
    ty: Type,
}

impl<D: DataSource> ErasedDataSource<D> {
    pub fn new(source: D) -> Self {
        let schema = source.schema();
        let ty = schema.value_type();
        Self { source, schema, ty }
    }
}

#[async_trait]
impl<D: DataSource> DynDataSource for ErasedDataSource<D> {
    fn type_name(&self) -> &'static str {
        self.source.type_name()
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }
    fn value_type(&self) -> &Type {
        &self.ty
    }
    fn validate(&self, config: &Value) -> Diagnostics {
        validate_config(&self.schema.block, config, |diags| {
            self.source.validate(config, diags)
        })
    }
    async fn read(&self, aws: &Aws, config: &Value) -> Result<Value, Diagnostics> {
        let mut with_defaults = config.clone();
        apply_defaults(&self.schema.block, config, &mut with_defaults);
        let model = self.source.read(aws, from_value(&with_defaults)?).await?;
        to_value(&model, &self.ty)
    }
}
