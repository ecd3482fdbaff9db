//! The error type of every fallible operation in this crate.

use crate::path::Path;

/// An error about a value or type, with the path of the part it concerns.
///
/// Displays as `at ingress[0].from_port: expected number, got string`, or just the
/// message when the path is the root.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}", prefix(.path), .message)]
pub struct CtyError {
    path: Path,
    message: String,
}

fn prefix(path: &Path) -> String {
    if path.is_root() {
        String::new()
    } else {
        format!("at {path}: ")
    }
}

impl CtyError {
    /// An error at `path`.
    pub fn new(path: Path, message: impl Into<String>) -> CtyError {
        CtyError {
            path,
            message: message.into(),
        }
    }

    /// An error about the whole value.
    pub fn root(message: impl Into<String>) -> CtyError {
        CtyError::new(Path::root(), message)
    }

    /// Where the error happened.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The message, without the path.
    pub fn message(&self) -> &str {
        &self.message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_path_when_not_root() {
        let path = Path::root().attr("ingress").index(0).attr("from_port");
        let err = CtyError::new(path.clone(), "expected number, got string");
        assert_eq!(
            err.to_string(),
            "at ingress[0].from_port: expected number, got string"
        );
        assert_eq!(err.path(), &path);
        assert_eq!(err.message(), "expected number, got string");
        assert_eq!(CtyError::root("bad").to_string(), "bad");
    }
}
