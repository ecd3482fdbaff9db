//! The image name template: `{app}-{build}-{short_commit}` and friends.

use std::collections::BTreeMap;

/// The placeholders a template may use.
pub const PLACEHOLDERS: &[&str] = &["app", "build", "commit", "short_commit", "timestamp"];

/// Characters AWS accepts in an AMI name.
fn allowed_in_ami_name(c: char) -> bool {
    c.is_ascii_alphanumeric() || " ()[]./-'@_".contains(c)
}

/// Fills `{name}` placeholders from `values`; `{{` and `}}` are literal braces.
pub fn render(template: &str, values: &BTreeMap<&str, String>) -> Result<String, String> {
    let mut out = String::with_capacity(template.len() + 32);
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut name = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => name.push(c),
                        None => {
                            return Err(format!(
                                "unclosed `{{{name}` (write `{{{{` for a literal brace)"
                            ));
                        }
                    }
                }
                let value = values.get(name.as_str()).ok_or_else(|| {
                    format!(
                        "unknown placeholder `{{{name}}}` (known: {})",
                        PLACEHOLDERS
                            .iter()
                            .map(|p| format!("{{{p}}}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?;
                out.push_str(value);
            }
            '}' => return Err("a `}` without its `{` (write `}}` for a literal brace)".into()),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Checks a rendered name against AWS's rules for AMI names.
pub fn check_ami_name(name: &str) -> Result<(), String> {
    let len = name.chars().count();
    if !(3..=128).contains(&len) {
        return Err(format!(
            "the image name {name:?} has {len} characters; AWS needs 3 to 128"
        ));
    }
    if let Some(bad) = name.chars().find(|c| !allowed_in_ami_name(*c)) {
        return Err(format!(
            "the image name {name:?} contains {bad:?}; AWS allows letters, digits and ( ) [ ] . / - ' @ _ and spaces"
        ));
    }
    Ok(())
}

/// The values for a build.
pub fn values(
    app: &str,
    build: &str,
    commit: &str,
    short_commit: &str,
    timestamp: u64,
) -> BTreeMap<&'static str, String> {
    BTreeMap::from([
        ("app", app.to_string()),
        ("build", build.to_string()),
        ("commit", commit.to_string()),
        ("short_commit", short_commit.to_string()),
        ("timestamp", timestamp.to_string()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> BTreeMap<&'static str, String> {
        values("nodeapp", "42", "abcdef0123", "abcdef0", 1_700_000_000)
    }

    #[test]
    fn renders_the_default_template() {
        let name = render("{app}-{build}-{short_commit}", &sample()).expect("renders");
        assert_eq!(name, "nodeapp-42-abcdef0");
        assert!(check_ami_name(&name).is_ok());
        assert_eq!(
            render("{{x}}-{timestamp}", &sample()).as_deref(),
            Ok("{x}-1700000000")
        );
    }

    #[test]
    fn bad_templates_say_why() {
        let unknown = render("{app}-{sha}", &sample()).expect_err("unknown");
        assert!(
            unknown.contains("{sha}") && unknown.contains("{short_commit}"),
            "{unknown}"
        );
        assert!(
            render("{app", &sample())
                .expect_err("unclosed")
                .contains("unclosed")
        );
        assert!(render("app}", &sample()).is_err());
        assert!(check_ami_name("a*b-c").expect_err("star").contains("'*'"));
        assert!(check_ami_name("ab").is_err());
    }
}
