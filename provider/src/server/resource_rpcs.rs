//! The RPCs about managed resource state: upgrade, read, plan, apply and
//! import. Each decodes, calls the resource through the framework, encodes.

use tfplugin6::tfplugin6 as proto;
use tokio_util::sync::CancellationToken;
use tonic::Request;

use super::{ProviderService, Reply, convert, created_at, deferral, flatten, ok, split};
use crate::aws::consistency::lag_backoff;
use crate::aws::{Aws, wait};
use crate::framework::default_tags;
use crate::framework::{Diagnostics, DynResource};

pub(super) async fn upgrade_resource_state(
    service: &ProviderService,
    request: Request<proto::upgrade_resource_state::Request>,
) -> Reply<proto::upgrade_resource_state::Response> {
    let req = request.get_ref();
    let result = service.resource(&req.type_name).and_then(|r| {
        let raw = req.raw_state.as_ref();
        let json = raw.map(|s| s.json.as_slice()).unwrap_or_default();
        let has_flatmap = raw.is_some_and(|s| !s.flatmap.is_empty());
        let state = r.upgrade(req.version, json, has_flatmap)?;
        convert::encode(&state, r.value_type())
    });
    let (upgraded_state, diags) = split(result);
    ok(proto::upgrade_resource_state::Response {
        upgraded_state,
        diagnostics: convert::diagnostics(diags),
    })
}

pub(super) async fn read_resource(
    service: &ProviderService,
    request: Request<proto::read_resource::Request>,
) -> Reply<proto::read_resource::Response> {
    let req = request.into_inner();
    if service.defers(req.client_capabilities.as_ref()) {
        // Nothing can be read yet: the state stays as it is until Terraform
        // comes back with the provider's settings known.
        return ok(proto::read_resource::Response {
            new_state: req.current_state,
            diagnostics: Vec::new(),
            private: req.private,
            deferred: deferral::provider_config_unknown(),
        });
    }
    let result = async {
        let r = service.resource(&req.type_name)?;
        let current = convert::decode(req.current_state.as_ref(), r.value_type())?;
        let aws = service.aws()?;
        let lag = created_at::lag_left(&req.private);
        let (mut new_state, mut diags) = read_waiting_out_lag(r, &aws, &current, lag).await;
        if default_tags::applies_to(&r.schema().block) {
            default_tags::after_read(&aws.default_tags, &current, &mut new_state);
        }
        match convert::encode(&new_state, r.value_type()) {
            Ok(v) => Ok((Some(v), diags)),
            Err(d) => {
                diags.extend(d);
                Err(diags)
            }
        }
    }
    .await;
    let (new_state, diags) = flatten(result, req.current_state);
    ok(proto::read_resource::Response {
        new_state,
        diagnostics: convert::diagnostics(diags),
        private: req.private,
        deferred: None,
    })
}

/// Reads the resource; when this provider created it less than `lag` ago,
/// "not found" means "not visible yet" and the read is tried again until it
/// finds it or `lag` has passed. Asked to stop meanwhile (Ctrl-C), it keeps
/// the current state and says it was interrupted: a stop never makes a
/// resource look deleted.
async fn read_waiting_out_lag(
    r: &dyn DynResource,
    aws: &Aws,
    current: &cty::Value,
    lag: std::time::Duration,
) -> (cty::Value, Diagnostics) {
    if lag.is_zero() {
        return r.read(aws, current).await;
    }
    wait_out_lag(&aws.stop, current, lag, || r.read(aws, current)).await
}

async fn wait_out_lag<F, Fut>(
    stop: &CancellationToken,
    current: &cty::Value,
    lag: std::time::Duration,
    mut read: F,
) -> (cty::Value, Diagnostics)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = (cty::Value, Diagnostics)>,
{
    let found = wait::until(lag_backoff(lag), stop, || {
        let attempt = read();
        async move {
            let (state, diags) = attempt.await;
            let gone = state.is_null() && !diags.has_errors();
            Ok::<_, Diagnostics>((!gone).then_some((state, diags)))
        }
    })
    .await;
    match found {
        Ok(read) => read,
        Err(wait::WaitError::TimedOut(_)) => (cty::Value::Null, Diagnostics::new()),
        Err(wait::WaitError::Failed(diags)) => (current.clone(), diags),
        Err(wait::WaitError::Stopped) => (
            current.clone(),
            Diagnostics::error(
                "Interrupted",
                "Stopped while waiting for AWS to show a resource this provider created a moment ago; its state is kept as it was.",
            ),
        ),
    }
}

pub(super) async fn plan_resource_change(
    service: &ProviderService,
    request: Request<proto::plan_resource_change::Request>,
) -> Reply<proto::plan_resource_change::Response> {
    let req = request.into_inner();
    let defers = service.defers(req.client_capabilities.as_ref());
    let result = (|| {
        let r = service.resource(&req.type_name)?;
        let ty = r.value_type();
        let prior = convert::decode(req.prior_state.as_ref(), ty)?;
        let config = convert::decode(req.config.as_ref(), ty)?;
        let proposed = convert::decode(req.proposed_new_state.as_ref(), ty)?;
        let (mut plan, diags) = r.plan(&prior, &config, &proposed);
        if default_tags::applies_to(&r.schema().block) {
            let defaults = service.aws().ok().and_then(|aws| aws.default_tags);
            default_tags::plan(&defaults, &mut plan.planned);
        }
        let planned = convert::encode(&plan.planned, ty)?;
        let replace = plan
            .requires_replace
            .iter()
            .map(convert::attribute_path)
            .collect();
        Ok::<_, Diagnostics>((planned, replace, diags))
    })();
    let (planned_state, requires_replace, diags) = match result {
        Ok((p, r, d)) => (Some(p), r, d),
        Err(d) => (None, Vec::new(), d),
    };
    let deferred = if defers && planned_state.is_some() {
        deferral::provider_config_unknown()
    } else {
        None
    };
    ok(proto::plan_resource_change::Response {
        planned_state,
        requires_replace,
        planned_private: req.prior_private,
        diagnostics: convert::diagnostics(diags),
        legacy_type_system: false,
        deferred,
    })
}

pub(super) async fn apply_resource_change(
    service: &ProviderService,
    request: Request<proto::apply_resource_change::Request>,
) -> Reply<proto::apply_resource_change::Response> {
    let req = request.into_inner();
    let result = async {
        let r = service.resource(&req.type_name)?;
        let ty = r.value_type();
        let prior = convert::decode(req.prior_state.as_ref(), ty)?;
        let planned = convert::decode(req.planned_state.as_ref(), ty)?;
        let aws = service.aws()?;
        let (new_state, mut diags) = if default_tags::applies_to(&r.schema().block) {
            let seen = (
                default_tags::for_apply(&prior),
                default_tags::for_apply(&planned),
            );
            let (mut state, diags) = r.apply(&aws, &seen.0, &seen.1).await;
            if diags.has_errors() {
                let before = if planned.is_null() { &prior } else { &planned };
                default_tags::after_read(&aws.default_tags, before, &mut state);
            } else {
                default_tags::after_apply(&planned, &mut state);
            }
            (state, diags)
        } else {
            r.apply(&aws, &prior, &planned).await
        };
        match convert::encode(&new_state, ty) {
            Ok(v) => Ok((Some(v), diags)),
            Err(d) => {
                diags.extend(d);
                Err(diags)
            }
        }
    }
    .await;
    let created =
        req.prior_state.as_ref().is_none_or(convert::is_null) && new_state_is_some(&result);
    let (new_state, diags) = flatten(result, req.prior_state);
    let private = if created {
        created_at::mark(&req.planned_private)
    } else {
        req.planned_private
    };
    ok(proto::apply_resource_change::Response {
        new_state,
        private,
        diagnostics: convert::diagnostics(diags),
        legacy_type_system: false,
    })
}

pub(super) async fn import_resource_state(
    service: &ProviderService,
    request: Request<proto::import_resource_state::Request>,
) -> Reply<proto::import_resource_state::Response> {
    let req = request.get_ref();
    let result = service.resource(&req.type_name).and_then(|r| {
        let state = r.import(req.id.trim())?;
        convert::encode(&state, r.value_type())
    });
    let (state, diags) = split(result);
    let imported_resources = state
        .map(|state| proto::import_resource_state::ImportedResource {
            type_name: req.type_name.clone(),
            state: Some(state),
            private: Vec::new(),
        })
        .into_iter()
        .collect();
    ok(proto::import_resource_state::Response {
        imported_resources,
        diagnostics: convert::diagnostics(diags),
        deferred: None,
    })
}

/// True when an apply returned a state (a create that made something).
fn new_state_is_some<E>(result: &Result<(Option<proto::DynamicValue>, Diagnostics), E>) -> bool {
    matches!(result, Ok((Some(v), _)) if !convert::is_null(v))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    use super::*;

    fn state() -> cty::Value {
        cty::Value::String("sg-0123".into())
    }

    #[tokio::test(start_paused = true)]
    async fn a_stop_during_the_lag_wait_keeps_the_current_state() {
        let stop = CancellationToken::new();
        let reads = AtomicU32::new(0);
        let (kept, diags) = wait_out_lag(&stop, &state(), Duration::from_secs(60), || {
            if reads.fetch_add(1, Ordering::Relaxed) == 1 {
                stop.cancel();
            }
            async { (cty::Value::Null, Diagnostics::new()) }
        })
        .await;
        assert_eq!(kept, state());
        assert!(diags.has_errors());
    }

    #[tokio::test(start_paused = true)]
    async fn not_found_after_the_lag_means_gone_and_found_is_returned() {
        let stop = CancellationToken::new();
        let (gone, diags) = wait_out_lag(&stop, &state(), Duration::from_secs(5), || async {
            (cty::Value::Null, Diagnostics::new())
        })
        .await;
        assert!(gone.is_null() && !diags.has_errors());

        let reads = AtomicU32::new(0);
        let (found, _) = wait_out_lag(&stop, &state(), Duration::from_secs(60), || {
            let seen = reads.fetch_add(1, Ordering::Relaxed) >= 2;
            async move {
                if seen {
                    (state(), Diagnostics::new())
                } else {
                    (cty::Value::Null, Diagnostics::new())
                }
            }
        })
        .await;
        assert_eq!(found, state());
        assert_eq!(reads.load(Ordering::Relaxed), 3);
    }
}
