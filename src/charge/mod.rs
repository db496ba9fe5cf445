//! What a job charges its project, by the site's own rule (`system.charging`): the rate that
//! fits the job's queue, node type and request, times what the rate counts (nodes, cores,
//! GPUs, or the cores' share of the memory asked, whichever is more), times the priority
//! factor, per hour held. Exact arithmetic (`Amount`), rounded only when printed.
//!
//! `check`, `explain` and `submit` print `Estimate::line`; `status` multiplies the recorded
//! `per_hour` by the walltime each job used; the job script logs its own charge at its end.

mod asked;

pub use asked::Asked;

use crate::amount::Amount;
use crate::error::{Code, Error, Suggestion};
use crate::plan::Plan;
use crate::profile::charging::{Charging, Counted, Rate};
use crate::profile::model::Profile;
use crate::profile::types::WorkerKind;
use crate::size::hardware_bytes;
use crate::walltime::Walltime;

/// What dask-pbs can say of a job's charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Charge {
    /// The profile has no `system.charging`.
    Unknown,
    /// It has one, but no rate fits the job; the text says which queue/type/request.
    Unmatched(String),
    Known(Estimate),
}

/// The charge of a job held for its walltime, and how it comes about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Estimate {
    pub unit: String,
    /// What the job charges for each hour it is held.
    pub per_hour: Amount,
    /// The walltime asked: the most it can be held.
    pub walltime: Walltime,
    /// `per_hour` × walltime: the most the job can charge.
    pub at_most: Amount,
    /// The site sets `at_most` aside from the allocation at submission.
    pub reserves_walltime: bool,
    /// How `per_hour` comes about: "48 cores × 2 SU", with the memory and priority terms.
    pub basis: String,
    /// The request costs more than its cores would: what, why, and what would be cheaper.
    pub warnings: Vec<String>,
}

/// Why a job's charge cannot be told: the profile key to fix and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: Code,
    pub key: &'static str,
    pub message: String,
}

impl Refusal {
    fn of_rule(found: Error) -> Refusal {
        Refusal {
            code: found.code,
            key: "system.charging",
            message: found.message,
        }
    }
}

/// The charge of `p`'s job; `Err` when the job names a priority the rule does not know (or
/// the numbers leave what can be computed exactly).
pub fn estimate(p: &Profile) -> Result<Charge, Refusal> {
    let Some(charging) = &p.system.charging else {
        return Ok(Charge::Unknown);
    };
    let plan = Plan::new(p);
    let asked = Asked::of(p, &plan);
    let Some(rate) = fitting_rate(p, charging, asked.gpus > 0) else {
        return Ok(Charge::Unmatched(unmatched(p, charging, &asked)));
    };
    let (factor, factor_text) = factor(p, charging, rate)?;
    let terms = Terms::of(p, rate, &asked).map_err(Refusal::of_rule)?;
    let overflow = || {
        Refusal::of_rule(Error::new(
            Code::ChargeTooLarge,
            "the charge is too large to compute exactly",
        ))
    };
    let per_hour = terms
        .units()
        .checked_mul(rate.rate)
        .and_then(|a| a.checked_mul(factor))
        .ok_or_else(overflow)?;
    let walltime = p.job.walltime;
    let at_most = per_hour
        .over_seconds(walltime.seconds())
        .ok_or_else(overflow)?;
    let unit = rate.unit.clone().unwrap_or_else(|| charging.unit.clone());
    let basis = basis(&terms, rate, &unit, &factor_text, walltime);
    let warnings = [
        memory_per_node_warning(p, rate),
        terms.memory_warning(rate, factor, &unit),
        terms.whole_node_warning(p, rate),
        gpu_warning(p, rate, &asked, per_hour, &unit),
    ];
    Ok(Charge::Known(Estimate {
        unit,
        per_hour,
        walltime,
        at_most,
        reserves_walltime: charging.reserves_walltime,
        basis,
        warnings: warnings.into_iter().flatten().collect(),
    }))
}

/// "48 cores × 2 SU × 1 h; memory 190GB = 47.5 cores' share, not more".
fn basis(terms: &Terms, rate: &Rate, unit: &str, factor_text: &str, walltime: Walltime) -> String {
    let (units_text, memory_text) = terms.text(rate);
    // A rate of 1 in a unit that names what is counted (GPU-hours of GPUs) says nothing.
    let rate_text = if rate.rate == Amount::ONE {
        String::new()
    } else {
        format!(" × {} {unit}", rate.rate.text_places(4))
    };
    format!(
        "{units_text}{rate_text}{factor_text} × {}{}",
        hours_text(walltime),
        memory_text.map(|m| format!("; {m}")).unwrap_or_default()
    )
}

/// What the job script needs to log its own charge at its end: whole numbers for bash.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ScriptCharge {
    pub unit: String,
    /// The rate an hour held, for people (`96`, `143.25`).
    pub per_hour: String,
    /// The same in millionths of the unit, rounded: the script multiplies it by `SECONDS`.
    pub per_hour_millionths: u128,
}

/// The charge the job script logs at its end; `None` when it is not known.
pub fn for_script(p: &Profile) -> Option<ScriptCharge> {
    match estimate(p) {
        Ok(Charge::Known(e)) => Some(ScriptCharge {
            per_hour: e.per_hour.text(),
            per_hour_millionths: e.per_hour.millionths(),
            unit: e.unit,
        }),
        _ => None,
    }
}

impl Estimate {
    /// The line `check`, `explain` and `submit` print.
    pub fn line(&self) -> String {
        let reserve = if self.reserves_walltime {
            "; the most is reserved from the allocation until the job ends"
        } else {
            ""
        };
        format!(
            "charge: at most {} {} ({}); {} {} per hour held{reserve}",
            self.at_most.text(),
            self.unit,
            self.basis,
            self.per_hour.text(),
            self.unit
        )
    }
}

/// The route a routing queue sends the job to (the first row it fits), if any.
fn route(p: &Profile) -> Option<&str> {
    p.queue()?
        .routes
        .iter()
        .find(|r| {
            r.chunks.allows(p.job.select)
                && (r.walltime[0]..=r.walltime[1]).contains(&p.job.walltime)
        })
        .map(|r| r.name.as_str())
}

/// The first rate whose queues, node types and GPU condition fit the job.
fn fitting_rate<'a>(p: &Profile, charging: &'a Charging, asks_gpus: bool) -> Option<&'a Rate> {
    let queue = p.job.queue.as_deref();
    let route = route(p);
    charging.rates.iter().find(|r| {
        let queue_fits = r.queues.is_empty()
            || r.queues
                .iter()
                .any(|q| Some(q.as_str()) == queue || Some(q.as_str()) == route);
        let type_fits = r.node_types.is_empty()
            || p.job
                .node_type
                .as_ref()
                .is_some_and(|t| r.node_types.contains(t));
        queue_fits && type_fits && r.asks_gpus.is_none_or(|g| g == asks_gpus)
    })
}

fn unmatched(p: &Profile, charging: &Charging, asked: &Asked) -> String {
    let mut what = vec![format!(
        "queue {}",
        p.job.queue.as_deref().unwrap_or("(the server's default)")
    )];
    if let Some(route) = route(p) {
        what.push(format!("routed to {route}"));
    }
    if let Some(t) = &p.job.node_type {
        what.push(format!("node type {t}"));
    }
    what.push(if asked.gpus > 0 {
        "a request with GPUs".into()
    } else {
        "a request without GPUs".into()
    });
    // A rate naming a queue a letter away from the job's is most likely a typo.
    let named = charging
        .rates
        .iter()
        .flat_map(|r| r.queues.iter().map(String::as_str));
    let typo = p
        .job
        .queue
        .as_deref()
        .and_then(|q| Suggestion::for_name(q, named.filter(|n| *n != q)).map(|s| (q, s)))
        .map(|(q, s)| format!(" (a rate names queue `{}`: a typo for `{q}`?)", s.name()))
        .unwrap_or_default();
    format!(
        "no rate of system.charging fits this job ({}){typo}: its charge is not shown; add a rate for it (docs/costs.md)",
        what.join(", ")
    )
}

/// The factor on the rate: the queue's own, else the priority the job asks, else 1; with
/// its text for the basis (" × 1.5 for job_priority premium").
fn factor(p: &Profile, charging: &Charging, rate: &Rate) -> Result<(Amount, String), Refusal> {
    if let Some(f) = rate.factor {
        let queue = p.job.queue.as_deref().unwrap_or("the queue");
        let text = if f == Amount::ONE {
            String::new()
        } else {
            format!(" × {} ({queue}'s factor)", f.text_places(4))
        };
        return Ok((f, text));
    }
    let Some(priority) = &charging.priority else {
        return Ok((Amount::ONE, String::new()));
    };
    let (value, key) = asked_priority(p, &priority.resource)
        .unwrap_or_else(|| (priority.default.clone(), "system.charging"));
    let Some(f) = priority.factors.get(&value) else {
        let known: Vec<&str> = priority.factors.keys().map(String::as_str).collect();
        return Err(Refusal {
            code: Code::UnknownPriority,
            key,
            message: format!(
                "{}={value} is not a priority the site's charging rule (system.charging) knows: use one of {}",
                priority.resource,
                known.join(", ")
            ),
        });
    };
    Ok((
        *f,
        format!(" × {} ({}={value})", f.text_places(4), priority.resource),
    ))
}

/// The value the job gives `resource`: in `job.resources`, or a `-l NAME=VALUE[,…]` of
/// `job.directives`; with the key it was found in.
fn asked_priority(p: &Profile, resource: &str) -> Option<(String, &'static str)> {
    if let Some(v) = p.job.resources.get(resource) {
        return Some((v.clone(), "job.resources"));
    }
    p.job.directives.iter().rev().find_map(|d| {
        let list = d.strip_prefix("-l")?.trim_start();
        list.split(',').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key.trim() == resource).then(|| (value.trim().to_string(), "job.directives"))
        })
    })
}

/// What the rate counts for this job: the count, and the memory's share when the rate
/// charges memory and it is more.
struct Terms {
    /// Nodes for a whole-node count; the count of the rate's thing.
    nodes: u64,
    per_node: Option<u64>,
    count: u64,
    /// What the request itself asks of the counted thing (below `count` on whole nodes).
    asked: u64,
    memory: Option<MemoryShare>,
}

struct MemoryShare {
    asked_bytes: u64,
    /// The memory asked as cores: bytes ÷ (node memory ÷ cores per node).
    cores: Amount,
    /// The memory one core's charge includes, in bytes.
    per_core: Amount,
}

impl Terms {
    fn of(p: &Profile, rate: &Rate, asked: &Asked) -> Result<Terms, Error> {
        let nodes = asked.nodes;
        let (per_node, asked_count) = match rate.per {
            Counted::Nodes => (None, nodes),
            Counted::Cores => (Some(u64::from(p.system.cpus_per_node)), asked.cores),
            Counted::Gpus => (Some(u64::from(p.system.gpus_per_node)), asked.gpus),
        };
        let (per_node, count) = match per_node {
            Some(n) if rate.whole_nodes => (Some(n), nodes * n),
            _ => (None, asked_count),
        };
        let memory = match (&rate.memory_per_node, asked.memory) {
            (Some(node), Some(bytes)) if rate.per == Counted::Cores => {
                Some(memory_share(node, bytes, p.system.cpus_per_node)?)
            }
            _ => None,
        };
        Ok(Terms {
            nodes,
            per_node,
            count,
            asked: asked_count,
            memory,
        })
    }

    /// The counted units: the count, or the memory's share when more.
    fn units(&self) -> Amount {
        let count = Amount::from_int(self.count);
        match &self.memory {
            Some(m) if m.cores > count => m.cores,
            _ => count,
        }
    }

    fn memory_bound(&self) -> bool {
        self.memory
            .as_ref()
            .is_some_and(|m| m.cores > Amount::from_int(self.count))
    }

    /// What is counted ("48 cores", "1 node × 4 GPUs", "47.75 cores' share of memory
    /// 380GB"), and the memory's part when the rate charges memory.
    fn text(&self, rate: &Rate) -> (String, Option<String>) {
        let plural = |n: u64| n != 1;
        let count = match self.per_node {
            Some(per) => format!(
                "{} {} × {per} {}",
                self.nodes,
                Counted::Nodes.noun(plural(self.nodes)),
                rate.per.noun(plural(per))
            ),
            None => format!("{} {}", self.count, rate.per.noun(plural(self.count))),
        };
        let Some(m) = &self.memory else {
            return (count, None);
        };
        let memory = gigabytes(Amount::from_int(m.asked_bytes));
        if self.memory_bound() {
            (
                format!("{} cores' share of memory {memory}", m.cores.text()),
                Some(format!("more than the {count} asked")),
            )
        } else {
            (
                count,
                Some(format!(
                    "memory {memory} = {} cores' share, not more",
                    m.cores.text()
                )),
            )
        }
    }

    /// The memory asked is charged as more cores than the job asks for.
    fn memory_warning(&self, rate: &Rate, factor: Amount, unit: &str) -> Option<String> {
        let m = self.memory.as_ref().filter(|_| self.memory_bound())?;
        let cost = |units: Amount| {
            units
                .checked_mul(rate.rate)?
                .checked_mul(factor)
                .map(Amount::text)
        };
        let most = m.per_core.checked_mul(Amount::from_int(self.count))?;
        Some(format!(
            "the memory asked ({}) is charged as {} cores' share, more than the {} cores asked: {} {unit} an hour instead of {}; ask for at most {} ({} a core) to be charged for the cores alone",
            gigabytes(Amount::from_int(m.asked_bytes)),
            m.cores.text(),
            self.count,
            cost(m.cores)?,
            cost(Amount::from_int(self.count))?,
            gigabytes(most),
            gigabytes(m.per_core)
        ))
    }

    /// Whole nodes charged for cores or GPUs the request leaves idle.
    fn whole_node_warning(&self, p: &Profile, rate: &Rate) -> Option<String> {
        let per = self.per_node?;
        (self.asked < self.count).then(|| {
            let noun = rate.per.noun(true);
            format!(
                "the job is charged for all {per} {noun} of each of its {} node(s), {} in all, though it asks for {}: the site gives whole nodes; use them (dask.workers_per_node, nthreads) or a queue of shared nodes{}",
                self.nodes,
                self.count,
                self.asked,
                p.job
                    .queue
                    .as_deref()
                    .map(|q| format!(" instead of {q}"))
                    .unwrap_or_default()
            )
        })
    }
}

fn memory_share(
    node_memory: &str,
    asked_bytes: u64,
    cpus_per_node: u32,
) -> Result<MemoryShare, Error> {
    let node = hardware_bytes(node_memory)?;
    // Neither can fail: the divisor is at least 1 core, and a u64 of bytes over a share of
    // at least 1/u32::MAX byte stays far inside u128.
    let per_core = Amount::ratio(u128::from(node), u128::from(cpus_per_node.max(1)))
        .ok_or_else(|| Error::new(Code::Internal, "no cores per node"))?;
    let cores = Amount::from_int(asked_bytes)
        .checked_div(per_core)
        .ok_or_else(|| Error::new(Code::Internal, "the memory share is too large to compute"))?;
    Ok(MemoryShare {
        asked_bytes,
        cores,
        per_core,
    })
}

/// A rate's `memory_per_node` far below the node's own memory: most likely one core's memory
/// written where the node's belongs.
fn memory_per_node_warning(p: &Profile, rate: &Rate) -> Option<String> {
    let written = rate.memory_per_node.as_deref()?;
    let node_text = p.system.memory_per_node.as_deref()?;
    let (charged, node) = (
        hardware_bytes(written).ok()?,
        hardware_bytes(node_text).ok()?,
    );
    (charged < node / 2).then(|| {
        format!(
            "the charging rate's memory_per_node ({written}) is far below the node's memory (system.memory_per_node {node_text}): it is a whole node's memory, shared among its {} cores to charge memory, not one core's",
            p.system.cpus_per_node
        )
    })
}

/// CPU workers on GPUs the job pays for: what the same request without GPUs would charge.
fn gpu_warning(
    p: &Profile,
    rate: &Rate,
    asked: &Asked,
    per_hour: Amount,
    unit: &str,
) -> Option<String> {
    if p.dask.worker != WorkerKind::Cpu || rate.per != Counted::Gpus || asked.gpus == 0 {
        return None;
    }
    let mut without = p.clone();
    without.job.resources.shift_remove("ngpus");
    let cheaper = match estimate(&without) {
        Ok(Charge::Known(e)) if Asked::of(&without, &Plan::new(&without)).gpus == 0 => format!(
            "; without ngpus in job.resources it would be charged {} {} an hour instead",
            e.per_hour.text(),
            e.unit
        ),
        _ => "; choose a queue or node type without GPUs".into(),
    };
    Some(format!(
        "the job runs CPU workers (dask.worker: cpu) but is charged for {} GPUs: {} {unit} an hour for GPUs it does not use{cheaper}",
        asked.gpus,
        per_hour.text()
    ))
}

/// "1 h", "0.5 h", or the walltime itself when hours would need rounding ("00:20:00").
fn hours_text(walltime: Walltime) -> String {
    let hours = Amount::ratio(u128::from(walltime.seconds()), 3600).unwrap_or(Amount::ZERO);
    let shown = hours.text();
    if Amount::parse(&shown).is_ok_and(|a| a == hours) {
        format!("{shown} h")
    } else {
        walltime.to_string()
    }
}

/// Bytes as a site writes memory (binary units): `190GB`, `95.5GB`, `512MB`.
fn gigabytes(bytes: Amount) -> String {
    let gib = Amount::from_int(1 << 30);
    match bytes.checked_div(gib) {
        Some(g) if g >= Amount::ONE => format!("{}GB", g.text()),
        _ => format!(
            "{}MB",
            bytes
                .checked_div(Amount::from_int(1 << 20))
                .unwrap_or(Amount::ZERO)
                .text()
        ),
    }
}

#[cfg(test)]
mod tests;
