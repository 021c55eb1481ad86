//! `connect-apps man` and `connect-apps completions`: manual pages and shell completions, both
//! generated from the same clap definitions as `--help`.
//!
//! Two things the generators get wrong are put right here: clap_mangen reflows the
//! pre-formatted text after the options (the variables and exit codes come out as joined lines,
//! hyphenated mid-word), so that text is written as roff here, tables in no-fill blocks; and
//! clap_complete names the bash completion's states for a hyphenated binary in two ways
//! (clap-rs/clap#6421), so nothing after the first word completes.

use std::io::{self, Write};
use std::path::Path;

use clap::{Command, CommandFactory};
use clap_mangen::Man;
use roff::{Roff, bold, roman};

use crate::args::Cli;
use crate::failure::Failure;

/// The program's name, as installed.
const BIN: &str = "connect-apps";

/// Every page: the program's own, then one per subcommand (`connect-apps-audit(1)`, …).
fn commands() -> Vec<Command> {
    let mut top = Cli::command().disable_help_subcommand(true);
    top.build();
    let mut pages = vec![top.clone()];
    pages.extend(top.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
    pages
}

/// The page's file name: `connect-apps.1`, `connect-apps-audit.1`.
fn file_name(cmd: &Command) -> String {
    format!("{}.1", page_name(cmd))
}

fn page_name(cmd: &Command) -> String {
    match cmd.get_display_name() {
        Some(name) => name.to_owned(),
        None => cmd.get_name().to_owned(),
    }
}

/// `connect-apps man [SUBCOMMAND] [--dir DIR]`: one page on stdout, or every page into a folder.
pub(crate) fn man(subcommand: Option<&str>, dir: Option<&Path>) -> Result<(), Failure> {
    let pages = commands();
    if let Some(dir) = dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::Usage(format!("--dir {}: {e}", dir.display())))?;
        for cmd in &pages {
            let path = dir.join(file_name(cmd));
            let mut file = std::fs::File::create(&path)
                .map_err(|e| Failure::Usage(format!("--dir: {}: {e}", path.display())))?;
            render(cmd, &mut file)?;
            file.flush()?;
        }
        return Ok(());
    }
    let wanted = match subcommand {
        None => BIN.to_owned(),
        Some(sub) => format!("{BIN}-{sub}"),
    };
    let Some(cmd) = pages.iter().find(|c| page_name(c) == wanted) else {
        let names: Vec<&str> = pages.iter().skip(1).map(|c| c.get_name()).collect();
        return Err(Failure::Usage(format!(
            "no manual page for `{}`: the subcommands are {}",
            subcommand.unwrap_or_default(),
            names.join(", ")
        )));
    };
    let mut out = io::stdout().lock();
    render(cmd, &mut out)?;
    Ok(out.flush()?)
}

/// One page: clap_mangen's sections, with the text after the options written as roff.
fn render(cmd: &Command, w: &mut dyn Write) -> io::Result<()> {
    let man = Man::new(cmd.clone()).manual("connect-apps manual");
    man.render_title(w)?;
    man.render_name_section(w)?;
    man.render_synopsis_section(w)?;
    man.render_description_section(w)?;
    man.render_options_section(w)?;
    if cmd.has_subcommands() {
        man.render_subcommands_section(w)?;
    }
    if let Some(text) = cmd.get_after_long_help() {
        w.write_all(extra(&text.to_string()).to_roff().as_bytes())?;
    }
    if page_name(cmd) != BIN {
        let mut see = Roff::new();
        see.control("SH", ["SEE ALSO"]);
        see.text([
            bold(BIN),
            roman("(1), for the credentials, variables and exit codes"),
        ]);
        w.write_all(see.to_roff().as_bytes())?;
    }
    // Not clap_mangen's VERSION section: it reads the version of the page's own command, and a
    // subcommand has none of its own.
    let mut version = Roff::new();
    version.control("SH", ["VERSION"]);
    version.text([roman(crate::VERSION)]);
    w.write_all(version.to_roff().as_bytes())
}

/// The long help's closing text as sections: a paragraph that opens with `Exit codes:` is EXIT
/// STATUS, one that names variables is ENVIRONMENT, the rest NOTES. A paragraph with indented
/// lines is a table, kept line for line (no fill, no hyphenation); prose is filled.
fn extra(text: &str) -> Roff {
    let mut roff = Roff::new();
    let mut section = "";
    for paragraph in text.split("\n\n") {
        let title = if paragraph.starts_with("Exit codes:") {
            "EXIT STATUS"
        } else if paragraph.starts_with("Credentials") || paragraph.contains("\nOther variables") {
            "ENVIRONMENT"
        } else {
            "NOTES"
        };
        if title != section {
            roff.control("SH", [title]);
            section = title;
        } else {
            roff.control("PP", []);
        }
        if paragraph.lines().skip(1).any(|l| l.starts_with("  ")) {
            roff.control("nf", []);
            for line in paragraph.lines() {
                roff.text([roman(line)]);
            }
            roff.control("fi", []);
        } else {
            roff.text([roman(paragraph.replace('\n', " "))]);
        }
    }
    roff
}

/// `connect-apps completions SHELL`: the script, with bash's state names made to agree.
pub(crate) fn completions(shell: clap_complete::Shell, w: &mut dyn Write) -> io::Result<()> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, BIN, &mut script);
    if shell == clap_complete::Shell::Bash {
        // clap_complete 4.6 escapes the `-` of the binary's name in the states it sets
        // (`connect__apps__subcmd__audit`) but not in the `case` arms that read them
        // (`connect__subcmd__apps__subcmd__audit`): clap-rs/clap#6421. The arms are renamed to
        // the states, so every subcommand's options complete; a fixed generator leaves nothing
        // to rename.
        let fixed =
            String::from_utf8_lossy(&script).replace("connect__subcmd__apps", "connect__apps");
        script = fixed.into_bytes();
    }
    w.write_all(&script)?;
    w.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_subcommand_has_a_page_and_the_exit_codes_keep_their_lines() {
        let pages = commands();
        let names: Vec<String> = pages.iter().map(file_name).collect();
        assert_eq!(
            names,
            [
                "connect-apps.1",
                "connect-apps-list.1",
                "connect-apps-fetch.1",
                "connect-apps-audit.1",
                "connect-apps-completions.1",
                "connect-apps-man.1"
            ]
        );
        let mut top = Vec::new();
        render(&pages[0], &mut top).unwrap();
        let top = String::from_utf8(top).unwrap();
        assert!(top.contains(".SH ENVIRONMENT\n"), "{top}");
        assert!(top.contains(".SH \"EXIT STATUS\"\n.nf\n"), "{top}");
        // The exit codes stay one per line, in a no-fill block.
        assert!(top.contains("\n  0  success\n"), "{top}");
        assert!(top.contains("\n  2  a usage error"), "{top}");
    }
}
