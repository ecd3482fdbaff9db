//! Which of the live story's stages run. The first three (start, bake v1,
//! deploy) and the last (destroy) always do; the others can be chosen with
//! `ROUNDROBIN_LIVE_STAGES`, a comma-separated list of their names (unset or
//! `all`: every stage), so one stage can be tried alone while it is worked on.
//! A run that leaves stages out says so, loudly, at its start.

use anyhow::{Result, bail};

/// The variable that chooses the optional stages.
pub const STAGES_ENV: &str = "ROUNDROBIN_LIVE_STAGES";

/// The stages that can be left out, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Optional {
    /// v2 rolled out under load, no request failed.
    Rollout,
    /// A build that fails its health checks, rolled back.
    Broken,
    /// A good build passes each checkpoint of a gated rollout.
    GatePasses,
    /// A build that fails one page in five, stopped by the error-rate gate.
    GateErrors,
    /// A build that answers 400 ms late, stopped by the latency gate.
    GateLatency,
    /// An app stopped and a machine killed under load; the group heals.
    Chaos,
    /// Load ramps up and the group scales out, then back in.
    Scaling,
}

impl Optional {
    pub const ALL: [Optional; 7] = [
        Optional::Rollout,
        Optional::Broken,
        Optional::GatePasses,
        Optional::GateErrors,
        Optional::GateLatency,
        Optional::Chaos,
        Optional::Scaling,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Optional::Rollout => "rollout",
            Optional::Broken => "broken",
            Optional::GatePasses => "gate-passes",
            Optional::GateErrors => "gate-errors",
            Optional::GateLatency => "gate-latency",
            Optional::Chaos => "chaos",
            Optional::Scaling => "scaling",
        }
    }
}

/// The stages of one run, and their numbering.
#[derive(Debug, Clone)]
pub struct Selection {
    chosen: Vec<Optional>,
}

/// Stages that always run: start, bake v1, deploy, destroy.
const ALWAYS: usize = 4;

impl Selection {
    /// Every stage.
    pub fn all() -> Selection {
        Selection {
            chosen: Optional::ALL.to_vec(),
        }
    }

    /// The stages [`STAGES_ENV`] names (every stage when it is unset).
    pub fn from_env() -> Result<Selection> {
        match std::env::var(STAGES_ENV) {
            Ok(text) => Selection::parse(&text),
            Err(_) => Ok(Selection::all()),
        }
    }

    /// Reads `rollout,chaos`-style text; `all` (or nothing) is every stage.
    pub fn parse(text: &str) -> Result<Selection> {
        let names: Vec<&str> = text
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .collect();
        if names.is_empty() || names == ["all"] {
            return Ok(Selection::all());
        }
        for name in &names {
            if !Optional::ALL.iter().any(|o| o.name() == *name) {
                let known: Vec<&str> = Optional::ALL.iter().map(|o| o.name()).collect();
                bail!(
                    "{STAGES_ENV}: no stage named {name:?} (the stages: {}, or all)",
                    known.join(", ")
                );
            }
        }
        let chosen = Optional::ALL
            .into_iter()
            .filter(|o| names.contains(&o.name()))
            .collect();
        Ok(Selection { chosen })
    }

    pub fn runs(&self, stage: Optional) -> bool {
        self.chosen.contains(&stage)
    }

    /// How many stages run.
    pub fn total(&self) -> usize {
        ALWAYS + self.chosen.len()
    }

    /// The stages left out, by name.
    pub fn left_out(&self) -> Vec<&'static str> {
        Optional::ALL
            .into_iter()
            .filter(|o| !self.runs(*o))
            .map(Optional::name)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_chooses_stages_in_story_order_and_an_unknown_name_is_refused() {
        let chosen = Selection::parse("scaling, gate-errors").expect("a selection");
        assert!(chosen.runs(Optional::Scaling) && chosen.runs(Optional::GateErrors));
        assert!(!chosen.runs(Optional::Chaos));
        assert_eq!(chosen.total(), 6);
        assert_eq!(chosen.left_out().len(), 5);
        let all = Selection::parse("all").expect("all");
        assert_eq!(all.total(), 11);
        assert!(all.left_out().is_empty());
        assert_eq!(Selection::parse("").expect("empty").total(), 11);
        let error = Selection::parse("rollout,canary").expect_err("unknown");
        assert!(error.to_string().contains("\"canary\""), "{error}");
    }
}
