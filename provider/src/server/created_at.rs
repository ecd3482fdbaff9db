//! A resource's private state remembers when this provider created it, so
//! that a refresh in the seconds after (a destroy right after a failed
//! create, a plan right after an apply) does not take AWS's eventual
//! "not found" for "deleted outside Terraform" and forget a resource that
//! exists.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::aws::consistency::LAG;

const KEY: &str = "created_at";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs()
}

/// The private bytes of a resource created just now, keeping what the
/// planned private state held (a JSON object, or nothing).
pub fn mark(planned_private: &[u8]) -> Vec<u8> {
    let mut object = serde_json::from_slice::<serde_json::Value>(planned_private)
        .ok()
        .filter(serde_json::Value::is_object)
        .unwrap_or_else(|| serde_json::json!({}));
    object[KEY] = serde_json::Value::from(now());
    serde_json::to_vec(&object).unwrap_or_default()
}

/// How much longer "not found" should be read as "not visible yet" for a
/// resource with this private state: zero when it was not created recently
/// (or by an older version of the provider).
pub fn lag_left(private: &[u8]) -> Duration {
    let created = serde_json::from_slice::<serde_json::Value>(private)
        .ok()
        .and_then(|v| v.get(KEY).and_then(serde_json::Value::as_u64));
    match created {
        Some(at) => LAG.saturating_sub(Duration::from_secs(now().saturating_sub(at))),
        None => Duration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_resource_has_lag_left_and_others_none() {
        let private = mark(b"");
        assert!(lag_left(&private) > Duration::from_secs(50));
        assert_eq!(lag_left(b""), Duration::ZERO);
        assert_eq!(lag_left(br#"{"created_at": 1}"#), Duration::ZERO);
        let kept = mark(br#"{"other": 1}"#);
        assert!(String::from_utf8_lossy(&kept).contains("other"));
    }
}
