//! Rules on sizes against the hardware: what a worker may use of one GPU and of the node.

use super::Problems;
use crate::profile::layer::DaskLayer;
use crate::profile::model::Profile;
use crate::size::{self, Size};

pub(super) fn check(profile: &Profile, p: &mut Problems) {
    let k = DaskLayer::KEYS;
    for (key, text) in [
        (k.device_memory_limit, &profile.dask.device_memory_limit),
        (k.rmm_pool_size, &profile.dask.rmm_pool_size),
        (k.memory_limit, &profile.dask.memory_limit),
    ] {
        if let Some(message) = text.as_deref().and_then(too_small) {
            p.at(key, message);
        }
    }
    let Some(gpu) = profile.system.gpu_memory.as_deref() else {
        return;
    };
    for (key, text) in [
        (k.device_memory_limit, &profile.dask.device_memory_limit),
        (k.rmm_pool_size, &profile.dask.rmm_pool_size),
    ] {
        if let Some(message) = text.as_deref().and_then(|t| over_gpu(t, gpu)) {
            p.at(key, message);
        }
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
            "`{text}` is {bytes} bytes, too little for a worker (Dask reads a number without a unit as bytes); give the unit, e.g. `{}GB`, or a fraction like 0.8",
            text.trim()
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

    #[test]
    fn a_number_without_its_unit_is_refused() {
        assert!(too_small("80").unwrap().contains("`80GB`"));
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
