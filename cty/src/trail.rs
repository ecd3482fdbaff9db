//! A borrowed path kept on the stack while walking a value, turned into a
//! [`Path`] only when an error needs one.

use crate::error::CtyError;
use crate::path::{Path, PathStep};

/// How deeply values may nest (containers and dynamic wrappers) in the codecs.
pub const MAX_DEPTH: usize = 128;

pub(crate) enum Trail<'a> {
    Root,
    Attr(&'a Trail<'a>, &'a str),
    Key(&'a Trail<'a>, &'a str),
    Index(&'a Trail<'a>, usize),
}

impl Trail<'_> {
    pub(crate) fn to_path(&self) -> Path {
        let mut steps = Vec::new();
        let mut at = self;
        loop {
            let (parent, step) = match at {
                Trail::Root => break,
                Trail::Attr(p, name) => (p, PathStep::Attr((*name).to_owned())),
                Trail::Key(p, key) => (p, PathStep::Key((*key).to_owned())),
                Trail::Index(p, i) => (p, PathStep::Index(i64::try_from(*i).unwrap_or(i64::MAX))),
            };
            steps.push(step);
            at = parent;
        }
        steps.reverse();
        Path::from(steps)
    }

    pub(crate) fn err(&self, message: impl Into<String>) -> CtyError {
        CtyError::new(self.to_path(), message)
    }

    /// The error for values nested beyond [`MAX_DEPTH`], if `depth` is beyond it.
    pub(crate) fn check_depth(&self, depth: usize) -> Result<(), CtyError> {
        if depth > MAX_DEPTH {
            Err(self.err(format!("value nested more than {MAX_DEPTH} levels deep")))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_paths() {
        let root = Trail::Root;
        let a = Trail::Attr(&root, "ingress");
        let b = Trail::Index(&a, 0);
        let c = Trail::Attr(&b, "tags");
        let d = Trail::Key(&c, "Name");
        assert_eq!(d.to_path().to_string(), "ingress[0].tags[\"Name\"]");
        assert_eq!(
            d.err("boom").to_string(),
            "at ingress[0].tags[\"Name\"]: boom"
        );
        assert!(root.check_depth(MAX_DEPTH).is_ok());
        assert!(root.check_depth(MAX_DEPTH + 1).is_err());
    }
}
