//! The built-in rules against the sites' own worked examples, to the digit, and the edge
//! cases: memory-bound jobs, routing tiers, shared-node queues, priorities.

use super::*;
use crate::profile::validate::testing::builtin_profile;

fn known(p: &Profile) -> Estimate {
    match estimate(p) {
        Ok(Charge::Known(e)) => e,
        other => panic!("no charge for {}: {other:?}", p.name),
    }
}

/// The most the job charges, as printed.
fn most(p: &Profile) -> String {
    known(p).at_most.text()
}

fn walltime(text: &str) -> Walltime {
    text.parse().unwrap()
}

/// Gadi's normal queue asked for job-wide `ncpus` and `mem` for `hours`.
fn gadi(queue: &str, ncpus: &str, mem: &str, hours: &str) -> Profile {
    let mut p = builtin_profile(if queue == "gpuvolta" {
        "gadi-gpu"
    } else {
        "gadi"
    });
    if queue == "express" {
        // NCI's express queue, as a user profile would add it.
        let normal = p.system.queues["normal"].clone();
        p.system.queues.insert("express".into(), normal);
    }
    p.job.queue = Some(queue.into());
    p.job.resources.insert("ncpus".into(), ncpus.into());
    p.job.resources.insert("mem".into(), mem.into());
    if queue == "gpuvolta" {
        p.job.resources.insert("ngpus".into(), "1".into());
    }
    p.job.walltime = walltime(hours);
    p
}

#[test]
fn nci_job_costs_table_to_the_digit() {
    // opus.nci.org.au "Job Costs" (pageId=236880942): every row of its table.
    assert_eq!(most(&gadi("normal", "4", "16GB", "05:00:00")), "40");
    assert_eq!(most(&gadi("normal", "8", "16GB", "05:00:00")), "80");
    assert_eq!(most(&gadi("normal", "8", "128GB", "05:00:00")), "320");
    assert_eq!(most(&gadi("normal", "8", "192GB", "05:00:00")), "480");
    assert_eq!(most(&gadi("express", "8", "16GB", "05:00:00")), "240");
    assert_eq!(most(&gadi("gpuvolta", "12", "90GB", "05:00:00")), "180");
    // 12 × max[1, (48/382) × (380/12)] × 5 × 3 = 716.23 SU (rounded)
    let memory_bound = known(&gadi("gpuvolta", "12", "380GB", "05:00:00"));
    assert_eq!(memory_bound.at_most.text(), "716.23");
    assert_eq!(
        memory_bound.at_most,
        Amount::ratio(380 * 48 * 5 * 3, 382).unwrap(),
        "exact, not a float"
    );
}

#[test]
fn the_issues_gadi_example_and_its_line() {
    // A whole normal node: 48 cores, 190GB = 47.5 cores' share of 4 GiB, below the cores.
    let e = known(&builtin_profile("gadi"));
    assert_eq!(
        e.line(),
        "charge: at most 96 SU (48 cores × 2 SU × 1 h; memory 190GB = 47.5 cores' share, not more); 96 SU per hour held; the most is reserved from the allocation until the job ends"
    );
    assert!(e.warnings.is_empty(), "{:?}", e.warnings);
}

#[test]
fn a_memory_bound_job_is_warned_with_the_memory_that_would_cost_only_its_cores() {
    let e = known(&gadi("normal", "8", "128GB", "05:00:00"));
    assert!(
        e.basis.starts_with(
            "32 cores' share of memory 128GB × 2 SU × 5 h; more than the 8 cores asked"
        ),
        "{}",
        e.basis
    );
    assert_eq!(e.warnings.len(), 1, "{:?}", e.warnings);
    assert!(
        e.warnings[0].contains("64 SU an hour instead of 16; ask for at most 32GB (4GB a core)"),
        "{}",
        e.warnings[0]
    );
    let gpu = known(&gadi("gpuvolta", "12", "380GB", "05:00:00"));
    assert!(
        gpu.warnings[0].contains("ask for at most 95.5GB (7.96GB a core)"),
        "{}",
        gpu.warnings[0]
    );
}

/// Derecho as a CPU-node profile: 128 cores, no GPUs, CPU workers.
fn derecho_cpu(select: u32, ncpus: &str) -> Profile {
    let mut p = builtin_profile("derecho");
    p.system.cpus_per_node = 128;
    p.system.gpus_per_node = 0;
    p.dask.worker = WorkerKind::Cpu;
    p.job.select = select;
    for key in ["ngpus", "gpu_type", "mem", "mpiprocs"] {
        p.job.resources.shift_remove(key);
    }
    p.job.resources.insert("ncpus".into(), ncpus.into());
    p
}

#[test]
fn ncar_derecho_examples_charge_whole_nodes() {
    // NCAR/HPC-Docs docs/pbs/charging.md: select=2:ncpus=128 → 256 cores; select=4:ncpus=128
    // → 512; select=2 under-subscribed → still 256; one CPU node for 1 hour → 128 core-hours.
    assert_eq!(most(&derecho_cpu(2, "128")), "256");
    assert_eq!(most(&derecho_cpu(4, "128")), "512");
    assert_eq!(most(&derecho_cpu(1, "128")), "128");
    let under = known(&derecho_cpu(2, "64"));
    assert_eq!(under.at_most.text(), "256");
    assert_eq!(under.unit, "core-hours");
    assert!(
        under.warnings[0]
            .contains("all 128 cores of each of its 2 node(s), 256 in all, though it asks for 128"),
        "{:?}",
        under.warnings
    );
}

#[test]
fn ncar_gpu_jobs_charge_gpu_hours_times_the_priority_factor() {
    let mut p = builtin_profile("derecho");
    let e = known(&p);
    assert_eq!(
        (e.at_most.text(), e.unit.as_str()),
        ("4".into(), "GPU-hours")
    );
    assert_eq!(e.basis, "1 node × 4 GPUs × 1 (job_priority=regular) × 1 h");
    p.job.select = 2;
    p.job.walltime = walltime("02:00:00");
    p.job.directives = vec!["-l job_priority=premium".into()];
    assert_eq!(most(&p), "24");
    p.job.directives = vec!["-l job_priority=economy,place=scatter".into()];
    assert_eq!(most(&p), "11.2");
    // preempt's own factor replaces the priority's.
    p.job.queue = Some("preempt".into());
    assert_eq!(most(&p), "3.2");
    p.job.queue = Some("main".into());
    p.job.directives = vec!["-l job_priority=urgent".into()];
    let refusal = estimate(&p).unwrap_err();
    assert_eq!(refusal.key, "job.directives");
    assert!(
        refusal
            .message
            .contains("job_priority=urgent is not a priority"),
        "{}",
        refusal.message
    );
    assert!(refusal.message.contains("premium, regular, economy"));
}

#[test]
fn shared_node_queues_charge_what_is_asked() {
    // Derecho develop: shared, 2 GPUs asked → 2 GPU-hours; on main the node's 4 are charged.
    let mut p = builtin_profile("derecho");
    p.job.resources.insert("ngpus".into(), "2".into());
    p.job.resources.insert("mpiprocs".into(), "2".into());
    assert_eq!(most(&p), "4");
    assert!(known(&p).warnings[0].contains("all 4 GPUs of each of its 1 node(s)"));
    p.job.queue = Some("develop".into());
    assert_eq!(most(&p), "2");
    // As NCAR writes develop's formula: hours × GPUs asked, no priority factor.
    p.job.directives = vec!["-l job_priority=premium".into()];
    assert_eq!(known(&p).basis, "2 GPUs × 1 h");
    // Casper: every job shared; GPUs asked → GPU-hours, none → core-hours.
    let mut casper = builtin_profile("casper");
    let e = known(&casper);
    assert_eq!(
        (e.at_most.text(), e.unit.as_str()),
        ("4".into(), "GPU-hours")
    );
    casper.dask.worker = WorkerKind::Cpu;
    casper.job.resources.shift_remove("ngpus");
    casper.job.walltime = walltime("03:00:00");
    let e = known(&casper);
    assert_eq!(
        (e.at_most.text(), e.unit.as_str()),
        ("24".into(), "core-hours")
    );
}

#[test]
fn cpu_workers_on_gpus_they_pay_for_are_warned_with_the_cheaper_request() {
    let mut p = builtin_profile("casper");
    p.dask.worker = WorkerKind::Cpu;
    let e = known(&p);
    assert_eq!(e.unit, "GPU-hours");
    let warning = e
        .warnings
        .iter()
        .find(|w| w.contains("CPU workers"))
        .unwrap();
    assert!(
        warning.contains("charged for 4 GPUs: 4 GPU-hours an hour for GPUs it does not use; without ngpus in job.resources it would be charged 8 core-hours an hour instead"),
        "{warning}"
    );
}

#[test]
fn polaris_charges_node_hours_on_every_tier_of_its_routing_queue() {
    let mut p = builtin_profile("polaris");
    assert_eq!(most(&p), "0.5");
    p.job.queue = Some("prod".into());
    p.job.select = 10;
    p.job.walltime = walltime("03:00:00");
    assert_eq!(most(&p), "30");
    // A rule that prices the tiers apart: the row the job is routed to picks the rate.
    let mut charging = p.system.charging.clone().unwrap();
    charging.rates = vec![
        Rate {
            queues: vec!["large".into()],
            ..charging.rates[0].clone()
        },
        Rate {
            queues: vec!["small".into()],
            rate: Amount::parse("0.5").unwrap(),
            ..charging.rates[0].clone()
        },
    ];
    p.system.charging = Some(charging);
    assert_eq!(most(&p), "15");
    p.job.select = 100;
    assert_eq!(most(&p), "300");
    p.job.select = 30;
    match estimate(&p) {
        Ok(Charge::Unmatched(why)) => {
            assert!(why.contains("queue prod, routed to medium"), "{why}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn nas_sbus_are_nodes_times_hours_times_the_models_factor() {
    // hec.nasa.gov "Standard Billing Units": SBUs = nodes × wall-clock hours × the node
    // model's conversion factor. The factors themselves are the user's to fill in
    // (docs/costs.md); 1.5 here is only a number to multiply.
    let mut p = builtin_profile("pleiades");
    assert_eq!(estimate(&p), Ok(Charge::Unknown));
    p.system.charging = Some(Charging {
        unit: "SBU".into(),
        source: None,
        reserves_walltime: false,
        priority: None,
        rates: vec![Rate {
            queues: Vec::new(),
            node_types: vec!["cas_ait".into()],
            asks_gpus: None,
            per: Counted::Nodes,
            whole_nodes: false,
            rate: Amount::parse("1.5").unwrap(),
            memory_per_node: None,
            factor: None,
            unit: None,
        }],
    });
    p.job.select = 10;
    p.job.walltime = walltime("02:00:00");
    assert_eq!(p.job.node_type.as_deref(), Some("cas_ait"));
    assert_eq!(most(&p), "30");
    p.job.node_type = Some("rom_ait".into());
    assert!(
        matches!(estimate(&p), Ok(Charge::Unmatched(why)) if why.contains("node type rom_ait"))
    );
}

#[test]
fn the_script_gets_the_rate_in_millionths_and_sites_without_a_rule_nothing() {
    let gpu = gadi("gpuvolta", "12", "380GB", "05:00:00");
    let script = for_script(&gpu).unwrap();
    assert_eq!(
        (script.per_hour.as_str(), script.unit.as_str()),
        ("143.25", "SU")
    );
    assert_eq!(script.per_hour_millionths, 143_246_073);
    assert_eq!(for_script(&builtin_profile("sophia")), None);
}

#[test]
fn a_priority_in_job_resources_counts_and_hours_that_need_rounding_show_the_walltime() {
    let mut p = builtin_profile("derecho");
    p.job
        .resources
        .insert("job_priority".into(), "premium".into());
    p.job.walltime = walltime("00:20:00");
    let e = known(&p);
    assert_eq!(e.at_most.text(), "2");
    assert!(
        e.basis.ends_with("× 1.5 (job_priority=premium) × 00:20:00"),
        "{}",
        e.basis
    );
}
