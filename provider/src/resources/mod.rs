//! Managed resources, one module each.

pub mod autoscaling_group;
pub mod autoscaling_policy;
mod existing;
pub mod instance_profile;
pub mod launch_template;
pub mod lb;
pub mod lb_listener;
pub mod lb_target_group;
pub mod metric_alarm;
pub mod security_group;

use crate::framework::{DynResource, Erased};

/// Every resource this provider manages.
pub fn all() -> Vec<Box<dyn DynResource>> {
    vec![
        Box::new(Erased::new(security_group::SecurityGroupResource)),
        Box::new(Erased::new(launch_template::LaunchTemplateResource)),
        Box::new(Erased::new(autoscaling_group::AutoscalingGroupResource)),
        Box::new(Erased::new(lb::LoadBalancerResource)),
        Box::new(Erased::new(lb_target_group::TargetGroupResource)),
        Box::new(Erased::new(lb_listener::ListenerResource)),
        Box::new(Erased::new(instance_profile::InstanceProfileResource)),
        Box::new(Erased::new(autoscaling_policy::AutoscalingPolicyResource)),
        Box::new(Erased::new(metric_alarm::MetricAlarmResource)),
    ]
}
