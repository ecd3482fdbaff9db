//! Log lines in the JSON shape Terraform's plugin client reads from a
//! provider's stderr: one object per line with `@level` and `@message`, the
//! event's fields beside them. Terraform then logs each line at its own level
//! (`TF_LOG_PROVIDER=INFO` shows the rollout's progress); a line that is not
//! such an object it logs at DEBUG only. `@timestamp` has the one layout it
//! parses (RFC 3339 with microseconds), else it shows a zero time.

use std::fmt;

use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// Formats each event as one hclog JSON line.
pub struct HclogJson;

impl<S, N> FormatEvent<S, N> for HclogJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        writeln!(writer, "{}", line(event.metadata().level(), event))
    }
}

/// The JSON object for one event.
fn line(level: &Level, event: &Event<'_>) -> String {
    let mut fields = Fields::default();
    event.record(&mut fields);
    let mut object = Map::new();
    object.insert("@level".into(), Value::from(level_name(level)));
    object.insert(
        "@timestamp".into(),
        Value::from(humantime::format_rfc3339_micros(std::time::SystemTime::now()).to_string()),
    );
    object.insert(
        "@message".into(),
        Value::from(fields.message.unwrap_or_default()),
    );
    object.extend(fields.others);
    Value::Object(object).to_string()
}

/// hclog's level names.
fn level_name(level: &Level) -> &'static str {
    match *level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

/// An event's message and its other fields, as JSON values.
#[derive(Default)]
struct Fields {
    message: Option<String>,
    others: Map<String, Value>,
}

impl Fields {
    fn put(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = Some(match value {
                Value::String(text) => text,
                other => other.to_string(),
            });
        } else {
            self.others.insert(field.name().to_owned(), value);
        }
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::from(value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::from(format!("{value:?}")));
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::sync::{Arc, Mutex};

    use super::HclogJson;

    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if let Ok(mut out) = self.0.lock() {
                out.extend_from_slice(buf);
            }
            Ok(buf.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn each_event_is_one_object_terraform_reads_at_its_level() {
        let captured = Captured::default();
        let sink = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .event_format(HclogJson)
            .with_writer(move || sink.clone())
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::info!(group = "web", healthy = 2, figures = %"0.00%", "rollout gate figures");
            tracing::warn!("a \"quoted\"\nmessage");
        });
        let text = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
            .collect();
        assert_eq!(lines.len(), 2, "{text}");
        assert_eq!(lines[0]["@level"], "info");
        let stamp = lines[0]["@timestamp"].as_str().expect("a timestamp");
        // Go's layout "2006-01-02T15:04:05.000000Z07:00".
        assert_eq!(stamp.len(), "2026-12-03T13:05:00.123456Z".len(), "{stamp}");
        assert!(
            stamp.ends_with('Z') && stamp.as_bytes()[19] == b'.',
            "{stamp}"
        );
        assert_eq!(lines[0]["@message"], "rollout gate figures");
        assert_eq!(lines[0]["group"], "web");
        assert_eq!(lines[0]["healthy"], 2);
        assert_eq!(lines[0]["figures"], "0.00%");
        assert_eq!(lines[1]["@level"], "warn");
        assert_eq!(lines[1]["@message"], "a \"quoted\"\nmessage");
    }
}
