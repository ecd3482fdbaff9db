//! AWS errors as the user should read them: the operation, the AWS error
//! code and AWS's own message.

use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};

use crate::framework::Diagnostics;

/// The code and message of an AWS error, when AWS sent one.
pub trait AwsErrorDetail {
    fn code(&self) -> Option<&str>;
    fn describe(&self) -> String;
}

impl<E, R> AwsErrorDetail for SdkError<E, R>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    fn code(&self) -> Option<&str> {
        match self {
            SdkError::ServiceError(e) => e.err().code(),
            _ => None,
        }
    }
    fn describe(&self) -> String {
        match self {
            SdkError::ServiceError(e) => {
                let err = e.err();
                match (err.code(), err.message()) {
                    (Some(code), Some(msg)) => format!("{code}: {msg}"),
                    (Some(code), None) => code.to_string(),
                    _ => err.to_string(),
                }
            }
            SdkError::TimeoutError(_) => "the request to AWS timed out".into(),
            SdkError::DispatchFailure(e) => format!("could not reach AWS: {e:?}"),
            other => aws_smithy_types::error::display::DisplayErrorContext(other).to_string(),
        }
    }
}

/// A diagnostic for a failed AWS call: `what` says what we were doing.
pub fn aws_error(what: &str, err: &impl AwsErrorDetail) -> Diagnostics {
    Diagnostics::error(format!("AWS error while {what}"), err.describe())
}
