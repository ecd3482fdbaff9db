//! What one answer of the app says: the host that served it, the commit the
//! image was baked from and the build number (app/server.js writes them as
//! "Hi there! I'm being served from HOST", "AMI built from commit C",
//! "Build number N").

/// The three facts of one page.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Page {
    pub host: String,
    pub commit: String,
    pub build: String,
}

fn between<'a>(text: &'a str, before: &str, after: &str) -> Option<&'a str> {
    let start = text.find(before)? + before.len();
    let rest = &text[start..];
    let end = rest.find(after)?;
    Some(rest[..end].trim())
}

impl Page {
    /// Reads a page; `None` when it is not the app's page.
    pub fn parse(html: &str) -> Option<Page> {
        Some(Page {
            host: between(html, "I'm being served from ", "</h1>")?.to_owned(),
            commit: between(html, "AMI built from commit ", "</p>")?.to_owned(),
            build: between(html, "Build number ", "</p>")?.to_owned(),
        })
    }

    /// The page as the original project's README shows it, on one line.
    pub fn line(&self) -> String {
        format!(
            "Hi there! I'm being served from {} | AMI built from commit {} | Build number {}",
            self.host, self.commit, self.build
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_app_page_is_read() {
        let html = "<h1>Hi there! I'm being served from ip-172-31-3-4</h1>\n<p>AMI built from commit abc123</p>\n<p>Build number 7</p>";
        let page = Page::parse(html).expect("a page");
        assert_eq!(page.host, "ip-172-31-3-4");
        assert_eq!(page.commit, "abc123");
        assert_eq!(page.build, "7");
        assert!(Page::parse("<h1>503 Service Unavailable</h1>").is_none());
    }
}
