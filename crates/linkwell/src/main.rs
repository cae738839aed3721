//! `linkwell`: the command-line front of the Linkwell libraries. It parses
//! arguments, loads configuration and calls library functions; it holds no
//! detection or parsing logic of its own.

mod cli;
mod cmd;
mod config;
mod progress;
mod terminal;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cmd::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
