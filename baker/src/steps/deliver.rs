//! Step 7: the bundle reaches the builder: inside the SSM command when it is
//! small, through a temporary S3 object and a presigned URL when it is large
//! (the builder's role needs no S3 permission). The object, and the bucket
//! when baker created it, are removed in cleanup.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use base64::Engine as _;
use roundrobin_aws::AwsErrorDetail;

use super::{BuildState, Ctx, Outcome, Step};
use crate::communicator::ssm::Ssm;
use crate::communicator::ssm_output::SsmOutput;
use crate::ec2::backoff;
use crate::error::StepError;
use crate::progress::StepLine;
use crate::provision;

pub struct Deliver;

/// How long the presigned URL stays valid at most (AWS's limit is 7 days).
const MAX_URL_LIFETIME: Duration = Duration::from_secs(6 * 3600);

/// Prints remote output lines as they arrive.
pub fn remote_printer(ctx: &Ctx) -> impl Fn(&str) + Sync + '_ {
    move |text: &str| {
        for line in text.lines() {
            ctx.progress.info(&format!("  | {line}"));
        }
    }
}

/// A bucket name for this build: lower case, at most 63 characters.
fn temp_bucket(ctx: &Ctx) -> String {
    let name: String = ctx
        .spec
        .temp_name()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(63)
        .collect();
    name.trim_end_matches('-').to_string()
}

#[async_trait]
impl Step for Deliver {
    fn name(&self) -> &'static str {
        "deliver app"
    }

    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        line: &StepLine,
    ) -> Result<String, StepError> {
        let instance = state.builder()?;
        let config = &ctx.spec.config;
        let bytes = &ctx.spec.bundle.bytes;
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        let (script, how) = if encoded.len() as u64 <= config.delivery.inline_limit {
            (provision::fetch_inline(&encoded), "inline".to_string())
        } else {
            let url = upload(ctx, state, line, bytes.clone()).await?;
            (provision::fetch_url(&url), "through S3".to_string())
        };
        line.note(&format!("sending {} bytes {how}", bytes.len()));
        let ssm = Ssm {
            client: &ctx.aws.ssm,
            instance: &instance,
            backoff: backoff(&config.wait, config.wait.command),
            output: SsmOutput::from_config(&config.communicator),
            s3: Some(&ctx.aws.s3),
        };
        ssm.run(
            "delivering the app",
            &script,
            ctx.stop(),
            &remote_printer(ctx),
        )
        .await?;
        Ok(format!(
            "{} files, {} bytes, {how}",
            ctx.spec.bundle.files,
            bytes.len()
        ))
    }

    async fn cleanup(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        _outcome: Outcome,
    ) -> Result<Option<String>, StepError> {
        let s3 = &ctx.aws.s3;
        let mut removed = Vec::new();
        if let Some((bucket, key)) = state.s3_object.clone() {
            match s3.delete_object().bucket(&bucket).key(&key).send().await {
                Ok(_) => {}
                Err(e) if e.code() == Some("NoSuchBucket") => {}
                Err(e) => return Err(StepError::aws("DeleteObject")(e)),
            }
            state.s3_object = None;
            removed.push(format!("s3://{bucket}/{key}"));
        }
        if let Some(bucket) = state.temp_bucket.clone() {
            match s3.delete_bucket().bucket(&bucket).send().await {
                Ok(_) => removed.push(format!("bucket {bucket}")),
                Err(e) if e.code() == Some("NoSuchBucket") => {}
                Err(e) => return Err(StepError::aws("DeleteBucket")(e)),
            }
            state.temp_bucket = None;
        }
        Ok((!removed.is_empty()).then(|| format!("deleted {}", removed.join(" and "))))
    }
}

/// Puts the bundle in S3 and returns a presigned GET URL for it.
async fn upload(
    ctx: &Ctx,
    state: &mut BuildState,
    line: &StepLine,
    bytes: Vec<u8>,
) -> Result<String, StepError> {
    let s3 = &ctx.aws.s3;
    let config = &ctx.spec.config;
    let bucket = if config.delivery.bucket.is_empty() {
        let bucket = temp_bucket(ctx);
        line.note(&format!("creating bucket {bucket}"));
        // Recorded first: deleting a bucket that was never made is harmless.
        state.temp_bucket = Some(bucket.clone());
        let mut request = s3.create_bucket().bucket(&bucket);
        if ctx.aws.region != "us-east-1" {
            request = request.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(ctx.aws.region.as_str()))
                    .build(),
            );
        }
        request
            .send()
            .await
            .map_err(StepError::aws("CreateBucket"))?;
        bucket
    } else {
        config.delivery.bucket.clone()
    };
    let key = format!("baker/{}/bundle.tar.gz", ctx.spec.build_id);
    state.s3_object = Some((bucket.clone(), key.clone()));
    line.note(&format!("uploading s3://{bucket}/{key}"));
    s3.put_object()
        .bucket(&bucket)
        .key(&key)
        .content_type("application/gzip")
        .body(bytes.into())
        .send()
        .await
        .map_err(StepError::aws("PutObject"))?;
    let lifetime =
        Duration::from_secs(config.wait.command.saturating_add(600)).min(MAX_URL_LIFETIME);
    let presigning = PresigningConfig::expires_in(lifetime)
        .map_err(|e| StepError::unexpected(format!("presigning: {e}")))?;
    let request = s3
        .get_object()
        .bucket(&bucket)
        .key(&key)
        .presigned(presigning)
        .await
        .map_err(StepError::aws("GetObject (presign)"))?;
    Ok(request.uri().to_string())
}
