//! `rapids:` — the release the `conda` artifact installs, checked against the RAPIDS
//! support table.

use super::words::{blank_problem, text_problem};
use super::{Problems, take};
use crate::profile::layer::RapidsLayer;
use crate::profile::model::Rapids;
use crate::rapids;

pub(super) fn resolve(layer: &RapidsLayer, p: &mut Problems) -> Option<Rapids> {
    let RapidsLayer {
        version,
        python,
        cuda,
        channels,
        jupyter,
    } = layer;
    let k = RapidsLayer::KEYS;
    let version = take(version, k.version, p);
    let python = take(python, k.python, p);
    let cuda = take(cuda, k.cuda, p);
    if let (Some(version), Some(python), Some(cuda)) = (&version, &python, &cuda)
        && let Err(message) = rapids::check(version, python, cuda)
    {
        // One rule on three keys: named after the section, located at the version.
        p.at_as(message.code(), "rapids", k.version, message.to_string());
    }
    let channels = take(channels, k.channels, p);
    for found in channels
        .iter()
        .flatten()
        .filter_map(|c| text_problem(c).or_else(|| blank_problem(c)))
    {
        p.add(k.channels, found);
    }
    let jupyter = take(jupyter, k.jupyter, p);
    Some(Rapids {
        version: version?,
        python: python?,
        cuda: cuda?,
        channels: channels?,
        jupyter: jupyter?,
    })
}
