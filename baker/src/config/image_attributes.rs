//! `image.imds_support`, `image.ena_support` and `image.sriov_support`
//! (Packer's keys): attributes of the image, and the checks `validate` and
//! `build` share. ENA and SR-IOV are set on the stopped builder
//! (ModifyInstanceAttribute, which AWS allows only on a stopped instance),
//! and CreateImage takes them over; IMDSv2 is set on the image
//! (ModifyImageAttribute `ImdsSupport`, which cannot be undone).

use super::Config;
use super::spot::SpotPrice;
use crate::error::Problem;

/// The only value AWS takes for `ImdsSupport`.
pub const IMDS_V2: &str = "v2.0";

/// Whether the builder's enhanced networking is to be changed.
pub fn modifies_builder(config: &Config) -> bool {
    config.image.ena_support.is_some() || config.image.sriov_support
}

/// Every problem with the image attributes.
pub fn check(config: &Config) -> Vec<Problem> {
    let image = &config.image;
    let mut problems = Vec::new();
    if !image.imds_support.is_empty() && image.imds_support != IMDS_V2 {
        problems.push(Problem::new(
            "image.imds_support",
            format!(
                "{:?} is not an IMDS version AWS takes: the only value is \"{IMDS_V2}\" \
                 (leave it empty for the default)",
                image.imds_support
            ),
        ));
    }
    let spot = SpotPrice::parse(&config.builder.spot_price).is_ok_and(|p| p.is_spot());
    if spot && modifies_builder(config) {
        let field = if image.ena_support.is_some() {
            "image.ena_support"
        } else {
            "image.sriov_support"
        };
        problems.push(Problem::new(
            field,
            "AWS changes enhanced networking only on a stopped instance, and a spot builder \
             cannot be stopped: not together with builder.spot_price",
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_v2_and_no_enhanced_networking_on_spot() {
        let mut config = Config::default();
        assert!(check(&config).is_empty());
        config.image.imds_support = "v2.0".into();
        config.image.ena_support = Some(false);
        assert!(check(&config).is_empty());
        config.image.imds_support = "v2".into();
        config.builder.spot_price = "auto".into();
        let fields: Vec<String> = check(&config).into_iter().map(|p| p.field).collect();
        assert_eq!(fields, vec!["image.imds_support", "image.ena_support"]);
    }
}
