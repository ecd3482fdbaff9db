//! Diagnostics: what goes wrong, said to the user, with the attribute path
//! when there is one. User mistakes and AWS errors travel as diagnostics,
//! never as gRPC errors.

use cty::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub path: Option<Path>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        let mut d = Self::new();
        d.push_error(summary, detail);
        d
    }
    pub fn attribute_error(
        path: Path,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) -> Self {
        let mut d = Self::new();
        d.push_attribute_error(path, summary, detail);
        d
    }
    pub fn push_error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.0.push(Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            path: None,
        });
    }
    pub fn push_attribute_error(
        &mut self,
        path: Path,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.0.push(Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            path: Some(path),
        });
    }
    pub fn push_warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.0.push(Diagnostic {
            severity: Severity::Warning,
            summary: summary.into(),
            detail: detail.into(),
            path: None,
        });
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    /// The first error as one line, `summary: detail`, for a message that
    /// reports it inside another.
    pub fn summary_line(&self) -> String {
        self.0
            .iter()
            .find(|d| d.severity == Severity::Error)
            .or(self.0.first())
            .map(|d| {
                if d.detail.is_empty() {
                    d.summary.clone()
                } else {
                    format!("{}: {}", d.summary, d.detail)
                }
            })
            .unwrap_or_default()
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<cty::CtyError> for Diagnostics {
    fn from(e: cty::CtyError) -> Self {
        Diagnostics::attribute_error(
            e.path().clone(),
            "Invalid value",
            format!("The provider could not read a value: {e}"),
        )
    }
}
