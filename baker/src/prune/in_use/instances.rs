//! The images of instances that are not terminated: running ones, and
//! stopped ones, which may be started again.

use super::{InUse, needed_for, record};
use crate::ec2::filter;
use crate::error::StepError;

pub(super) async fn record_images(
    ec2: &aws_sdk_ec2::Client,
    in_use: &mut InUse,
) -> Result<(), StepError> {
    let states = ["pending", "running", "stopping", "stopped"];
    let mut pages = ec2
        .describe_instances()
        .filters(filter("instance-state-name", &states))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page
            .map_err(StepError::aws("DescribeInstances"))
            .map_err(needed_for("it", "instances"))?;
        for instance in page.reservations().iter().flat_map(|r| r.instances()) {
            let (Some(id), Some(image)) = (instance.instance_id(), instance.image_id()) else {
                continue;
            };
            let state = instance
                .state()
                .and_then(|s| s.name())
                .map_or("unknown", |s| s.as_str());
            record(in_use, image, format!("instance {id} ({state})"));
        }
    }
    Ok(())
}
