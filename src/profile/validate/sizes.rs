//! Rules on sizes against the hardware: what a worker may use of one GPU and of the node.

use super::Problems;
use crate::error::Code;
use crate::plan::{Plan, held_memory};
use crate::profile::layer::DaskLayer;
use crate::profile::model::Profile;
use crate::size::{self, Binary, Size};

pub(super) fn check(profile: &Profile, p: &mut Problems) {
    let k = DaskLayer::KEYS;
    for (key, text, zero) in [
        (
            k.device_memory_limit,
            &profile.dask.device_memory_limit,
            Some("turns spilling from GPU memory off"),
        ),
        (k.rmm_pool_size, &profile.dask.rmm_pool_size, None),
        (
            k.memory_limit,
            &profile.dask.memory_limit,
            Some(
                "turns the workers' memory limit off: no spilling, pausing or restart before the node runs out of memory",
            ),
        ),
    ] {
        match (text.as_deref(), zero) {
            // Dask reads 0 as "no limit": legitimate, and worth saying.
            (Some(t), Some(what)) if is_zero(t) => {
                p.note(format!("{key} {t} {what}"));
            }
            (Some(t), _) => {
                if let Some(message) = too_small(t) {
                    p.at(Code::SizeTooSmall, key, message);
                }
            }
            (None, _) => {}
        }
    }
    let queue = profile.job.queue.as_ref();
    if queue.is_none_or(|name| profile.system.queues.contains_key(name)) {
        // The workers per node (`Plan`) need a known queue, or none named.
        host_memory(profile, p);
    }
    let Some(gpu) = profile.system.gpu_memory.as_deref() else {
        return;
    };
    for (key, text) in [
        (k.device_memory_limit, &profile.dask.device_memory_limit),
        (k.rmm_pool_size, &profile.dask.rmm_pool_size),
    ] {
        if let Some(message) = text.as_deref().and_then(|t| over_gpu(t, gpu)) {
            p.at(Code::OverGpuMemory, key, message);
        }
    }
}

fn is_zero(text: &str) -> bool {
    matches!(Size::parse(text, true), Ok(Size::Bytes(0)))
}

/// The host memory the workers of one node may use (`dask.memory_limit` per worker), against
/// the node: more than the node has can never fit and is refused; more than the part the job
/// holds (its `mem=`, its GPUs' share of a node it shares) is warned about, since PBS or the
/// node's other jobs may take it first.
fn host_memory(profile: &Profile, p: &mut Problems) {
    let Some(text) = profile.dask.memory_limit.as_deref() else {
        return;
    };
    let workers = u64::from(Plan::new(profile).workers_per_node);
    let key = DaskLayer::KEYS.memory_limit;
    match Size::parse(text, true) {
        // Dask reads a fraction as of the memory the worker process sees: the whole node,
        // or what PBS confines the job to.
        Ok(Size::Fraction(f)) if f * workers as f64 > 1.0 => p.at(Code::MemoryFractionOver,
            key,
            format!(
                "`{text}` × {workers} workers per node is {:.2} of the memory each worker sees, more than all of it; use at most {:.2} (1/{workers}), or null for each worker's share",
                f * workers as f64,
                1.0 / workers as f64
            ),
        ),
        Ok(Size::Bytes(bytes)) => bytes_against_node(profile, text, bytes, workers, p),
        _ => {}
    }
}

fn bytes_against_node(profile: &Profile, text: &str, bytes: u64, workers: u64, p: &mut Problems) {
    let total = bytes.saturating_mul(workers);
    let node = profile
        .system
        .memory_per_node
        .as_deref()
        .and_then(|m| Some((m, size::hardware_bytes(m).ok()?)));
    if let Some((written, node_bytes)) = node
        && total > node_bytes
    {
        p.at(Code::MemoryOverNode,
            DaskLayer::KEYS.memory_limit,
            format!(
                "`{text}` × {workers} workers per node is {total} bytes, more than the node has: its memory `{written}` (system.memory_per_node, or its node type's memory) is {node_bytes} bytes, read in binary units; use at most {} per worker, or null for each worker's share",
                Binary(node_bytes / workers.max(1))
            ),
        );
        return;
    }
    if let Some(held) = held_memory(profile).filter(|held| total > *held) {
        p.note(format!(
            "dask.memory_limit {text} × {workers} workers per node is more than the node's host memory the job holds ({held} bytes); a worker may be killed before it spills"
        ));
    }
}

/// Under a mebibyte no worker can run: a number written without its unit (`80` meant as GB)
/// is read by Dask as bytes.
const SMALLEST: u64 = 1 << 20;

fn too_small(text: &str) -> Option<String> {
    let Ok(Size::Bytes(bytes)) = Size::parse(text, true) else {
        return None;
    };
    (bytes < SMALLEST).then(|| {
        format!(
            "`{text}` is {bytes} bytes, too little for a worker (Dask reads a number without a unit as bytes); give the unit, e.g. `{}{}`, or a fraction like 0.8",
            text.trim(),
            if bytes >= 1000 { "MB" } else { "GB" }
        )
    })
}

/// A size in bytes above one GPU's memory; fractions and `auto` always fit.
fn over_gpu(text: &str, gpu_memory: &str) -> Option<String> {
    let Ok(Size::Bytes(wanted)) = Size::parse(text, true) else {
        return None;
    };
    let gpu = size::hardware_bytes(gpu_memory).ok()?;
    (wanted > gpu).then(|| {
        format!(
            "`{text}` is {wanted} bytes, more than one GPU has: system.gpu_memory `{gpu_memory}` is {gpu} bytes (read in binary units, as the vendor means them); use at most that, or a fraction like 0.9"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::layer::Layer;
    use crate::profile::validate::testing::{pbs_cpu, sophia};

    /// The (problems, notes) of `host_memory` on `profile`.
    fn host(profile: &Profile) -> (Vec<String>, Vec<String>) {
        let layer = Layer::default();
        let mut p = Problems::new(&layer);
        host_memory(profile, &mut p);
        let found = p.found.iter().map(|f| f.message.clone()).collect();
        (found, p.notes)
    }

    #[test]
    fn host_memory_over_the_node_is_refused_over_the_jobs_part_warned() {
        // Sophia by-gpu, 2 of a DGX's 8 GPUs: the job holds 2/8 of 1 TiB.
        let mut gpu = sophia();
        gpu.dask.memory_limit = Some("128GiB".into());
        assert_eq!(host(&gpu), (vec![], vec![]));
        gpu.dask.memory_limit = Some("200GB".into());
        let (found, notes) = host(&gpu);
        assert!(found.is_empty() && notes.len() == 1, "{notes:?}");
        gpu.dask.memory_limit = Some("600GB".into());
        let (found, _) = host(&gpu);
        assert!(
            found[0].contains("× 2 workers per node is 1200000000000 bytes, more than the node has: its memory `1TB`"),
            "{found:?}"
        );
        let mut cpu = pbs_cpu();
        cpu.dask.workers_per_node = Some(4);
        cpu.dask.memory_limit = Some("0.25".into());
        assert_eq!(host(&cpu), (vec![], vec![]));
        cpu.dask.memory_limit = Some("0.5".into());
        assert!(host(&cpu).0[0].contains("is 2.00 of the memory each worker sees"));
        // An unknown node: bytes cannot be held against it.
        cpu.dask.memory_limit = Some("100GB".into());
        assert_eq!(host(&cpu), (vec![], vec![]));
        cpu.system.memory_per_node = Some("256GB".into());
        assert!(host(&cpu).0[0].contains("use at most 64GiB per worker"));
    }

    #[test]
    fn a_number_without_its_unit_is_refused() {
        assert!(too_small("80").unwrap().contains("`80GB`"));
        assert!(
            too_small("40000").unwrap().contains("`40000MB`"),
            "MB meant"
        );
        assert!(too_small("1048575").is_some());
        assert!(too_small("1048576").is_none());
        assert!(too_small("1MiB").is_none());
        assert!(too_small("0.8").is_none(), "a fraction");
        assert!(too_small("auto").is_none());
    }

    #[test]
    fn a_size_above_the_gpu_is_refused_and_the_guides_40gb_fits() {
        assert!(over_gpu("40GB", "40GB").is_none(), "40e9 < 40 GiB");
        assert!(over_gpu("40GiB", "40GB").is_none());
        assert!(over_gpu("41GiB", "40GB").is_some());
        let message = over_gpu("80GB", "40GB").unwrap();
        assert!(message.contains("80000000000 bytes"), "{message}");
        assert!(message.contains("42949672960 bytes"), "{message}");
        assert!(over_gpu("0.95", "40GB").is_none());
        assert!(over_gpu("auto", "40GB").is_none());
    }
}
