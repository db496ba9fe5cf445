//! Rules on the limits that depend on the job's size: a queue's (or its routing row's)
//! walltime tiers and per-job caps, checked as the site's qsub would check them, each
//! refusal naming the tier or the cap.

use super::{Problems, within};
use crate::error::{Code, Error};
use crate::plan::{JobSize, Plan};
use crate::profile::layer::JobLayer;
use crate::profile::limits::{JobMax, SizeUnit, Tier, hours};
use crate::profile::model::{Profile, System};
use crate::profile::types::Queue;
use crate::size::hardware_bytes;

/// The job against its queue's tiers and caps, then against those of the routing row it
/// goes to.
pub(super) fn check(profile: &Profile, p: &mut Problems) {
    let Some(queue) = profile.queue() else { return };
    if !queue.chunks.allows(profile.job.select) {
        // Refused already for its chunk count; the caps would say it again.
        return;
    }
    let k = JobLayer::KEYS;
    let size = JobSize::of(profile, &Plan::new(profile));
    let walltime = profile.job.walltime;
    let name = profile.queue_name();
    let mut rows = vec![(name.to_string(), &queue.tiers, &queue.max)];
    if let Some(route) = queue.route(profile.job.select, walltime) {
        rows.push((format!("{name} → {}", route.name), &route.tiers, &route.max));
    }
    for (label, tiers, max) in rows {
        match tier_of(tiers, &size) {
            Err(found) => p.add(k.select, within(&label, found)),
            Ok(Some((tier, range))) if walltime > tier.walltime => p.at(Code::WalltimeOverTier,
                k.walltime,
                format!(
                    "{label}: {} is the limit for {range}; you asked {} for {}: shorten the walltime (-t) or ask for less",
                    hours(tier.walltime),
                    hours(walltime),
                    amount(tier, &size),
                ),
            ),
            Ok(_) => {}
        }
        for found in max_problems(max, &size, profile) {
            p.add(k.select, within(&label, found));
        }
    }
}

/// The job's count in the tiers' unit.
fn count(unit: SizeUnit, size: &JobSize) -> u64 {
    match unit {
        SizeUnit::Cores => size.cores,
        SizeUnit::Nodes => size.nodes,
        SizeUnit::Gpus => size.gpus,
    }
}

/// "12 GPUs".
fn amount(tier: &Tier, size: &JobSize) -> String {
    let unit = tier.bound().map_or(SizeUnit::Cores, |(u, _)| u);
    let n = count(unit, size);
    format!("{n} {}", unit.word(n))
}

/// The tier a job falls in and its range in words ("9–16 GPUs"); an error when the job is
/// larger than the last tier; `None` without tiers.
fn tier_of<'a>(tiers: &'a [Tier], size: &JobSize) -> Result<Option<(&'a Tier, String)>, Error> {
    let mut below = 0u64;
    for tier in tiers {
        let Some((unit, bound)) = tier.bound() else {
            continue;
        };
        let bound = u64::from(bound);
        let n = count(unit, size);
        if n <= bound {
            let range = if below == 0 {
                format!("up to {bound} {}", unit.word(bound))
            } else {
                format!("{}–{bound} {}", below + 1, unit.word(bound))
            };
            return Ok(Some((tier, range)));
        }
        below = bound;
    }
    match tiers.last().and_then(Tier::bound) {
        Some((unit, bound)) => {
            let n = count(unit, size);
            Err(over_max(bound, unit, n))
        }
        None => Ok(None),
    }
}

/// The caps the job goes over.
fn max_problems(max: &JobMax, size: &JobSize, profile: &Profile) -> Vec<Error> {
    let mut found = Vec::new();
    let caps = [
        (max.cores, size.cores, SizeUnit::Cores),
        (max.gpus, size.gpus, SizeUnit::Gpus),
    ];
    for (cap, n, unit) in caps {
        if let Some(cap) = cap
            && n > u64::from(cap)
        {
            found.push(over_max(cap, unit, n));
        }
    }
    let memory = max
        .memory
        .as_deref()
        .and_then(|m| Some((m, hardware_bytes(m).ok()?)));
    if let (Some((text, cap)), Some(asked)) = (memory, size.memory)
        && asked > cap
    {
        found.push(Error::new(
            Code::OverJobMaxMemory,
            format!("a job may have at most {text} of memory; you asked {asked} bytes"),
        ));
    }
    let node_type = profile.job.node_type.as_deref();
    if let Some((name, cap)) = node_type.and_then(|t| max.node_types.get_key_value(t))
        && size.nodes > u64::from(*cap)
    {
        found.push(Error::new(
            Code::OverJobMaxNodeType,
            format!(
                "a job may have at most {cap} node(s) of node type {name}; you asked {}",
                size.nodes
            ),
        ));
    }
    found
}

/// A job of `n` over the largest `bound` (a tier's or a cap) of `unit`.
fn over_max(bound: u32, unit: SizeUnit, n: u64) -> Error {
    Error::new(
        Code::OverJobMax,
        format!(
            "a job may have at most {bound} {}; you asked {n}",
            unit.word(u64::from(bound))
        ),
    )
}

/// A queue's tiers and caps as written: one unit per tier and the same in every tier,
/// bounds rising, sizes PBS reads. `name` is the queue's, for the message.
pub(super) fn definition_problems(name: &str, queue: &Queue) -> Vec<Error> {
    let rows = std::iter::once((name, &queue.tiers, &queue.max)).chain(
        queue
            .routes
            .iter()
            .map(|r| (r.name.as_str(), &r.tiers, &r.max)),
    );
    let mut found = Vec::new();
    for (row, tiers, max) in rows {
        found.extend(tier_problems(tiers).map(|f| within(format!("queue {row}"), f)));
        if let Some(Err(problem)) = max.memory.as_deref().map(hardware_bytes) {
            found.push(within(format!("queue {row}: max.memory"), problem));
        }
    }
    found
}

fn tier_problems(tiers: &[Tier]) -> Option<Error> {
    let bounds: Vec<_> = tiers.iter().map(Tier::bound).collect();
    if bounds.iter().any(Option::is_none) {
        return Some(Error::new(
            Code::TierBound,
            "each tier gives exactly one of cores, nodes or gpus (its largest job) and a walltime, e.g. {cores: 672, walltime: \"48:00:00\"}",
        ));
    }
    let bounds: Vec<(SizeUnit, u32)> = bounds.into_iter().flatten().collect();
    if bounds.windows(2).any(|w| w[0].0 != w[1].0) {
        return Some(Error::new(
            Code::TierUnits,
            "every tier of a queue counts in the same unit (cores, nodes or gpus)",
        ));
    }
    bounds.windows(2).any(|w| w[0].1 >= w[1].1).then(|| {
        Error::new(
            Code::TiersNotRising,
            "tiers go from the smallest job to the largest: each bound above the one before",
        )
    })
}

/// Caps per node type must name the site's node types.
pub(super) fn node_type_name_problems(system: &System) -> Vec<String> {
    let queues = system
        .queues
        .iter()
        .map(|(n, q)| (n.as_str(), q))
        .chain(system.default_queue.iter().map(|q| ("default_queue", q)));
    let mut found = Vec::new();
    for (name, queue) in queues {
        let maxes = std::iter::once(&queue.max).chain(queue.routes.iter().map(|r| &r.max));
        for node_type in maxes.flat_map(|m| m.node_types.keys()) {
            if !system.node_types.contains_key(node_type) {
                found.push(format!(
                    "queue {name}: max.node_types names `{}`, which is not in system.node_types",
                    node_type.escape_debug()
                ));
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::validate::testing::builtin_profile;

    fn messages(profile: &Profile) -> Vec<String> {
        let layer = crate::profile::layer::Layer::default();
        let mut problems = Problems::new(&layer);
        check(profile, &mut problems);
        problems.found.iter().map(|p| p.message.clone()).collect()
    }

    #[test]
    fn a_job_over_its_tier_names_the_tier() {
        let mut gpu = builtin_profile("gadi-gpu");
        gpu.job.select = 12;
        gpu.job.walltime = "48:00:00".parse().unwrap();
        assert_eq!(
            messages(&gpu),
            [
                "gpuvolta: 24 h is the limit for 9–16 GPUs; you asked 48 h for 12 GPUs: shorten the walltime (-t) or ask for less"
            ]
        );
        gpu.job.select = 8;
        assert!(messages(&gpu).is_empty(), "8 GPUs get 48 h");
        gpu.job.walltime = "01:00:00".parse().unwrap();
        gpu.system.queues["gpuvolta"].chunks =
            crate::profile::types::Chunks::Range { min: 1, max: 100 };
        gpu.job.select = 96;
        let found = messages(&gpu);
        assert!(
            found.contains(&"gpuvolta: a job may have at most 80 GPUs; you asked 96".to_string()),
            "{found:?}"
        );
    }

    #[test]
    fn tiers_count_in_one_unit_and_rise() {
        let tier = |cores, gpus, h: u64| Tier {
            cores,
            nodes: None,
            gpus,
            walltime: crate::walltime::Walltime::from_seconds(h * 3600),
        };
        assert!(tier_problems(&[tier(Some(672), None, 48), tier(Some(1440), None, 24)]).is_none());
        assert!(tier_problems(&[tier(Some(1440), None, 48), tier(Some(672), None, 24)]).is_some());
        assert!(tier_problems(&[tier(Some(672), None, 48), tier(None, Some(8), 24)]).is_some());
        assert!(tier_problems(&[tier(Some(1), Some(1), 1)]).is_some());
    }
}
