//! Terraform's checks of an applied state against the planned one, which
//! are also its checks of a final plan against the saved plan.

use cty::{Path, Value};

use super::{Findings, Violation, conform, first_unknown, part, same};
use crate::framework::schema::{Block, Nesting};

/// Terraform's checks of an applied state against the planned one: it is
/// wholly known, of the schema's type, and every known planned value is in
/// it unchanged.
pub fn check_apply(block: &Block, planned: &Value, applied: &Value) -> Vec<Violation> {
    let mut found = Findings::default();
    if let Err((path, problem)) = conform(applied, &block.value_type(), &Path::root()) {
        found.terraform(
            &path,
            format!("applied value does not conform to the schema: {problem}"),
        );
    }
    if let Some(path) = first_unknown(applied, &Path::root()) {
        found.terraform(&path, "the applied state has an unknown value");
    }
    compatible_object(block, planned, applied, &Path::root(), &mut found);
    found.0
}

/// Whether `actual` is a valid completion of `planned` (core's check of
/// both an applied state and a final plan against a saved plan).
pub(super) fn compatible_object(
    block: &Block,
    planned: &Value,
    actual: &Value,
    path: &Path,
    found: &mut Findings,
) {
    match (planned.is_null(), actual.is_null()) {
        (true, false) => return found.terraform(path, "was absent, but now present"),
        (false, true) => return found.terraform(path, "was present, but now absent"),
        (true, true) => return,
        (false, false) => {}
    }
    for attr in &block.attributes {
        let at = path.attr(attr.name);
        compatible_value(
            &part(planned, attr.name),
            &part(actual, attr.name),
            &at,
            found,
        );
    }
    for nested in &block.blocks {
        let here = path.attr(nested.name);
        let (p, a) = (part(planned, nested.name), part(actual, nested.name));
        match nested.nesting {
            Nesting::Single => {
                if p.is_unknown() && a.is_null() {
                    continue;
                }
                compatible_object(&nested.block, &p, &a, &here, found);
            }
            Nesting::List => {
                if p.is_unknown() || a.is_unknown() || p.is_null() || a.is_null() {
                    continue;
                }
                let (ps, acts) = (
                    p.as_elements().unwrap_or(&[]),
                    a.as_elements().unwrap_or(&[]),
                );
                if ps.len() != acts.len() {
                    found.terraform(
                        &here,
                        format!("block count changed from {} to {}", ps.len(), acts.len()),
                    );
                    continue;
                }
                for (i, (pe, ae)) in ps.iter().zip(acts).enumerate() {
                    let at = here.index(i64::try_from(i).unwrap_or(i64::MAX));
                    compatible_object(&nested.block, pe, ae, &at, found);
                }
            }
            Nesting::Set => {
                if p.is_unknown() || a.is_unknown() || p.is_null() || a.is_null() {
                    continue;
                }
                let (ps, acts) = (
                    p.as_elements().unwrap_or(&[]),
                    a.as_elements().unwrap_or(&[]),
                );
                correlate_sets(ps, acts, &here, found, |pe, ae| {
                    let mut inner = Findings::default();
                    compatible_object(&nested.block, pe, ae, &here, &mut inner);
                    inner.0.is_empty()
                });
                if ps.len() < acts.len() {
                    found.terraform(
                        &here,
                        format!(
                            "block set length changed from {} to {}",
                            ps.len(),
                            acts.len()
                        ),
                    );
                }
            }
        }
    }
}

fn compatible_value(planned: &Value, actual: &Value, path: &Path, found: &mut Findings) {
    if planned.is_unknown() {
        return;
    }
    match (planned.is_null(), actual.is_null()) {
        (true, true) => return,
        (false, true) => return found.terraform(path, format!("was {planned:?}, but now null")),
        (true, false) => return found.terraform(path, format!("was null, but now {actual:?}")),
        (false, false) => {}
    }
    if actual.is_unknown() {
        return found.terraform(path, "was known, but now unknown");
    }
    match (planned.unwrap_dynamic(), actual.unwrap_dynamic()) {
        (Value::List(ps), Value::List(acts)) | (Value::Tuple(ps), Value::Tuple(acts)) => {
            for (i, p) in ps.iter().enumerate() {
                let at = path.index(i64::try_from(i).unwrap_or(i64::MAX));
                match acts.get(i) {
                    Some(a) => compatible_value(p, a, &at, found),
                    None => found.terraform(path, format!("element {i} has vanished")),
                }
            }
            for i in ps.len()..acts.len() {
                found.terraform(path, format!("new element {i} has appeared"));
            }
        }
        (Value::Map(ps), Value::Map(acts)) => {
            for (k, p) in ps {
                match acts.get(k) {
                    Some(a) => compatible_value(p, a, &path.key(k.clone()), found),
                    None => found.terraform(path, format!("element {k:?} has vanished")),
                }
            }
            for k in acts.keys().filter(|k| !ps.contains_key(*k)) {
                found.terraform(path, format!("new element {k:?} has appeared"));
            }
        }
        (Value::Object(ps), Value::Object(acts)) => {
            for name in ps
                .keys()
                .chain(acts.keys().filter(|k| !ps.contains_key(*k)))
            {
                compatible_value(
                    &part(planned, name),
                    &part(actual, name),
                    &path.attr(name.clone()),
                    found,
                );
            }
        }
        (Value::Set(ps), Value::Set(acts)) => {
            correlate_sets(ps, acts, path, found, |p, a| {
                let mut inner = Findings::default();
                compatible_value(p, a, path, &mut inner);
                inner.0.is_empty()
            });
            if ps.len() < acts.len() {
                found.terraform(
                    path,
                    format!("length changed from {} to {}", ps.len(), acts.len()),
                );
            }
        }
        (p, a) => {
            if !same(p, a) {
                found.terraform(path, format!("was {p:?}, but now {a:?}"));
            }
        }
    }
}

/// Every planned set element must match some actual element and the other
/// way round (set elements have no identity to pair them by).
fn correlate_sets(
    planned: &[Value],
    actual: &[Value],
    path: &Path,
    found: &mut Findings,
    matches: impl Fn(&Value, &Value) -> bool,
) {
    let mut planned_ok = vec![false; planned.len()];
    let mut actual_ok = vec![false; actual.len()];
    for (i, p) in planned.iter().enumerate() {
        for (j, a) in actual.iter().enumerate() {
            if !(planned_ok[i] && actual_ok[j]) && matches(p, a) {
                planned_ok[i] = true;
                actual_ok[j] = true;
            }
        }
    }
    if let Some(i) = planned_ok.iter().position(|ok| !ok) {
        return found.terraform(
            path,
            format!(
                "planned set element {:?} does not correlate with any element in actual",
                planned[i]
            ),
        );
    }
    if let Some(j) = actual_ok.iter().position(|ok| !ok) {
        found.terraform(
            path,
            format!(
                "actual set element {:?} does not correlate with any element in plan",
                actual[j]
            ),
        );
    }
}
