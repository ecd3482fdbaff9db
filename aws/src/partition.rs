//! ARNs name the partition of their region: `aws`, `aws-cn` (China),
//! `aws-us-gov` (GovCloud), and the isolated ones.

/// The partition a region belongs to.
pub fn of_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else if region.starts_with("us-isob-") {
        "aws-iso-b"
    } else if region.starts_with("us-iso-") {
        "aws-iso"
    } else if region.starts_with("eu-isoe-") {
        "aws-iso-e"
    } else {
        "aws"
    }
}

/// The partition named by an ARN (`arn:PARTITION:service:...`).
pub fn of_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.next() == Some("arn"))
        .then(|| parts.next())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_to_their_partitions() {
        assert_eq!(of_region("eu-west-1"), "aws");
        assert_eq!(of_region("cn-north-1"), "aws-cn");
        assert_eq!(of_region("us-gov-west-1"), "aws-us-gov");
        assert_eq!(of_region("us-iso-east-1"), "aws-iso");
        assert_eq!(of_region("us-isob-east-1"), "aws-iso-b");
    }

    #[test]
    fn arns_name_their_partition() {
        assert_eq!(of_arn("arn:aws-cn:iam::aws:policy/X"), Some("aws-cn"));
        assert_eq!(of_arn("not-an-arn"), None);
    }
}
