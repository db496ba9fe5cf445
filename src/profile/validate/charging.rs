//! `system.charging` and `job.max_charge`: the rule's own values, then the job against it (a
//! priority the rule does not know, a charge above the most the user allows).

use super::words::{is_identifier, text_problem};
use super::{Problems, within};
use crate::charge::{self, Charge};
use crate::error::{Code, Error};
use crate::profile::charging::{Charging, Counted, Rate};
use crate::profile::layer::JobLayer;
use crate::profile::model::Profile;
use crate::size;

/// What is wrong with the rule itself, one message each.
pub(super) fn problems(charging: &Charging) -> Vec<Error> {
    let mut found: Vec<Error> = unit_problem("unit", &charging.unit).into_iter().collect();
    if let Some(source) = &charging.source {
        // "source contains a NUL byte …": the key and the message, one sentence.
        found.extend(
            text_problem(source).map(|f| Error::new(f.code, format!("source {}", f.message))),
        );
    }
    if charging.rates.is_empty() {
        found.push(Error::new(
            Code::NoRates,
            "has no rates: give at least one, e.g. rates: [{per: nodes, rate: 1}]",
        ));
    }
    for (i, rate) in charging.rates.iter().enumerate() {
        found.extend(
            rate_problems(rate)
                .into_iter()
                .map(|f| within(format!("rates[{i}]"), f)),
        );
    }
    if let Some(priority) = &charging.priority {
        if !is_identifier(&priority.resource) {
            found.push(Error::new(
                Code::NotAResourceName,
                format!(
                    "priority.resource `{}` is not a PBS resource name",
                    priority.resource.escape_debug()
                ),
            ));
        }
        if !priority.factors.contains_key(&priority.default) {
            let known: Vec<&str> = priority.factors.keys().map(String::as_str).collect();
            found.push(Error::new(
                Code::UnknownPriorityDefault,
                format!(
                    "priority.default `{}` is not one of priority.factors ({})",
                    priority.default.escape_debug(),
                    known.join(", ")
                ),
            ));
        }
    }
    found
}

fn unit_problem(key: &str, unit: &str) -> Option<Error> {
    (unit.trim().is_empty() || unit.chars().any(char::is_control) || unit.len() > 40).then(|| {
        Error::new(
            Code::NotAUnitName,
            format!(
                "{key} `{}` is not a unit name: one short line, like SU, core-hours or node-hours",
                unit.escape_debug()
            ),
        )
    })
}

fn rate_problems(rate: &Rate) -> Vec<Error> {
    let mut found = Vec::new();
    if let Some(unit) = &rate.unit {
        found.extend(unit_problem("unit", unit));
    }
    if let Some(memory) = &rate.memory_per_node {
        if rate.per != Counted::Cores {
            found.push(Error::new(
                Code::MemoryPerNodeNeedsCores,
                "memory_per_node shares a node's memory among its cores: it needs per: cores",
            ));
        }
        if let Err(problem) = size::hardware_bytes(memory) {
            found.push(within("memory_per_node", problem));
        }
    }
    if rate.whole_nodes && rate.per == Counted::Nodes {
        found.push(Error::new(
            Code::WholeNodesPerNodes,
            "whole_nodes counts every core or GPU of a node: it needs per: cores or per: gpus",
        ));
    }
    found
}

/// The job against the rule: a priority it does not know, a charge above `job.max_charge`.
pub(super) fn check(profile: &Profile, p: &mut Problems) {
    let queue = profile.job.queue.as_ref();
    if queue.is_some_and(|name| !profile.system.queues.contains_key(name)) {
        return;
    }
    let k = JobLayer::KEYS;
    let estimate = match charge::estimate(profile) {
        Ok(Charge::Known(estimate)) => estimate,
        Ok(other) => {
            if let Some(most) = profile.job.max_charge {
                let why = match other {
                    Charge::Unmatched(why) => why,
                    _ => "the profile has no system.charging (the site's rule, docs/costs.md) to compute it with".into(),
                };
                p.at(
                    Code::ChargeUnknown,
                    k.max_charge,
                    format!(
                        "asks that the job charge at most {}, but {why}",
                        most.text()
                    ),
                );
            }
            return;
        }
        Err(refusal) => return p.at(refusal.code, refusal.key, refusal.message),
    };
    if let Some(most) = profile.job.max_charge
        && estimate.at_most > most
    {
        p.at(Code::ChargeOverMax,
            k.max_charge,
            format!(
                "the job can charge up to {} {} (held to its walltime {}, {} {} an hour), more than the {} allowed: ask for less walltime or fewer nodes, or raise the limit",
                estimate.at_most.text(),
                estimate.unit,
                estimate.walltime,
                estimate.per_hour.text(),
                estimate.unit,
                most.text()
            ),
        );
    }
}
