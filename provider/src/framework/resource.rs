//! The `Resource` trait a managed resource implements, and the type-erased
//! form the gRPC layer calls. The erased form owns everything generic:
//! model conversion, validation, planning, consistency of applied state.

use async_trait::async_trait;
use cty::{Path, Type, Value};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::diagnostics::Diagnostics;
use super::model::{from_value, to_value};
use super::plan::{Plan, keep_empty_as_before, plan};
use super::schema::{Block, Mode, Nesting, Schema};
use crate::aws::Aws;

/// A failed apply: what to tell the user, and what exists now if anything
/// was made before the failure (Terraform then keeps it, tainted).
#[derive(Debug)]
pub struct ApplyError<M> {
    pub state: Option<M>,
    pub diagnostics: Diagnostics,
}

impl<M> ApplyError<M> {
    pub fn partial(state: M, diagnostics: Diagnostics) -> Self {
        Self {
            state: Some(state),
            diagnostics,
        }
    }
}

impl<M> From<Diagnostics> for ApplyError<M> {
    fn from(diagnostics: Diagnostics) -> Self {
        Self {
            state: None,
            diagnostics,
        }
    }
}

pub type ApplyResult<M> = Result<M, ApplyError<M>>;

#[async_trait]
pub trait Resource: Send + Sync + 'static {
    type Model: Serialize + DeserializeOwned + Send + Sync;

    fn type_name(&self) -> &'static str;
    fn schema(&self) -> Schema;

    /// Cross-attribute checks on the configuration (values may be unknown).
    fn validate(&self, _config: &Value, _diags: &mut Diagnostics) {}

    /// Last word on the plan (after defaults, unknowns and replacements).
    fn modify_plan(&self, _prior: &Value, _config: &Value, _plan: &mut Plan) {}

    /// For property tests: turns a configuration drawn attribute by
    /// attribute from the schema toward one that `validate` accepts (which
    /// of exclusive attributes is set, values that must agree), with the
    /// remaining choices left to `dice`. `validate` still has the last word.
    #[cfg(test)]
    fn shape_generated_config(&self, _config: &mut Value, _dice: &mut super::Dice<'_>) {}

    async fn create(&self, aws: &Aws, planned: Self::Model) -> ApplyResult<Self::Model>;
    /// The resource as it is now, or `None` when it no longer exists.
    async fn read(
        &self,
        aws: &Aws,
        current: Self::Model,
    ) -> Result<Option<Self::Model>, Diagnostics>;
    async fn update(
        &self,
        aws: &Aws,
        prior: Self::Model,
        planned: Self::Model,
    ) -> ApplyResult<Self::Model>;
    async fn delete(&self, aws: &Aws, state: Self::Model) -> Result<(), Diagnostics>;
    /// A model holding just enough (usually the id) for `read` to fill in.
    fn import(&self, id: &str) -> Result<Self::Model, Diagnostics>;
    /// Rewrites a stored state (JSON) of schema version `from` into the form
    /// of version `from + 1`. Only resources that raised their schema
    /// version need one.
    fn upgrade_state(
        &self,
        from: i64,
        _state: serde_json::Value,
    ) -> Result<serde_json::Value, Diagnostics> {
        Err(super::upgrade::cannot_upgrade(self.type_name(), from))
    }
}

/// What the gRPC layer sees of a resource.
#[async_trait]
pub trait DynResource: Send + Sync {
    fn type_name(&self) -> &'static str;
    fn schema(&self) -> &Schema;
    fn value_type(&self) -> &Type;
    fn validate(&self, config: &Value) -> Diagnostics;
    fn plan(&self, prior: &Value, config: &Value, proposed: &Value) -> (Plan, Diagnostics);
    async fn apply(&self, aws: &Aws, prior: &Value, planned: &Value) -> (Value, Diagnostics);
    async fn read(&self, aws: &Aws, state: &Value) -> (Value, Diagnostics);
    fn import(&self, id: &str) -> Result<Value, Diagnostics>;
    /// See [`Resource::shape_generated_config`].
    #[cfg(test)]
    fn shape_generated_config(&self, config: &mut Value, dice: &mut super::Dice<'_>);
    /// A stored state (`RawState`) written at schema `version`, as a value
    /// of the current schema.
    fn upgrade(&self, version: i64, json: &[u8], has_flatmap: bool) -> Result<Value, Diagnostics> {
        let name = self.type_name();
        let upgrader = super::upgrade::no_upgrader(name);
        super::upgrade::upgrade_state(
            name,
            self.schema(),
            self.value_type(),
            version,
            json,
            has_flatmap,
            &upgrader,
        )
    }
}

pub struct Erased<R> {
    resource: R,
    schema: Schema,
    ty: Type,
}

impl<R: Resource> Erased<R> {
    pub fn new(resource: R) -> Self {
        let mut schema = resource.schema();
        schema.block = super::default_tags::with_tags_all(schema.block);
        let ty = schema.value_type();
        Self {
            resource,
            schema,
            ty,
        }
    }

    fn to_value(&self, model: &R::Model) -> Result<Value, Diagnostics> {
        to_value(model, &self.ty)
    }
}

#[async_trait]
impl<R: Resource> DynResource for Erased<R> {
    fn type_name(&self) -> &'static str {
        self.resource.type_name()
    }
    fn schema(&self) -> &Schema {
        &self.schema
    }
    fn value_type(&self) -> &Type {
        &self.ty
    }

    fn validate(&self, config: &Value) -> Diagnostics {
        validate_config(&self.schema.block, config, |diags| {
            self.resource.validate(config, diags)
        })
    }

    fn plan(&self, prior: &Value, config: &Value, proposed: &Value) -> (Plan, Diagnostics) {
        let mut planned = plan(&self.schema.block, prior, config, proposed);
        if !planned.planned.is_null() {
            self.resource.modify_plan(prior, config, &mut planned);
        }
        (planned, Diagnostics::new())
    }

    async fn apply(&self, aws: &Aws, prior: &Value, planned: &Value) -> (Value, Diagnostics) {
        let result = match (prior.is_null(), planned.is_null()) {
            (_, true) => {
                return match from_value(prior) {
                    Ok(state) => match self.resource.delete(aws, state).await {
                        Ok(()) => (Value::Null, Diagnostics::new()),
                        Err(d) => (prior.clone(), d),
                    },
                    Err(d) => (prior.clone(), d),
                };
            }
            (true, false) => match from_value(planned) {
                Ok(model) => self.resource.create(aws, model).await,
                Err(d) => return (Value::Null, d),
            },
            (false, false) => match (from_value(prior), from_value(planned)) {
                (Ok(before), Ok(after)) => self.resource.update(aws, before, after).await,
                (Err(d), _) | (_, Err(d)) => return (prior.clone(), d),
            },
        };
        let fallback = if prior.is_null() {
            Value::Null
        } else {
            prior.clone()
        };
        let (model, diags) = match result {
            Ok(model) => (Some(model), Diagnostics::new()),
            Err(e) => (e.state, e.diagnostics),
        };
        let Some(model) = model else {
            return (fallback, diags);
        };
        if diags.has_errors() {
            return (self.state_after_failure(aws, &model, fallback).await, diags);
        }
        match self.to_value(&model) {
            Ok(value) => (settle(&self.schema.block, planned, value), diags),
            Err(mut d) => {
                d.extend(diags);
                (fallback, d)
            }
        }
    }

    async fn read(&self, aws: &Aws, state: &Value) -> (Value, Diagnostics) {
        let current = match from_value(state) {
            Ok(m) => m,
            Err(d) => return (state.clone(), d),
        };
        match self.resource.read(aws, current).await {
            Ok(None) => (Value::Null, Diagnostics::new()),
            Ok(Some(model)) => match self.to_value(&model) {
                Ok(mut value) => {
                    keep_empty_as_before(&self.schema.block, state, &mut value);
                    fill_defaults_when_null(&self.schema.block, &mut value);
                    (value, Diagnostics::new())
                }
                Err(d) => (state.clone(), d),
            },
            Err(d) => (state.clone(), d),
        }
    }

    fn import(&self, id: &str) -> Result<Value, Diagnostics> {
        let model = self.resource.import(id)?;
        self.to_value(&model)
    }

    #[cfg(test)]
    fn shape_generated_config(&self, config: &mut Value, dice: &mut super::Dice<'_>) {
        self.resource.shape_generated_config(config, dice);
    }

    fn upgrade(&self, version: i64, json: &[u8], has_flatmap: bool) -> Result<Value, Diagnostics> {
        let upgrader = |from, state| self.resource.upgrade_state(from, state);
        super::upgrade::upgrade_state(
            self.resource.type_name(),
            &self.schema,
            &self.ty,
            version,
            json,
            has_flatmap,
            &upgrader,
        )
    }
}

impl<R: Resource> Erased<R> {
    /// What a failed apply saves: what really exists, read back from the
    /// cloud, not what was planned (Terraform keeps the state returned with
    /// an error as it is, so a planned value here would be a lie: a group
    /// shown on the new template version after a rolled-back rollout). When
    /// the read fails or finds nothing (a lagging Describe right after a
    /// create), the resource's own account of the partial result is kept, so
    /// nothing it made is forgotten.
    async fn state_after_failure(&self, aws: &Aws, partial: &R::Model, fallback: Value) -> Value {
        let Ok(partial) = self.to_value(partial) else {
            return fallback;
        };
        match self.read(aws, &partial).await {
            (read, d) if !d.has_errors() && !read.is_null() => read,
            _ => partial,
        }
    }
}

/// The applied state as Terraform requires it: every value the user
/// configured (known in the plan) exactly as planned, the rest from the cloud.
pub(super) fn settle(block: &Block, planned: &Value, mut applied: Value) -> Value {
    let Value::Object(fields) = &mut applied else {
        return applied;
    };
    for attr in &block.attributes {
        let planned_value = planned.get_attr(attr.name).unwrap_or(&Value::Null);
        let user_owned = matches!(attr.mode, Mode::Required | Mode::Optional);
        if (user_owned || attr.default.is_some()) && planned_value.is_wholly_known() {
            fields.insert(attr.name.to_string(), planned_value.clone());
        }
    }
    for nested in &block.blocks {
        let planned_value = planned.get_attr(nested.name).unwrap_or(&Value::Null);
        if planned_value.is_wholly_known() {
            fields.insert(nested.name.to_string(), planned_value.clone());
        }
    }
    applied
}

/// Attributes the cloud does not store (provider-side settings) read back
/// as null; they take their default again, as on create.
fn fill_defaults_when_null(block: &Block, value: &mut Value) {
    let Value::Object(fields) = value else {
        return;
    };
    for attr in &block.attributes {
        if let Some(default) = &attr.default
            && fields.get(attr.name).is_none_or(Value::is_null)
        {
            fields.insert(attr.name.to_string(), default.clone());
        }
    }
}

/// Attribute validators first; the cross-attribute `check` only when they
/// all passed, so it sees values of the right shape.
pub(super) fn validate_config(
    block: &Block,
    config: &Value,
    check: impl FnOnce(&mut Diagnostics),
) -> Diagnostics {
    let mut diags = Diagnostics::new();
    validate_block(block, config, &Path::root(), &mut diags);
    if !diags.has_errors() {
        check(&mut diags);
    }
    diags
}

/// Runs attribute validators over a config value, nested blocks included.
fn validate_block(block: &Block, config: &Value, path: &Path, diags: &mut Diagnostics) {
    for attr in &block.attributes {
        let Some(value) = config.get_attr(attr.name) else {
            continue;
        };
        if value.is_null() || !value.is_known() {
            continue;
        }
        let here = path.attr(attr.name);
        for problem in attr.validators.iter().filter_map(|v| v.check(value)) {
            diags.push_attribute_error(
                here.clone(),
                format!("Invalid value for {}", attr.name),
                format!("{here} {problem}."),
            );
        }
    }
    for nested in &block.blocks {
        let Some(value) = config.get_attr(nested.name) else {
            continue;
        };
        let here = path.attr(nested.name);
        match nested.nesting {
            Nesting::Single => validate_block(&nested.block, value, &here, diags),
            Nesting::List | Nesting::Set => {
                for (i, item) in value.as_elements().unwrap_or(&[]).iter().enumerate() {
                    let index = i64::try_from(i).unwrap_or(i64::MAX);
                    validate_block(&nested.block, item, &here.index(index), diags);
                }
            }
        }
    }
}
