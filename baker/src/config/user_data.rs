//! The builder's user data: `builder.user_data`, or the contents of
//! `builder.user_data_file`; checked before the first AWS call and read
//! again by the launch step.

use std::path::Path;

use super::Config;

/// The most user data EC2 takes, before base64.
pub const MAX_USER_DATA: usize = 16 * 1024;

/// The builder's user data (`builder.user_data` or the contents of
/// `builder.user_data_file`, relative to `base`); `None` when unset.
pub fn user_data(config: &Config, base: &Path) -> Result<Option<String>, String> {
    let builder = &config.builder;
    let data = match (
        builder.user_data.is_empty(),
        builder.user_data_file.as_os_str().is_empty(),
    ) {
        (true, true) => return Ok(None),
        (false, false) => {
            return Err("set builder.user_data or builder.user_data_file, not both".into());
        }
        (false, true) => builder.user_data.clone(),
        (true, false) => {
            let path = base.join(&builder.user_data_file);
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?
        }
    };
    if data.len() > MAX_USER_DATA {
        return Err(format!(
            "{} bytes; EC2 takes at most {MAX_USER_DATA}",
            data.len()
        ));
    }
    Ok(Some(data))
}
