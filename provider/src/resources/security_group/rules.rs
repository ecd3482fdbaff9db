//! Security group rules as the user writes them (one block per protocol and
//! port range, with several sources) and as AWS stores them (one entry per
//! source). Both sides are broken down into single-source grants so that a
//! refresh can rebuild the user's blocks exactly and report only real drift.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{IpPermission, IpRange, Ipv6Range, PrefixListId, UserIdGroupPair};
use serde::{Deserialize, Serialize};

use crate::framework::null_as_default;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Rule {
    #[serde(deserialize_with = "null_as_default")]
    pub from_port: i64,
    #[serde(deserialize_with = "null_as_default")]
    pub to_port: i64,
    #[serde(deserialize_with = "null_as_default")]
    pub protocol: String,
    pub cidr_blocks: Option<Vec<String>>,
    #[serde(default)]
    pub ipv6_cidr_blocks: Option<Vec<String>>,
    #[serde(default)]
    pub prefix_list_ids: Option<Vec<String>>,
    pub security_groups: Option<Vec<String>>,
    pub description: Option<String>,
}

/// Whom one AWS rule entry allows: the four kinds of source an
/// `IpPermission` holds (EC2 API reference, `IpPermission`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    Cidr(String),
    Ipv6Cidr(String),
    PrefixList(String),
    Group(String),
}

/// One permission for one source.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Grant {
    pub protocol: String,
    pub from_port: i64,
    pub to_port: i64,
    pub source: Source,
    pub description: Option<String>,
}

/// AWS's spelling of a protocol; ports do not apply to "all protocols".
fn normalize(protocol: &str, from: i64, to: i64) -> (String, i64, i64) {
    match protocol.to_ascii_lowercase().as_str() {
        "-1" | "all" => ("-1".into(), 0, 0),
        "6" => ("tcp".into(), from, to),
        "17" => ("udp".into(), from, to),
        "1" => ("icmp".into(), from, to),
        other => (other.into(), from, to),
    }
}

impl Rule {
    pub fn grants(&self) -> Vec<Grant> {
        let (protocol, from_port, to_port) =
            normalize(&self.protocol, self.from_port, self.to_port);
        let of = |list: &Option<Vec<String>>, kind: fn(String) -> Source| {
            list.iter().flatten().cloned().map(kind).collect::<Vec<_>>()
        };
        of(&self.cidr_blocks, Source::Cidr)
            .into_iter()
            .chain(of(&self.ipv6_cidr_blocks, Source::Ipv6Cidr))
            .chain(of(&self.prefix_list_ids, Source::PrefixList))
            .chain(of(&self.security_groups, Source::Group))
            .map(|source| Grant {
                protocol: protocol.clone(),
                from_port,
                to_port,
                source,
                description: self.description.clone().filter(|d| !d.is_empty()),
            })
            .collect()
    }

    /// AWS's rule that a fresh security group allows all outbound traffic by.
    pub fn allow_all_egress() -> Rule {
        Rule {
            from_port: 0,
            to_port: 0,
            protocol: "-1".into(),
            cidr_blocks: Some(vec!["0.0.0.0/0".into()]),
            ipv6_cidr_blocks: None,
            prefix_list_ids: None,
            security_groups: None,
            description: None,
        }
    }
}

pub fn grants_of(rules: &[Rule]) -> Vec<Grant> {
    rules.iter().flat_map(Rule::grants).collect()
}

/// Grants as AWS reports them.
pub fn grants_from_aws(permissions: &[IpPermission]) -> Vec<Grant> {
    let mut grants = Vec::new();
    for p in permissions {
        let (protocol, from_port, to_port) = normalize(
            p.ip_protocol().unwrap_or("-1"),
            p.from_port().map(i64::from).unwrap_or(0),
            p.to_port().map(i64::from).unwrap_or(0),
        );
        let grant = |source, description: Option<&str>| Grant {
            protocol: protocol.clone(),
            from_port,
            to_port,
            source,
            description: description.filter(|d| !d.is_empty()).map(str::to_string),
        };
        for r in p.ip_ranges() {
            if let Some(cidr) = r.cidr_ip() {
                grants.push(grant(Source::Cidr(cidr.to_string()), r.description()));
            }
        }
        for r in p.ipv6_ranges() {
            if let Some(cidr) = r.cidr_ipv6() {
                grants.push(grant(Source::Ipv6Cidr(cidr.to_string()), r.description()));
            }
        }
        for l in p.prefix_list_ids() {
            if let Some(id) = l.prefix_list_id() {
                grants.push(grant(Source::PrefixList(id.to_string()), l.description()));
            }
        }
        for g in p.user_id_group_pairs() {
            if let Some(id) = g.group_id() {
                grants.push(grant(Source::Group(id.to_string()), g.description()));
            }
        }
    }
    grants
}

/// Rebuilds rule blocks from what AWS has: blocks of `prior` whose grants
/// all still exist are kept as written; what is left over becomes new
/// blocks, one per protocol, port range and description.
pub fn rebuild(prior: &[Rule], actual: Vec<Grant>) -> Vec<Rule> {
    let mut remaining = actual;
    let mut rules = Vec::new();
    for rule in prior {
        let wanted = rule.grants();
        let mut left = remaining.clone();
        let all_found = wanted
            .iter()
            .all(|g| match left.iter().position(|x| x == g) {
                Some(i) => {
                    left.swap_remove(i);
                    true
                }
                None => false,
            });
        if all_found && !wanted.is_empty() {
            remaining = left;
            rules.push(rule.clone());
        }
    }
    let mut grouped: BTreeMap<(String, i64, i64, Option<String>), Vec<Source>> = BTreeMap::new();
    for g in remaining {
        grouped
            .entry((g.protocol, g.from_port, g.to_port, g.description))
            .or_default()
            .push(g.source);
    }
    for ((protocol, from_port, to_port, description), mut sources) in grouped {
        sources.sort();
        let pick = |wanted: fn(&Source) -> Option<&String>| {
            let found: Vec<String> = sources.iter().filter_map(wanted).cloned().collect();
            (!found.is_empty()).then_some(found)
        };
        rules.push(Rule {
            from_port,
            to_port,
            protocol,
            cidr_blocks: pick(|s| match s {
                Source::Cidr(c) => Some(c),
                _ => None,
            }),
            ipv6_cidr_blocks: pick(|s| match s {
                Source::Ipv6Cidr(c) => Some(c),
                _ => None,
            }),
            prefix_list_ids: pick(|s| match s {
                Source::PrefixList(id) => Some(id),
                _ => None,
            }),
            security_groups: pick(|s| match s {
                Source::Group(g) => Some(g),
                _ => None,
            }),
            description,
        });
    }
    rules
}

/// Grants in `a` that are not in `b` (as a multiset).
pub fn missing_from(a: &[Grant], b: &[Grant]) -> Vec<Grant> {
    let mut rest = b.to_vec();
    a.iter()
        .filter(|g| match rest.iter().position(|x| x == *g) {
            Some(i) => {
                rest.swap_remove(i);
                false
            }
            None => true,
        })
        .cloned()
        .collect()
}

/// The AWS form of some grants, one permission per grant.
pub fn to_aws(grants: &[Grant]) -> Vec<IpPermission> {
    grants
        .iter()
        .map(|g| {
            let ports = g.protocol != "-1";
            let mut p = IpPermission::builder()
                .ip_protocol(&g.protocol)
                .set_from_port(ports.then(|| clamp(g.from_port)))
                .set_to_port(ports.then(|| clamp(g.to_port)));
            p = match &g.source {
                Source::Cidr(c) => p.ip_ranges(
                    IpRange::builder()
                        .cidr_ip(c)
                        .set_description(g.description.clone())
                        .build(),
                ),
                Source::Ipv6Cidr(c) => p.ipv6_ranges(
                    Ipv6Range::builder()
                        .cidr_ipv6(c)
                        .set_description(g.description.clone())
                        .build(),
                ),
                Source::PrefixList(id) => p.prefix_list_ids(
                    PrefixListId::builder()
                        .prefix_list_id(id)
                        .set_description(g.description.clone())
                        .build(),
                ),
                Source::Group(id) => p.user_id_group_pairs(
                    UserIdGroupPair::builder()
                        .group_id(id)
                        .set_description(g.description.clone())
                        .build(),
                ),
            };
            p.build()
        })
        .collect()
}

fn clamp(port: i64) -> i32 {
    i32::try_from(port).unwrap_or(i32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http() -> Rule {
        Rule {
            from_port: 80,
            to_port: 80,
            protocol: "tcp".into(),
            cidr_blocks: Some(vec!["0.0.0.0/0".into(), "10.0.0.0/8".into()]),
            ipv6_cidr_blocks: None,
            prefix_list_ids: None,
            security_groups: None,
            description: Some("web".into()),
        }
    }

    #[test]
    fn a_rule_survives_the_round_trip_through_aws() {
        let grants = grants_from_aws(&to_aws(&http().grants()));
        assert_eq!(rebuild(&[http()], grants), vec![http()]);
    }

    #[test]
    fn ipv6_ranges_and_prefix_lists_survive_the_round_trip_through_aws() {
        let rule = Rule {
            ipv6_cidr_blocks: Some(vec!["::/0".into()]),
            prefix_list_ids: Some(vec!["pl-0123".into()]),
            ..http()
        };
        let grants = grants_from_aws(&to_aws(&rule.grants()));
        assert_eq!(grants.len(), 4);
        assert_eq!(rebuild(&[], grants), vec![rule]);
    }

    #[test]
    fn a_revoked_source_turns_the_block_into_what_is_left() {
        let mut grants = http().grants();
        grants.remove(1);
        let rebuilt = rebuild(&[http()], grants);
        assert_eq!(rebuilt.len(), 1);
        assert_eq!(rebuilt[0].cidr_blocks, Some(vec!["0.0.0.0/0".to_string()]));
    }

    #[test]
    fn all_protocols_ignore_ports() {
        let mut r = Rule::allow_all_egress();
        r.to_port = 65535;
        assert_eq!(r.grants(), Rule::allow_all_egress().grants());
    }

    #[test]
    fn missing_grants_are_counted_as_a_multiset() {
        let a = http().grants();
        assert_eq!(missing_from(&a, &a[..1]).len(), 1);
        assert!(missing_from(&a, &a).is_empty());
    }
}
