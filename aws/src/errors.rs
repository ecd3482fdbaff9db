//! AWS errors as the user should read them: the AWS error code and AWS's
//! own message, or what kept the request from reaching AWS.

use aws_sdk_ec2::error::{ProvideErrorMetadata, SdkError};

pub trait AwsErrorDetail {
    /// The AWS error code (`InvalidGroup.NotFound`), when AWS sent one.
    fn code(&self) -> Option<&str>;
    /// `Code: message`, or a description of a transport failure.
    fn describe(&self) -> String;
    /// Throttling and other errors worth trying again.
    fn is_throttling(&self) -> bool {
        matches!(
            self.code(),
            Some(
                "Throttling"
                    | "ThrottlingException"
                    | "RequestLimitExceeded"
                    | "TooManyRequestsException"
            )
        )
    }
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
            other => aws_smithy_types::error::display::DisplayErrorContext(other).to_string(),
        }
    }
}
