//! `image.ami_regions` and `image.region_kms_key_ids` (Packer's keys): the
//! regions the image is copied to once it is available, and the KMS key each
//! encrypted copy uses. The build region (and a region named twice) is left
//! out of the copies, as Packer does.

use super::Config;
use crate::error::Problem;

/// `us-east-1`, `us-gov-west-1`, `ap-southeast-2`: letters, a dash-separated
/// location, a number.
pub fn is_region(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    let letters = |p: &&str| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase());
    parts.len() >= 3
        && parts[0].len() == 2
        && parts[..parts.len() - 1].iter().all(letters)
        && parts
            .last()
            .is_some_and(|n| !n.is_empty() && n.len() <= 2 && n.chars().all(|c| c.is_ascii_digit()))
}

/// The regions to copy to: `image.ami_regions` in order, without the build
/// region and without repeats.
pub fn copy_regions(config: &Config, build_region: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for region in &config.image.ami_regions {
        if region != build_region && !out.contains(region) {
            out.push(region.clone());
        }
    }
    out
}

/// The KMS key for the copy in `region`; `None`: the region's default EBS key.
pub fn kms_key<'a>(config: &'a Config, region: &str) -> Option<&'a str> {
    config
        .image
        .region_kms_key_ids
        .get(region)
        .map(|k| k.trim())
        .filter(|k| !k.is_empty())
}

/// Copy regions whose snapshots `image.snapshot_users` could not use: a
/// snapshot encrypted with the AWS managed EBS key cannot be shared, so
/// each copy then needs a customer managed key.
pub fn unshareable(config: &Config, build_region: &str) -> Vec<String> {
    let image = &config.image;
    if !image.encrypt_boot || image.snapshot_users.is_empty() {
        return Vec::new();
    }
    copy_regions(config, build_region)
        .into_iter()
        .filter(|r| kms_key(config, r).is_none())
        .collect()
}

/// The problem with `region`, one of [`unshareable`]'s.
pub fn unshareable_problem(region: &str) -> Problem {
    Problem::new(
        format!("image.region_kms_key_ids.{region}"),
        "image.snapshot_users cannot use snapshots encrypted with the default EBS key: \
         name a customer managed key for each copy region",
    )
}

/// Every problem with the two keys, each naming its field.
pub fn check(config: &Config) -> Vec<Problem> {
    let image = &config.image;
    let mut problems = Vec::new();
    for region in &image.ami_regions {
        if !is_region(region) {
            problems.push(Problem::new(
                "image.ami_regions",
                format!("{region:?} is not a region name (e.g. eu-west-1)"),
            ));
        }
    }
    if !image.region_kms_key_ids.is_empty() && !image.encrypt_boot {
        problems.push(Problem::new(
            "image.region_kms_key_ids",
            "only works with image.encrypt_boot = true",
        ));
    }
    for region in image.region_kms_key_ids.keys() {
        if !image.ami_regions.contains(region) {
            problems.push(Problem::new(
                format!("image.region_kms_key_ids.{region}"),
                format!(
                    "{region:?} is not in image.ami_regions: keys are only for the regions the image is copied to"
                ),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(config: &Config) -> Vec<String> {
        check(config).into_iter().map(|p| p.field).collect()
    }

    #[test]
    fn region_names() {
        for good in [
            "us-east-1",
            "us-gov-west-1",
            "ap-southeast-2",
            "il-central-1",
        ] {
            assert!(is_region(good), "{good}");
        }
        for bad in [
            "",
            "us-east",
            "US-EAST-1",
            "us_east_1",
            "useast1",
            "us-east-1a",
            "-east-1",
        ] {
            assert!(!is_region(bad), "{bad}");
        }
    }

    #[test]
    fn the_build_region_and_repeats_are_left_out() {
        let mut config = Config::default();
        config.image.ami_regions = ["eu-west-1", "us-east-1", "eu-west-1", "us-west-2"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            copy_regions(&config, "us-east-1"),
            vec!["eu-west-1", "us-west-2"]
        );
    }

    #[test]
    fn keys_must_name_copy_regions_and_need_encrypt_boot() {
        let mut config = Config::default();
        config.image.ami_regions = vec!["eu-west-1".into(), "nowhere".into()];
        config
            .image
            .region_kms_key_ids
            .insert("us-west-2".into(), "alias/k".into());
        assert_eq!(
            fields(&config),
            vec![
                "image.ami_regions",
                "image.region_kms_key_ids",
                "image.region_kms_key_ids.us-west-2"
            ]
        );
        config.image.ami_regions = vec!["us-west-2".into()];
        config.image.encrypt_boot = true;
        assert_eq!(fields(&config), Vec::<String>::new());
        assert_eq!(kms_key(&config, "us-west-2"), Some("alias/k"));
        assert_eq!(kms_key(&config, "eu-west-1"), None);
    }

    #[test]
    fn shared_snapshots_need_a_customer_key_in_each_copy_region() {
        let mut config = Config::default();
        config.image.encrypt_boot = true;
        config.image.snapshot_users = vec!["111122223333".into()];
        config.image.ami_regions = ["eu-west-1", "us-west-2", "us-east-1"]
            .map(String::from)
            .to_vec();
        config
            .image
            .region_kms_key_ids
            .insert("us-west-2".into(), "alias/k".into());
        assert_eq!(unshareable(&config, "us-east-1"), vec!["eu-west-1"]);
        config.image.snapshot_users.clear();
        assert!(unshareable(&config, "us-east-1").is_empty());
    }
}
