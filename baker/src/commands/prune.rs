//! `baker prune --keep N [--dry-run]`: remove all but the newest N images of
//! the app (only images tagged `baked-by = baker` and `app = <app>`).

use crate::aws::Clients;
use crate::cli::{OutputFormat, PruneArgs};
use crate::error::Error;
use crate::prune::{self, Candidate};

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
    let images = prune::list(&aws.ec2, &app)
        .await
        .map_err(|e| Error::Prune(Box::new(e)))?;
    let in_use = prune::in_use::images_in_use(&aws.ec2)
        .await
        .map_err(|e| Error::Prune(Box::new(e)))?;
    let prune::Selection {
        kept,
        removed,
        skipped,
    } = prune::select(images, keep as usize, None, &in_use);
    if !args.dry_run {
        prune::remove(&aws.ec2, &removed)
            .await
            .map_err(|e| Error::Prune(Box::new(e)))?;
    }
    match args.output {
        OutputFormat::Json => {
            let ids = |c: &[Candidate]| c.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
            let json = serde_json::json!({
                "app": app,
                "keep": keep,
                "dry_run": args.dry_run,
                "kept": ids(&kept),
                "removed": ids(&removed),
                "skipped": skipped
                    .iter()
                    .map(|(c, reason)| serde_json::json!({"id": c.id, "reason": reason}))
                    .collect::<Vec<_>>(),
            });
            println!("{json}");
        }
        OutputFormat::Text => {
            for image in &kept {
                println!("keep    {} {} ({})", image.id, image.name, image.created);
            }
            let verb = if args.dry_run {
                "would remove"
            } else {
                "removed"
            };
            for (image, reason) in &skipped {
                println!("skip    {} {}: {reason}", image.id, image.name);
            }
            for image in &removed {
                println!(
                    "{verb} {} {} and snapshots {}",
                    image.id,
                    image.name,
                    image.snapshots.join(", ")
                );
            }
            if removed.is_empty() {
                println!(
                    "nothing to remove: {} image(s) of {app}, keeping {keep}",
                    kept.len()
                );
            }
        }
    }
    Ok(0)
}
