//! `cargo run -p echo-bot -- --api http://127.0.0.1:3000/api --username bot --password …`
//!
//! Logs in (or registers with `--register`), then answers `!ping` in every room the
//! user is in, reconnecting on its own until its session ends.

use std::process::ExitCode;

use chatcore_client::{Client, Config, RestClient};
use clap::Parser;

/// Command line, each flag also settable through the environment.
#[derive(Debug, Parser)]
#[command(name = "echo-bot", about)]
struct Cli {
    /// Where the chatcore API is mounted.
    #[arg(
        long,
        env = "ECHO_BOT_API",
        default_value = "http://127.0.0.1:3000/api"
    )]
    api: String,
    /// The bot's username.
    #[arg(long, env = "ECHO_BOT_USERNAME", default_value = "echo-bot")]
    username: String,
    /// The bot's password.
    #[arg(long, env = "ECHO_BOT_PASSWORD")]
    password: String,
    /// Register the account first (when it does not exist yet).
    #[arg(long)]
    register: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut rest = RestClient::new(&cli.api);
    let auth = if cli.register {
        rest.register(&cli.username, &cli.password).await
    } else {
        rest.login(&cli.username, &cli.password).await
    };
    let auth = match auth {
        Ok(a) => a,
        Err(e) => {
            eprintln!("echo-bot: cannot sign in as {}: {e}", cli.username);
            return ExitCode::FAILURE;
        }
    };
    let (client, events) = Client::connect(Config::new(rest.ws_url()).token(auth.token));
    let end = echo_bot::serve(client, events).await;
    eprintln!("echo-bot: stopped: {}", end.reason.unwrap_or_default());
    ExitCode::FAILURE
}
