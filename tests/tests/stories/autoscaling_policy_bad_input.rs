//! Bad scaling policies are refused at plan time with the attribute named:
//! a request-count policy without its target group, a target group on a CPU
//! policy, a malformed or conflicting resource label, an unknown metric, and
//! a target value that is not above zero.
//!
//! Emulated behaviour relied on: nothing; the errors come from validation
//! before any call.

use anyhow::Result;
use e2e::{MotoServer, Workspace};

use crate::support::{PROVIDER, assert_no_crash};

#[tokio::test]
async fn bad_policies_are_refused_at_plan_time_on_their_attribute() -> Result<()> {
    let moto = MotoServer::start()?;
    let workspace = Workspace::new(&moto)?;
    let cases = [
        (
            r#"predefined_metric = "ALBRequestCountPerTarget""#,
            "Missing target group",
        ),
        (
            r#"predefined_metric = "ASGAverageCPUUtilization"
  target_group_arn  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/1""#,
            "target_group_arn not used by ASGAverageCPUUtilization",
        ),
        (
            r#"predefined_metric = "ALBRequestCountPerTarget"
  resource_label    = "app/web/1""#,
            "Invalid resource label",
        ),
        (
            r#"predefined_metric = "ALBRequestCountPerTarget"
  resource_label    = "app/web/1/targetgroup/web/2"
  target_group_arn  = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/2""#,
            "Conflicting resource label",
        ),
        (
            r#"predefined_metric = "RequestsPerSecond""#,
            "Invalid value for predefined_metric",
        ),
    ];
    for (settings, error) in cases {
        workspace.write_config(&format!(
            r#"{PROVIDER}
resource "roundrobin_autoscaling_policy" "bad" {{
  autoscaling_group_name = "web"
  name                   = "bad"
  target_value           = 100
  {settings}
}}
"#
        ))?;
        let failed = workspace.plan_expecting_failure()?;
        assert_no_crash(&failed);
        assert!(failed.combined().contains(error), "{error}:\n{failed}");
    }
    workspace.write_config(&format!(
        r#"{PROVIDER}
resource "roundrobin_autoscaling_policy" "bad" {{
  autoscaling_group_name = "web"
  name                   = "bad"
  target_value           = 0
  predefined_metric      = "ASGAverageCPUUtilization"
}}
"#
    ))?;
    let failed = workspace.plan_expecting_failure()?;
    assert!(
        failed
            .combined()
            .contains("target_value must be greater than 0"),
        "{failed}"
    );
    Ok(())
}
