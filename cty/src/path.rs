//! Paths into a value, used to say where an error happened.

use std::fmt;

/// One step of a [`Path`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathStep {
    /// An object attribute: `.name`.
    Attr(String),
    /// A map key: `["key"]`.
    Key(String),
    /// A list, set or tuple position: `[3]`.
    Index(i64),
}

/// A path from the root of a value to one of its parts, e.g. `ingress[0].from_port`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Path {
    steps: Vec<PathStep>,
}

impl Path {
    /// The empty path, naming the whole value.
    pub fn root() -> Path {
        Path::default()
    }

    /// This path followed by an attribute step.
    pub fn attr(&self, name: impl Into<String>) -> Path {
        self.with(PathStep::Attr(name.into()))
    }

    /// This path followed by a map-key step.
    pub fn key(&self, key: impl Into<String>) -> Path {
        self.with(PathStep::Key(key.into()))
    }

    /// This path followed by an index step.
    pub fn index(&self, index: i64) -> Path {
        self.with(PathStep::Index(index))
    }

    /// The steps from the root.
    pub fn steps(&self) -> &[PathStep] {
        &self.steps
    }

    /// Whether this is the root path.
    pub fn is_root(&self) -> bool {
        self.steps.is_empty()
    }

    fn with(&self, step: PathStep) -> Path {
        let mut steps = Vec::with_capacity(self.steps.len() + 1);
        steps.extend_from_slice(&self.steps);
        steps.push(step);
        Path { steps }
    }
}

impl From<Vec<PathStep>> for Path {
    fn from(steps: Vec<PathStep>) -> Path {
        Path { steps }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.steps.iter().enumerate() {
            match step {
                PathStep::Attr(name) if i == 0 => f.write_str(name)?,
                PathStep::Attr(name) => write!(f, ".{name}")?,
                PathStep::Key(key) => {
                    let quoted = serde_json::Value::String(key.clone()).to_string();
                    write!(f, "[{quoted}]")?;
                }
                PathStep::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_mixes_steps() {
        let p = Path::root().attr("ingress").index(0).attr("from_port");
        assert_eq!(p.to_string(), "ingress[0].from_port");
        let p = Path::root().attr("tags").key("Name");
        assert_eq!(p.to_string(), "tags[\"Name\"]");
        let p = Path::root().key("a\"b");
        assert_eq!(p.to_string(), "[\"a\\\"b\"]");
        assert_eq!(Path::root().to_string(), "");
        assert!(Path::root().is_root());
        assert_eq!(p.steps(), &[PathStep::Key("a\"b".into())]);
    }
}
