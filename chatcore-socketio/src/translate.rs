//! Renaming events at the edge, for apps written against other event names (see
//! docs/SOCKETIO.md and examples/socketio-compat).

use serde_json::Value;

/// Maps an app's own event names and shapes to chatcore's, both ways. The default
/// methods keep chatcore's names; authorization and validation stay chatcore's,
/// whatever the names.
pub trait Translate: Send + Sync + 'static {
    /// An incoming event (`name`, `data`) as a chatcore command name and data.
    fn command(&self, name: String, data: Value) -> (String, Value) {
        (name, data)
    }

    /// A chatcore event (with its `type`) as the events to emit: none, itself, or
    /// others.
    fn event(&self, event: Value) -> Vec<(String, Value)> {
        let name = event.get("type").and_then(Value::as_str).map(str::to_owned);
        name.map(|n| (n, event)).into_iter().collect()
    }
}

/// chatcore's own names: each command is its `type`, each event emitted under its
/// `type`.
#[derive(Debug, Clone, Copy, Default)]
pub struct ChatcoreNames;

impl Translate for ChatcoreNames {}
