//! User stories: the real `terraform` CLI drives the provider we built (found
//! through `dev_overrides`, no `terraform init`) against a private moto server.
//! Every test starts its own server and workspace, so they run in parallel.
//! Each story checks moto through the EC2 API, not only terraform's output.
//!
//! Emulated behaviour each story relies on (moto 5.2, see EMULATOR.md):
//! - `first_apply`: a default VPC in us-east-1; Amazon-owned AMIs in
//!   DescribeImages; CreateSecurityGroup with tags, AuthorizeSecurityGroupIngress,
//!   the default allow-all egress rule on a new group; CreateLaunchTemplate and
//!   DescribeLaunchTemplateVersions returning the launch data as sent.
//! - `launch_template`: CreateLaunchTemplateVersion (moto ignores SourceVersion,
//!   so the full data must be sent) and ModifyLaunchTemplate moving the default
//!   version; DeleteLaunchTemplate making the template unknown to Describe;
//!   CreateLaunchTemplate with TagSpecifications, for import.
//! - `security_group`: RevokeSecurityGroupIngress removing exactly one rule;
//!   rule descriptions kept; the provider's `endpoint` setting reaching moto.
//! - `teardown`: DeleteSecurityGroup and DeleteLaunchTemplate; moto lists only
//!   the `default` group afterwards.
//! - `bad_input`: nothing from moto: the errors must come from validation before
//!   any call; moto is only checked to hold nothing afterwards.
//! - `example_stack`: everything `first_apply` relies on, for `terraform/`.
//! - `network_mirror`: nothing from moto: terraform installs the provider
//!   from a network mirror the test serves, and makes no AWS call.
//! - `registry_docs`: nothing from moto: `terraform validate` and
//!   `providers schema` make no AWS call.
//! - `registry_protocol`: nothing from moto: terraform installs the provider
//!   from a registry the test serves, and makes no AWS call.
//! - `release_install`: nothing from moto: the install script and
//!   `terraform init` read local files only.
//! - `write_lag`: the realism mode's NotFound on writes right after a create,
//!   counted under `lagging` by `GET /_emulator/calls`.

mod autoscaling_import;
mod autoscaling_policy_bad_input;
mod autoscaling_policy_import;
mod autoscaling_policy_lifecycle;
mod autoscaling_policy_stack;
mod aws_errors;
mod bad_input;
mod capacity_between_plan_and_apply;
mod ci_files;
mod data_sources;
mod default_tags;
mod default_template_version_import;
mod example_stack;
mod example_stack_checks;
mod first_apply;
mod import_round_trip;
mod instance_profile;
mod instance_profile_import;
mod interrupted_refresh;
mod interrupted_rollout;
mod launch_template;
mod listener_import;
mod load_balancer;
mod load_balancer_drift;
mod load_balancer_import;
mod metric_alarm_bad_input;
mod metric_alarm_fixtures;
mod metric_alarm_lifecycle;
mod metric_alarm_made_elsewhere;
mod names_and_tags_after_create;
mod network_mirror;
mod packaged;
mod registry_docs;
mod registry_protocol;
mod release_install;
mod rollout;
mod rollout_gate;
mod rollout_gate_alarms;
mod rollout_options;
mod rollout_without_wait;
mod same_names;
mod security_group;
mod security_group_import;
mod support;
mod teardown;
mod unknown_values;
mod write_lag;
