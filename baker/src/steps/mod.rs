//! A build is an ordered list of steps over one typed state. Each step
//! records in [`BuildState`] what it created *before* it waits on it, and
//! its cleanup removes exactly that; the [`runner`] runs the cleanups in
//! reverse on success, failure and interruption alike.

pub mod ask;
pub mod check_regions;
pub mod copy_regions;
pub mod deliver;
pub mod deprecate;
pub mod deregister;
pub mod enhanced_networking;
pub mod generalize;
pub mod image;
pub mod image_finish;
pub mod instance_profile;
pub mod launch;
pub mod manifest;
pub mod panics;
pub mod preflight;
pub mod provision;
pub mod prune;
pub mod runner;
pub mod security_group;
pub mod share;
pub mod source_ami;
pub mod spot;
pub mod ssm_online;
pub mod stop;
pub mod subnet;
pub mod terminate;

use std::path::PathBuf;

use async_trait::async_trait;
use roundrobin_aws::tags::Tags;
use tokio_util::sync::CancellationToken;

use crate::aws::Clients;
use crate::bundle::Bundle;
use crate::config::Config;
use crate::config::ci::BuildInfo;
use crate::error::StepError;
use crate::progress::{Progress, StepLine};
use crate::signals::Signals;

/// What `--on-error` asks for when a step fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum OnError {
    /// Remove everything the build created (the default).
    #[default]
    Cleanup,
    /// Leave everything as it is, to look at the builder.
    Abort,
    /// Ask on the terminal: clean up, abort, or retry the failed step
    /// (cleanup when stdin or stderr is not a terminal).
    Ask,
}

/// What to build, settled before the first AWS call.
#[derive(Debug, Clone)]
pub struct Spec {
    pub config: Config,
    /// Relative paths in the config are relative to this.
    pub base_dir: PathBuf,
    pub info: BuildInfo,
    pub image_name: String,
    /// Random, names the temporary resources and tags the builder.
    pub build_id: String,
    pub bundle: Bundle,
    /// File name of the unit (`nodeapp.service`).
    pub unit_name: String,
    pub on_error: OnError,
}

impl Spec {
    /// Tags on the image and its snapshots.
    pub fn image_tags(&self, source_ami: &str) -> Tags {
        let mut tags = self.config.image.tags.clone();
        tags.insert("app".into(), self.config.app.name.clone());
        tags.insert("commit".into(), self.info.commit.clone());
        tags.insert("build".into(), self.info.build.clone());
        tags.insert("baked-by".into(), crate::BAKED_BY.into());
        tags.insert("source-ami".into(), source_ami.into());
        tags.insert("app-port".into(), self.config.app.port.to_string());
        tags.insert("health-path".into(), crate::HEALTH_PATH.into());
        tags.insert("Name".into(), self.image_name.clone());
        tags
    }

    /// Tags on the image's snapshots: the image's, with
    /// `image.snapshot_tags` over the ones baker does not set itself.
    pub fn snapshot_tags(&self, source_ami: &str) -> Tags {
        let mut tags = self.image_tags(source_ami);
        for (key, value) in &self.config.image.snapshot_tags {
            if !crate::config::validate::RESERVED_TAGS.contains(&key.as_str()) {
                tags.insert(key.clone(), value.clone());
            }
        }
        tags
    }

    /// Tags on the temporary resources (builder, its volume, its group).
    pub fn builder_tags(&self) -> Tags {
        Tags::from([
            (
                "Name".into(),
                format!("baker {} build {}", self.config.app.name, self.info.build),
            ),
            ("baker:build-id".into(), self.build_id.clone()),
            ("app".into(), self.config.app.name.clone()),
            ("baked-by".into(), crate::BAKED_BY.into()),
        ])
    }

    /// Name of the temporary role, profile, group and bucket.
    pub fn temp_name(&self) -> String {
        let app: String = self.config.app.name.chars().take(20).collect();
        format!("baker-{app}-{}", self.build_id)
    }
}

/// Everything a step may use besides the state.
pub struct Ctx {
    pub aws: Clients,
    pub spec: Spec,
    pub signals: Signals,
    pub progress: Progress,
}

impl Ctx {
    /// Cancelled by the first SIGINT / SIGTERM: steps stop waiting.
    pub fn stop(&self) -> &CancellationToken {
        &self.signals.stop
    }

    /// Cancelled by the second one: cleanups stop waiting.
    pub fn cleanup_stop(&self) -> &CancellationToken {
        &self.signals.cleanup_stop
    }
}

/// The resolved source image.
#[derive(Debug, Clone, Default)]
pub struct SourceImage {
    pub id: String,
    pub name: String,
    /// `/dev/xvda`: where a larger root volume is mapped.
    pub root_device: Option<String>,
    /// The root volume's size in GiB, as the image maps it.
    pub root_size: Option<i32>,
}

/// The new image.
#[derive(Debug, Clone, Default)]
pub struct NewImage {
    pub id: String,
    pub snapshots: Vec<String>,
}

/// What the build has found and created so far.
#[derive(Debug, Clone, Default)]
pub struct BuildState {
    pub source: Option<SourceImage>,
    /// The instance profile the builder uses.
    pub profile: Option<String>,
    /// Temporary IAM resources, each recorded as soon as it exists.
    pub temp_role: Option<String>,
    pub temp_policy_attached: Option<String>,
    pub temp_profile: Option<String>,
    pub temp_role_in_profile: bool,
    pub vpc_id: Option<String>,
    /// The subnet `builder.subnet_filter` / `builder.vpc_filter` chose.
    pub subnet_id: Option<String>,
    pub security_group: Option<String>,
    /// Existing groups the builder uses (`builder.security_group_ids` or
    /// `builder.security_group_filter`): never deleted.
    pub existing_groups: Vec<String>,
    pub instance: Option<String>,
    /// When RunInstances answered with `instance`: for a while after, AWS
    /// may answer NotFound for it, which then means "not yet", not "gone".
    pub instance_launched: Option<std::time::Instant>,
    /// The spot request behind a spot builder, when AWS made one.
    pub spot_request: Option<String>,
    /// The builder runs in the spot market (a one-time request): AWS cannot
    /// stop it, so the image is made from the running builder.
    pub spot_builder: bool,
    /// Whether the generalize step cleared the builder's identity (`None`:
    /// it did not run).
    pub generalized: Option<bool>,
    /// A temporary bucket baker created, and the object it put (bucket, key).
    pub temp_bucket: Option<String>,
    pub s3_object: Option<(String, String)>,
    pub image: Option<NewImage>,
    /// An existing image of the same name that `image.force_deregister`
    /// replaces.
    pub replaced: Option<NewImage>,
    /// The image is available and tagged: from here on nothing deletes it.
    pub image_ready: bool,
    /// Copies of the image in `image.ami_regions`, each recorded before
    /// CopyImage is called.
    pub copies: Vec<copy_regions::ImageCopy>,
    /// With `image.force_deregister`: images holding the new name in copy
    /// regions (a re-run), by region, replaced just before the copies start.
    pub replaced_copies: Vec<(String, NewImage)>,
    /// Every copy is available, tagged, shared and deprecated: from here on
    /// nothing deletes them.
    pub copies_ready: bool,
    /// Images removed by prune in the build region.
    pub pruned: Vec<String>,
    /// Copies removed by prune, by region (`image.ami_regions`).
    pub pruned_copies: std::collections::BTreeMap<String, Vec<String>>,
    pub manifest: Option<PathBuf>,
    /// Failed steps retried so far (`--on-error=ask`).
    pub retries: u32,
}

impl BuildState {
    /// The builder instance a later step works on.
    pub fn builder(&self) -> Result<String, StepError> {
        self.instance
            .clone()
            .ok_or_else(|| StepError::unexpected("no builder instance"))
    }

    /// The security groups the builder is launched with: the temporary one,
    /// or the existing ones the config names.
    pub fn launch_groups(&self) -> Result<Vec<String>, StepError> {
        match &self.security_group {
            Some(group) => Ok(vec![group.clone()]),
            None if !self.existing_groups.is_empty() => Ok(self.existing_groups.clone()),
            None => Err(StepError::unexpected("no security group")),
        }
    }

    /// The builder, when this build launched it so recently that AWS may
    /// not show it yet (see [`roundrobin_aws::lag`]).
    pub fn young_instances(&self) -> Vec<(String, std::time::Instant)> {
        match (&self.instance, self.instance_launched) {
            (Some(id), Some(at)) if roundrobin_aws::lag::may_still_be_invisible(at) => {
                vec![(id.clone(), at)]
            }
            _ => Vec::new(),
        }
    }

    /// What exists because of this build, for messages.
    pub fn created(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(i) = &self.instance {
            out.push(format!("builder instance {i}"));
        }
        if let Some(r) = &self.spot_request {
            out.push(format!("spot request {r}"));
        }
        if let Some(g) = &self.security_group {
            out.push(format!("security group {g}"));
        }
        if let Some(p) = &self.temp_profile {
            out.push(format!("instance profile {p}"));
        }
        if let Some(r) = &self.temp_role {
            out.push(format!("IAM role {r}"));
        }
        if let Some((b, k)) = &self.s3_object {
            out.push(format!("S3 object s3://{b}/{k}"));
        }
        if let Some(b) = &self.temp_bucket {
            out.push(format!("S3 bucket {b}"));
        }
        if let Some(i) = &self.image {
            out.push(format!("image {}", i.id));
        }
        for copy in &self.copies {
            let id = copy.id.as_deref().unwrap_or("(copy not started)");
            out.push(format!("image {id} in {}", copy.region));
        }
        out
    }
}

/// How the build ended, for the cleanups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failed,
    Interrupted,
}

#[async_trait]
pub trait Step: Send + Sync {
    /// What the progress line and errors call it (`launch builder`).
    fn name(&self) -> &'static str;

    /// Does the step's work; returns a short summary for the progress line.
    async fn run(
        &self,
        ctx: &Ctx,
        state: &mut BuildState,
        line: &StepLine,
    ) -> Result<String, StepError>;

    /// Removes what `run` recorded; returns what it removed, if anything.
    async fn cleanup(
        &self,
        _ctx: &Ctx,
        _state: &mut BuildState,
        _outcome: Outcome,
    ) -> Result<Option<String>, StepError> {
        Ok(None)
    }
}

/// The steps that make, change or record the image: left out with
/// `image.skip_create_ami` (Packer's provisioning dry run).
pub const IMAGE_STEPS: &[&str] = &[
    "check image name",
    "check copy regions",
    "generalize",
    "stop builder",
    "set enhanced networking",
    "deregister old image",
    "create image",
    "share image",
    "deprecate image",
    "copy to regions",
    "write manifest",
    "prune old images",
];

/// The steps `spec` asks for: [`all`], without [`IMAGE_STEPS`] when
/// `image.skip_create_ami` is set.
pub fn for_spec(spec: &Spec) -> Vec<Box<dyn Step>> {
    let skip = spec.config.image.skip_create_ami;
    all()
        .into_iter()
        .filter(|step| !(skip && IMAGE_STEPS.contains(&step.name())))
        .collect()
}

/// The steps of `baker build`, in order.
pub fn all() -> Vec<Box<dyn Step>> {
    vec![
        Box::new(source_ami::ResolveSource),
        Box::new(preflight::CheckImageName),
        Box::new(check_regions::CheckCopyRegions),
        Box::new(subnet::ChooseSubnet),
        Box::new(instance_profile::InstanceProfile),
        Box::new(security_group::SecurityGroup),
        Box::new(launch::Launch),
        Box::new(ssm_online::WaitForSsm),
        Box::new(deliver::Deliver),
        Box::new(provision::Provision),
        Box::new(generalize::Generalize),
        Box::new(stop::StopBuilder),
        Box::new(enhanced_networking::EnhancedNetworking),
        Box::new(deregister::DeregisterOld),
        Box::new(image::CreateImage),
        Box::new(share::ShareImage),
        Box::new(deprecate::DeprecateImage),
        Box::new(terminate::Terminate),
        Box::new(copy_regions::CopyToRegions),
        Box::new(manifest::WriteManifest),
        Box::new(prune::Prune),
    ]
}
