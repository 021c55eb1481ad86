//! `connect-apps`: list and audit the Connect Apps authorized on a Twilio account.
//!
//! `connect-apps --help` says everything: the commands, every flag, the credential variables,
//! when the built-in emulator is used, and the exit codes.

mod args;
mod audit;
mod failure;
mod fetch;
mod list;
mod manual;
mod output;
mod progress;
mod reading;
mod resume;
mod setup;
mod sink;
mod transport;

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, ColorChoice, Command};
use crate::failure::Failure;
use crate::output::Style;

#[cfg(feature = "emulator")]
macro_rules! emulator_built_in {
    () => {
        "yes"
    };
}
#[cfg(not(feature = "emulator"))]
macro_rules! emulator_built_in {
    () => {
        "no"
    };
}

/// What `--version` says: the version, the commit it was built from, and what is compiled in.
pub(crate) const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("CONNECT_APPS_COMMIT"),
    "; transports: ureq 3, hyper 1; built-in emulator: ",
    emulator_built_in!(),
    ")"
);

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

fn twilio_vars_set() -> Vec<String> {
    let mut names: Vec<String> = std::env::vars_os()
        .filter_map(|(k, _)| k.into_string().ok())
        .filter(|k| k.starts_with("TWILIO_"))
        .collect();
    names.sort();
    names
}

fn run(
    cli: &Cli,
    argv: &[String],
    counts: Option<std::sync::Arc<progress::Counts>>,
    style: &Style,
) -> Result<(), Failure> {
    match &cli.command {
        Command::Completions { shell } => {
            return Ok(manual::completions(*shell, &mut io::stdout().lock())?);
        }
        Command::Man { subcommand, dir } => {
            return manual::man(subcommand.as_deref(), dir.as_deref());
        }
        _ => {}
    }
    check_paths(&cli.command)?;
    let setup = setup::setup(&cli.connection, env, &twilio_vars_set(), cli.quiet)?;
    match &cli.command {
        Command::List(args) => list::list(&setup, args, argv, counts, style),
        Command::Fetch(args) => fetch::fetch(&setup, args, style),
        Command::Audit(args) => audit::audit(&setup, args, argv, counts, style),
        Command::Completions { .. } | Command::Man { .. } => Ok(()),
    }
}

/// The files a command writes and reads, checked before anything is sent (exit 2).
fn check_paths(command: &Command) -> Result<(), Failure> {
    fn one<'a>(option: &'a str, path: &'a Option<PathBuf>) -> Option<(&'a str, &'a Path)> {
        path.as_deref().map(|p| (option, p))
    }
    let (outputs, inputs): (Vec<_>, Vec<_>) = match command {
        Command::List(a) => (vec![one("--output", &a.output.output)], vec![]),
        Command::Fetch(a) => (vec![one("--output", &a.output.output)], vec![]),
        Command::Audit(a) => (
            vec![one("--output", &a.output), one("--snapshot", &a.snapshot)],
            vec![one("--baseline", &a.baseline), one("--policy", &a.policy)],
        ),
        Command::Completions { .. } | Command::Man { .. } => (vec![], vec![]),
    };
    let outputs: Vec<_> = outputs.into_iter().flatten().collect();
    let inputs: Vec<_> = inputs.into_iter().flatten().collect();
    sink::check_paths(&outputs, &inputs, &[("--snapshot", "--baseline")]).map_err(Failure::Usage)
}

/// Says on stderr why the program stops (nothing for a closed stdout).
fn report(failure: &Failure) {
    let go_on = |line: &Option<String>| {
        if let Some(line) = line {
            eprintln!("connect-apps: to go on from where it stopped, run: {line}");
        }
    };
    match failure {
        Failure::Closed => {}
        Failure::Usage(e) => eprintln!("error: {e}"),
        Failure::Run { line, resume } => {
            eprintln!("error: {line}");
            go_on(resume);
        }
        Failure::Output(e) => eprintln!("error: writing the output: {e}"),
        Failure::Findings(message) => {
            if !message.is_empty() {
                eprintln!("connect-apps: {message}");
            }
        }
        Failure::Partial { resume } => go_on(resume),
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    let cli = Cli::parse();
    // NO_COLOR (any non-empty value) turns colour off unless --color always asks for it.
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = |terminal: bool| match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && !no_color,
    };
    let style = Style {
        color: color(io::stdout().is_terminal()),
        quiet: cli.quiet,
    };
    let counts = progress::init(cli.verbose, cli.quiet, color(io::stderr().is_terminal()));
    match run(&cli, &argv, counts, &style) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            report(&failure);
            ExitCode::from(failure.code())
        }
    }
}
