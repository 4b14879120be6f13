//! The operator's subcommands: `chat-server [store flags] admin grant|revoke|list`.
//!
//! They open the same store as the server (the `--data-dir`, `--database-url` or
//! `--memory` flags before the subcommand) and run beside a running server: site
//! administration is only ever granted from here, never through the API.

use chatcore::Chat;

use crate::Fatal;
use crate::store::{StoreConfig, open};

/// A subcommand instead of serving.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum Command {
    /// Site administrators (they may suspend accounts, delete any room, see every
    /// room's members and the audit log).
    Admin {
        #[command(subcommand)]
        action: AdminCommand,
    },
    /// Copy the SQLite database to a new file while the server runs (a consistent
    /// snapshot; see docs/OPERATIONS.md for PostgreSQL and the files).
    Backup {
        /// The new file (must not exist).
        #[arg(long)]
        to: std::path::PathBuf,
    },
}

/// `chat-server admin …`.
#[derive(Debug, clap::Subcommand)]
pub(crate) enum AdminCommand {
    /// Make a user a site administrator.
    Grant {
        /// The username.
        username: String,
    },
    /// Take site administration from a user.
    Revoke {
        /// The username.
        username: String,
    },
    /// List the site administrators.
    List,
}

/// Run a subcommand against the configured store; what it did goes to stdout.
pub(crate) async fn run(command: Command, store: &StoreConfig) -> Result<(), Fatal> {
    let action = match command {
        Command::Admin { action } => action,
        Command::Backup { to } => return crate::backup::run(store, &to).await,
    };
    let opened = open(store).await?;
    let chat = Chat::new(opened.store);
    let failed = |what: &str, e: chatcore::Error| match e {
        chatcore::Error::NotFound(_) => Fatal {
            context: format!("{what}: no such user"),
            source: None,
        },
        other => Fatal::new(what.to_owned(), other),
    };
    match action {
        AdminCommand::Grant { username } => {
            let changed = chat
                .grant_site_admin(&username)
                .await
                .map_err(|e| failed(&format!("cannot grant {username}"), e))?;
            if changed {
                println!("{username} is now a site administrator");
            } else {
                println!("{username} was already a site administrator");
            }
        }
        AdminCommand::Revoke { username } => {
            let changed = chat
                .revoke_site_admin(&username)
                .await
                .map_err(|e| failed(&format!("cannot revoke {username}"), e))?;
            if changed {
                println!("{username} is no longer a site administrator");
            } else {
                println!("{username} was not a site administrator");
            }
        }
        AdminCommand::List => {
            let admins = chat
                .site_admins()
                .await
                .map_err(|e| Fatal::new("cannot list the site administrators", e))?;
            for a in admins {
                println!("{}", a.username);
            }
        }
    }
    Ok(())
}
