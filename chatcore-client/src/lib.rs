//! A client for the chatcore WebSocket protocol (docs/PROTOCOL.md) and REST API.
