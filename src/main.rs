use clap::Parser;

fn main() {
    let cli = dask_pbs::cli::Cli::parse();
    if let Err(err) = dask_pbs::commands::run(cli) {
        eprintln!("error: {err}");
        std::process::exit(err.exit_code());
    }
}
