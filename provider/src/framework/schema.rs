//! Schemas as data. A resource describes its attributes and nested blocks
//! once; validation, planning, the model codec and GetProviderSchema are all
//! derived from that description.

use cty::{Type, Value};

use super::validators::Validator;

/// Who sets an attribute's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Required,
    Optional,
    /// Set by the provider only.
    Computed,
    /// Set by the user, or by the provider (a default or the cloud) when the
    /// user leaves it out.
    OptionalComputed,
}

#[derive(Debug, Clone)]
pub struct Attribute {
    pub name: &'static str,
    pub ty: Type,
    pub mode: Mode,
    pub description: &'static str,
    pub sensitive: bool,
    pub default: Option<Value>,
    pub requires_replace: bool,
    /// Keep the prior value through updates instead of planning it unknown
    /// (ids and ARNs do not change when a resource is updated in place).
    pub stable: bool,
    pub validators: Vec<Validator>,
}

impl Attribute {
    fn new(name: &'static str, ty: Type, mode: Mode) -> Self {
        Self {
            name,
            ty,
            mode,
            description: "",
            sensitive: false,
            default: None,
            requires_replace: false,
            stable: false,
            validators: Vec::new(),
        }
    }
    pub fn required(name: &'static str, ty: Type) -> Self {
        Self::new(name, ty, Mode::Required)
    }
    pub fn optional(name: &'static str, ty: Type) -> Self {
        Self::new(name, ty, Mode::Optional)
    }
    pub fn computed(name: &'static str, ty: Type) -> Self {
        Self::new(name, ty, Mode::Computed)
    }
    pub fn optional_computed(name: &'static str, ty: Type) -> Self {
        Self::new(name, ty, Mode::OptionalComputed)
    }
    /// An optional attribute that takes `value` when left out.
    pub fn defaulted(name: &'static str, ty: Type, value: impl Into<Value>) -> Self {
        Self {
            default: Some(value.into()),
            ..Self::new(name, ty, Mode::OptionalComputed)
        }
    }
    pub fn describe(mut self, text: &'static str) -> Self {
        self.description = text;
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }
    pub fn stable(mut self) -> Self {
        self.stable = true;
        self
    }
    pub fn validate(mut self, validator: Validator) -> Self {
        self.validators.push(validator);
        self
    }
    pub fn is_computed(&self) -> bool {
        matches!(self.mode, Mode::Computed | Mode::OptionalComputed)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    /// At most one block; null when absent.
    Single,
    List,
    Set,
}

#[derive(Debug, Clone)]
pub struct NestedBlock {
    pub name: &'static str,
    pub nesting: Nesting,
    pub block: Block,
    pub min_items: i64,
    pub max_items: i64,
    pub requires_replace: bool,
}

impl NestedBlock {
    pub fn single(name: &'static str, block: Block) -> Self {
        Self {
            name,
            nesting: Nesting::Single,
            block,
            min_items: 0,
            max_items: 0,
            requires_replace: false,
        }
    }
    pub fn list(name: &'static str, block: Block) -> Self {
        Self {
            nesting: Nesting::List,
            ..Self::single(name, block)
        }
    }
    pub fn min_items(mut self, n: i64) -> Self {
        self.min_items = n;
        self
    }
    pub fn max_items(mut self, n: i64) -> Self {
        self.max_items = n;
        self
    }
    pub fn requires_replace(mut self) -> Self {
        self.requires_replace = true;
        self
    }
    pub fn value_type(&self) -> Type {
        let object = self.block.value_type();
        match self.nesting {
            Nesting::Single => object,
            Nesting::List => Type::list(object),
            Nesting::Set => Type::set(object),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Block {
    pub description: &'static str,
    pub attributes: Vec<Attribute>,
    pub blocks: Vec<NestedBlock>,
}

impl Block {
    pub fn new(description: &'static str) -> Self {
        Self {
            description,
            ..Self::default()
        }
    }
    pub fn attribute(mut self, attribute: Attribute) -> Self {
        self.attributes.push(attribute);
        self
    }
    pub fn block(mut self, block: NestedBlock) -> Self {
        self.blocks.push(block);
        self
    }
    /// The cty object type of a value of this block.
    pub fn value_type(&self) -> Type {
        Type::object(
            self.attributes
                .iter()
                .map(|a| (a.name, a.ty.clone()))
                .chain(self.blocks.iter().map(|b| (b.name, b.value_type()))),
        )
    }
    pub fn attribute_named(&self, name: &str) -> Option<&Attribute> {
        self.attributes.iter().find(|a| a.name == name)
    }
}

/// A resource's, data source's or the provider's schema.
#[derive(Debug, Clone)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(block: Block) -> Self {
        Self { version: 0, block }
    }
    pub fn value_type(&self) -> Type {
        self.block.value_type()
    }
}
