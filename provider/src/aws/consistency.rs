//! AWS is eventually consistent: a resource just created can be "not found"
//! for a few seconds, by Describe/Get and by writes that name it (rules,
//! attributes, tags). Calls right after a create treat that as "not yet", for
//! a bounded time, instead of "gone" (the bounded retries themselves are in
//! the shared [`roundrobin_aws::lag`]).

use std::future::Future;

use super::wait::{WaitError, until};
use super::{Aws, AwsErrorDetail, aws_error};
use crate::framework::Diagnostics;

pub use roundrobin_aws::lag::{
    LAG, LagError, is_not_found, lag_backoff, may_still_be_invisible, retry_while_lagging,
    retry_while_not_visible,
};

/// Reads a resource that was just written; `Ok(None)` ("not found") is
/// retried until it shows up or [`LAG`] has passed. `what` names the resource
/// for the error, as in "target group arn:…".
pub async fn read_after_write<T, F, Fut>(aws: &Aws, what: &str, read: F) -> Result<T, Diagnostics>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Option<T>, Diagnostics>>,
{
    match until(lag_backoff(LAG), &aws.stop, read).await {
        Ok(found) => Ok(found),
        Err(WaitError::Failed(d)) => Err(d),
        Err(WaitError::Stopped) => Err(Diagnostics::error(
            "Interrupted",
            format!("Stopped while waiting for {what} to become visible."),
        )),
        Err(WaitError::TimedOut(t)) => Err(Diagnostics::error(
            "Resource not found after it was written",
            format!("{what} was written but AWS still answers that it does not exist after {t:?}."),
        )),
    }
}

/// Who made the object a call names. Only an object this apply has just
/// made may be invisible for a while: for it "not found" means "not yet" and
/// the call is sent again; for any other object "not found" is the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Made {
    ThisApply,
    Earlier,
}

/// Sends a write (or any call) naming an object; when this apply made that
/// object, AWS's "not found" is retried for at most [`LAG`]. `what` says
/// what the call does, for the error ("adding rules to sg-…"). A stop
/// (Ctrl-C) while waiting ends it with an error.
pub async fn write_to<T, E, F, Fut>(
    aws: &Aws,
    made: Made,
    what: &str,
    mut call: F,
) -> Result<T, Diagnostics>
where
    E: AwsErrorDetail,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    if made == Made::Earlier {
        return call().await.map_err(|e| aws_error(what, &e));
    }
    let lagging = |e: &E| is_not_found(e.code());
    match retry_while_not_visible(&aws.stop, lagging, call).await {
        Ok(answer) => Ok(answer),
        Err(LagError::Aws(e)) => Err(aws_error(what, &e)),
        Err(LagError::Stopped(e)) => Err(Diagnostics::error(
            "Interrupted",
            format!(
                "Stopped while waiting for AWS to show what this apply just made, {what} ({}).",
                e.describe()
            ),
        )),
    }
}

/// EC2 and Auto Scaling refuse an instance profile for a few seconds after
/// IAM made it ("Invalid IAM Instance Profile name"); the AWS provider
/// retries on that message too.
pub fn is_profile_propagation(err: &impl super::AwsErrorDetail) -> bool {
    let text = err.describe();
    text.contains("Invalid IAM Instance Profile") || text.contains("iamInstanceProfile")
}

/// IAM answers NoSuchEntity for a role or profile made a moment ago.
pub fn is_iam_lag(err: &impl super::AwsErrorDetail) -> bool {
    err.code() == Some("NoSuchEntity")
}
