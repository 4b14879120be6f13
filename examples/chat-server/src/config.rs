//! `--config chat.toml`: every flag from a TOML file.
//!
//! The file's keys are the long flags' names (`max-connections = 500`; `_` may stand
//! for `-`); `true` turns a switch on, a list gives a repeated flag. Precedence: the
//! command line, then the flag's environment variable, then the file, then the
//! default. The file's settings become flags placed before the command line's, so
//! clap checks them exactly as it checks typed ones.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::CommandFactory;

use crate::Cli;

/// `args` (the program name first) with the settings of the `--config` file (or
/// `CHAT_CONFIG`) inserted as flags, except those the command line or the
/// environment already set. Unchanged without a config file.
pub(crate) fn args_with_file(args: Vec<OsString>) -> Result<Vec<OsString>, String> {
    let Some(path) = config_path(&args) else {
        return Ok(args);
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
    let flags = file_flags(&text, &args, &path, |var| std::env::var_os(var).is_some())?;
    let mut out = Vec::with_capacity(args.len() + flags.len());
    let mut rest = args.into_iter();
    out.extend(rest.next());
    out.extend(flags.into_iter().map(OsString::from));
    out.extend(rest);
    Ok(out)
}

/// The `--config` value on the command line, else `CHAT_CONFIG`.
fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let a = a.to_string_lossy();
        if a == "--" {
            break;
        }
        if a == "--config" {
            return it.next().map(PathBuf::from);
        }
        if let Some(v) = a.strip_prefix("--config=") {
            return Some(PathBuf::from(v));
        }
    }
    std::env::var_os("CHAT_CONFIG")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// The flags a config file's `text` stands for, leaving out those that `args` give
/// or whose environment variable is set (`env_set`).
fn file_flags(
    text: &str,
    args: &[OsString],
    path: &Path,
    env_set: impl Fn(&str) -> bool,
) -> Result<Vec<String>, String> {
    let table: toml::Table =
        toml::from_str(text).map_err(|e| format!("{}: {e}", path.display()))?;
    let command = Cli::command();
    let typed: Vec<String> = args
        .iter()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut flags = Vec::new();
    for (key, value) in table {
        let name = key.replace('_', "-");
        let arg = command
            .get_arguments()
            .find(|a| a.get_long() == Some(name.as_str()) && name != "config")
            .ok_or_else(|| format!("{}: unknown setting {key:?}", path.display()))?;
        let long = format!("--{name}");
        let on_command_line = typed.iter().any(|t| {
            t == &long
                || t.starts_with(&format!("{long}="))
                || arg
                    .get_short()
                    .is_some_and(|s| t.starts_with(&format!("-{s}")))
        });
        let in_env = arg.get_env().is_some_and(|v| env_set(&v.to_string_lossy()));
        if on_command_line || in_env {
            continue;
        }
        let bad = || {
            format!(
                "{}: {key} must be a string, a number, true/false or a list",
                path.display()
            )
        };
        match value {
            toml::Value::Boolean(true) => flags.push(long),
            toml::Value::Boolean(false) => {}
            toml::Value::Array(items) => {
                for item in items {
                    flags.push(format!("{long}={}", scalar(&item).ok_or_else(bad)?));
                }
            }
            other => flags.push(format!("{long}={}", scalar(&other).ok_or_else(bad)?)),
        }
    }
    Ok(flags)
}

/// A string or number as a flag's value.
fn scalar(v: &toml::Value) -> Option<String> {
    match v {
        toml::Value::String(s) => Some(s.clone()),
        toml::Value::Integer(i) => Some(i.to_string()),
        toml::Value::Float(f) => Some(f.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    const EXAMPLE: &str = include_str!("../chat.example.toml");

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    /// The example file as the server reads it (no flag typed, no variable set).
    fn parse(text: &str, typed: &[&str]) -> Result<Cli, String> {
        let args = os(typed);
        let flags = file_flags(text, &args, Path::new("chat.toml"), |_| false)?;
        let mut all = vec![OsString::from("chat-server")];
        all.extend(flags.into_iter().map(OsString::from));
        all.extend(args.into_iter().skip(1));
        Cli::try_parse_from(all).map_err(|e| e.to_string())
    }

    #[test]
    fn the_example_file_parses_and_sets_what_it_says() {
        let cli = parse(EXAMPLE, &["chat-server"]).expect("the example parses");
        assert_eq!(cli.host.to_string(), "127.0.0.1");
        assert_eq!(cli.port, 3000);
        assert_eq!(cli.max_connections, 10_000);
        assert_eq!(cli.allowed_origins, ["https://chat.example.com"]);
        assert_eq!(
            cli.metrics_addr.map(|a| a.to_string()).as_deref(),
            Some("127.0.0.1:9100")
        );
        assert_eq!(cli.log_format, crate::LogFormat::Json);
        assert!(cli.secure_cookies);
        assert!(!cli.bench_limits);
    }

    #[test]
    fn the_example_file_names_every_flag() {
        for arg in Cli::command().get_arguments() {
            let Some(long) = arg.get_long() else { continue };
            if matches!(long, "config" | "help" | "version") {
                continue;
            }
            assert!(
                EXAMPLE.contains(&format!("\n{long} ="))
                    || EXAMPLE.contains(&format!("# {long} =")),
                "chat.example.toml does not mention --{long}"
            );
        }
    }

    #[test]
    fn the_command_line_wins_over_the_file() {
        let file = "port = 4000\nmax-connections = 5\nsecure_cookies = true\n";
        let cli = parse(
            file,
            &["chat-server", "--port", "5000", "--max-connections=7"],
        )
        .unwrap();
        assert_eq!((cli.port, cli.max_connections), (5000, 7));
        assert!(cli.secure_cookies);
        let cli = parse(file, &["chat-server", "-p", "6000"]).unwrap();
        assert_eq!(cli.port, 6000);
    }

    #[test]
    fn the_environment_wins_over_the_file() {
        let flags = file_flags(
            "port = 4000\nhost = \"0.0.0.0\"\n",
            &os(&["chat-server"]),
            Path::new("c.toml"),
            |var| var == "CHAT_PORT",
        )
        .unwrap();
        assert_eq!(flags, ["--host=0.0.0.0"]);
    }

    #[test]
    fn bad_files_are_readable_errors() {
        let err = parse("prot = 1\n", &["chat-server"]).err().unwrap();
        assert!(err.contains("unknown setting \"prot\""), "{err}");
        let err = parse("port = [\"x\", {a = 1}]\n", &["chat-server"])
            .err()
            .unwrap();
        assert!(err.contains("port must be"), "{err}");
        let err = parse("port = \n", &["chat-server"]).err().unwrap();
        assert!(err.starts_with("chat.toml:"), "{err}");
        let err = parse("port = 70000\n", &["chat-server"]).err().unwrap();
        assert!(err.contains("70000"), "{err}");
    }

    #[test]
    fn the_config_path_comes_from_the_command_line() {
        assert_eq!(
            config_path(&os(&["x", "--port", "1", "--config", "a.toml"])),
            Some(PathBuf::from("a.toml"))
        );
        assert_eq!(
            config_path(&os(&["x", "--config=b.toml"])),
            Some(PathBuf::from("b.toml"))
        );
    }
}
