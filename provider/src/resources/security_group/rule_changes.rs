//! Changing a group's rules in place: the grants that go away are revoked,
//! the new ones authorized, each write waiting out AWS's lag on a group this
//! apply just made.

use super::rules::{Grant, Rule, grants_of, missing_from, to_aws};
use crate::aws::Aws;
use crate::aws::consistency::{Made, write_to};
use crate::framework::Diagnostics;

#[derive(Clone, Copy)]
pub(super) enum Direction {
    Ingress,
    Egress,
}

/// The group whose rules change, and whether this apply just made it.
#[derive(Clone, Copy)]
pub(super) struct Change<'a> {
    pub id: &'a str,
    pub made: Made,
}

/// Revokes the grants that go away and authorizes the new ones.
pub(super) async fn apply_rules(
    aws: &Aws,
    change: Change<'_>,
    before: &[Rule],
    after: &[Rule],
    direction: Direction,
) -> Result<(), Diagnostics> {
    let Change { id, made } = change;
    let (old, new) = (grants_of(before), grants_of(after));
    let revoke: Vec<Grant> = missing_from(&old, &new);
    let authorize: Vec<Grant> = missing_from(&new, &old);
    if !revoke.is_empty() {
        let perms = Some(to_aws(&revoke));
        let what = format!("revoking rules of {id}");
        match direction {
            Direction::Ingress => {
                let call = aws
                    .ec2
                    .revoke_security_group_ingress()
                    .group_id(id)
                    .set_ip_permissions(perms);
                write_to(aws, made, &what, || call.clone().send())
                    .await
                    .map(drop)?;
            }
            Direction::Egress => {
                let call = aws
                    .ec2
                    .revoke_security_group_egress()
                    .group_id(id)
                    .set_ip_permissions(perms);
                write_to(aws, made, &what, || call.clone().send())
                    .await
                    .map(drop)?;
            }
        }
    }
    if !authorize.is_empty() {
        let perms = Some(to_aws(&authorize));
        let what = format!("adding rules to {id}");
        match direction {
            Direction::Ingress => {
                let call = aws
                    .ec2
                    .authorize_security_group_ingress()
                    .group_id(id)
                    .set_ip_permissions(perms);
                write_to(aws, made, &what, || call.clone().send())
                    .await
                    .map(drop)?;
            }
            Direction::Egress => {
                let call = aws
                    .ec2
                    .authorize_security_group_egress()
                    .group_id(id)
                    .set_ip_permissions(perms);
                write_to(aws, made, &what, || call.clone().send())
                    .await
                    .map(drop)?;
            }
        }
    }
    Ok(())
}
