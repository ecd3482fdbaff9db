//! ReadDataSource: decode the configuration, look the thing up, encode it;
//! deferred while the provider's settings are unknown (see [`super::deferral`]).

use tfplugin6::tfplugin6 as proto;
use tonic::Request;

use super::{ProviderService, Reply, convert, deferral, ok, split};
use crate::framework::plan::unread_data;

pub(super) async fn read_data_source(
    service: &ProviderService,
    request: Request<proto::read_data_source::Request>,
) -> Reply<proto::read_data_source::Response> {
    let req = request.get_ref();
    let defers = service.defers(req.client_capabilities.as_ref());
    let result = async {
        let d = service.data_source(&req.type_name)?;
        let config = convert::decode(req.config.as_ref(), d.value_type())?;
        if defers {
            let unread = unread_data(&d.schema().block, &config);
            return convert::encode(&unread, d.value_type());
        }
        let aws = service.aws()?;
        let state = d.read(&aws, &config).await?;
        convert::encode(&state, d.value_type())
    }
    .await;
    let (state, diags) = split(result);
    ok(proto::read_data_source::Response {
        deferred: if defers && state.is_some() {
            deferral::provider_config_unknown()
        } else {
            None
        },
        state,
        diagnostics: convert::diagnostics(diags),
    })
}
