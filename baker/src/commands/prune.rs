//! `baker prune --keep N [--dry-run]`: remove all but the newest N images of
//! the app (only images tagged `baked-by = baker` and `app = <app>`), in the
//! build region and in each region of `image.ami_regions`, where the copies
//! live; each region keeps its own newest N.

use std::collections::BTreeMap;

use tokio_util::sync::CancellationToken;

use crate::aws::Clients;
use crate::cli::{OutputFormat, PruneArgs};
use crate::config::image_regions::copy_regions;
use crate::ec2::SnapshotRelease;
use crate::error::{Error, StepError};
use crate::output::{stderr_line, stdout_line};
use crate::prune::{self, Candidate, Selection};

/// What prune decided in one region.
struct RegionOutcome {
    region: String,
    selection: Selection,
}

pub async fn run(args: PruneArgs) -> Result<u8, Error> {
    let config = super::load_config(&args.config, &[], false)?;
    let app = args.app.clone().unwrap_or_else(|| config.app.name.clone());
    let keep = args.keep.unwrap_or(config.image.keep);
    if keep == 0 {
        return Err(Error::Override {
            source_name: "--keep".into(),
            message: "must be at least 1".into(),
        });
    }
    let aws = Clients::connect(&config.aws, None).await?;
    let mut regions = vec![(aws.region.clone(), aws.ec2.clone(), aws.autoscaling.clone())];
    for region in copy_regions(&config, &aws.region) {
        let ec2 = aws.ec2_in(&region);
        let autoscaling = aws.autoscaling_in(&region);
        regions.push((region, ec2, autoscaling));
    }
    // A region that fails does not stop the others: what was done is
    // printed, then the first failure is the command's error.
    let mut outcomes = Vec::new();
    let mut failures = Vec::new();
    for (region, ec2, autoscaling) in regions {
        let result = async {
            let mut selection = prune::plan(&ec2, &autoscaling, &app, keep as usize, None).await?;
            if !args.dry_run {
                // Bounded by its timeout; no signal handling here.
                let never = CancellationToken::new();
                let release = SnapshotRelease::new(&config.wait, &never);
                prune::remove(&ec2, &selection.removed, release).await?;
                // What is left (still in use) waits for the next prune.
                selection.orphaned_snapshots =
                    prune::orphans::sweep(&ec2, &selection.orphaned_snapshots).await?;
            }
            Ok::<_, StepError>(selection)
        }
        .await;
        match result {
            Ok(selection) => outcomes.push(RegionOutcome { region, selection }),
            Err(error) => failures.push(Error::Prune {
                region,
                error: Box::new(error),
            }),
        }
    }
    match args.output {
        OutputFormat::Json => {
            stdout_line(&json(&aws.region, &app, keep, args.dry_run, &outcomes).to_string())
        }
        OutputFormat::Text => print_text(&app, keep, args.dry_run, &outcomes),
    }
    let mut failures = failures.into_iter();
    match failures.next() {
        None => Ok(0),
        Some(first) => {
            for other in failures {
                stderr_line(&format!("error: {other}"));
            }
            Err(first)
        }
    }
}

/// The build region's decision at the top level (as before `ami_regions`
/// was pruned too), and every region's under `regions` (a region that
/// failed is missing there, and the command fails). `why_kept` gives the
/// reason for each kept or skipped image.
fn json(
    build_region: &str,
    app: &str,
    keep: u32,
    dry_run: bool,
    outcomes: &[RegionOutcome],
) -> serde_json::Value {
    let ids = |c: &[Candidate]| c.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
    let region_json = |s: &Selection| {
        let mut why_kept: BTreeMap<&str, String> = s
            .kept
            .iter()
            .map(|c| (c.id.as_str(), s.why_kept(c, keep as usize, None)))
            .collect();
        why_kept.extend(s.skipped.iter().map(|(c, r)| (c.id.as_str(), r.clone())));
        serde_json::json!({
            "kept": ids(&s.kept),
            "removed": ids(&s.removed),
            "skipped": s
                .skipped
                .iter()
                .map(|(c, reason)| serde_json::json!({"id": c.id, "reason": reason}))
                .collect::<Vec<_>>(),
            "why_kept": why_kept,
            "orphaned_snapshots": s.orphaned_snapshots,
        })
    };
    let mut top = outcomes
        .iter()
        .find(|o| o.region == build_region)
        .map_or_else(|| serde_json::json!({}), |o| region_json(&o.selection));
    let regions: BTreeMap<&str, serde_json::Value> = outcomes
        .iter()
        .map(|o| (o.region.as_str(), region_json(&o.selection)))
        .collect();
    if let Some(object) = top.as_object_mut() {
        object.insert("app".into(), app.into());
        object.insert("keep".into(), keep.into());
        object.insert("dry_run".into(), dry_run.into());
        object.insert("regions".into(), serde_json::json!(regions));
    }
    top
}

/// One line per image: `keep` with why (`kept: one of the newest 2`,
/// `kept: used by autoscaling group web (lt-… version 3)`), or what was
/// (or would be) removed; then the orphaned snapshots.
fn print_text(app: &str, keep: u32, dry_run: bool, outcomes: &[RegionOutcome]) {
    let verb = if dry_run { "would remove" } else { "removed" };
    let several = outcomes.len() > 1;
    for RegionOutcome { region, selection } in outcomes {
        if several {
            stdout_line(&format!("{region}:"));
        }
        for image in &selection.kept {
            let why = selection.why_kept(image, keep as usize, None);
            stdout_line(&format!(
                "keep    {} {} ({}): kept: {why}",
                image.id, image.name, image.created
            ));
        }
        for (image, reason) in &selection.skipped {
            stdout_line(&format!(
                "keep    {} {} ({}): kept: {reason}",
                image.id, image.name, image.created
            ));
        }
        for image in &selection.removed {
            stdout_line(&format!(
                "{verb} {} {} and snapshots {}",
                image.id,
                image.name,
                image.snapshots.join(", ")
            ));
        }
        for snapshot in &selection.orphaned_snapshots {
            stdout_line(&format!(
                "{verb} orphaned snapshot {snapshot}: no image uses it"
            ));
        }
        if selection.removed.is_empty() && selection.orphaned_snapshots.is_empty() {
            stdout_line(&format!(
                "nothing to remove: {} image(s) of {app}, keeping {keep}",
                selection.kept.len() + selection.skipped.len()
            ));
        }
    }
}
