//! Paging forward through a room's history, over the WebSocket or REST.

use std::future::Future;

use chatcore::Seq;
use chatcore::model::Message;
use chatcore::protocol::HistoryPage;

use crate::error::Result;

/// Messages per page when catching up (the server's maximum).
pub(crate) const PAGE: u32 = 100;

/// Every message after `after`, ascending: `fetch(cursor)` answers the page after it.
pub(crate) async fn forward<F, Fut>(after: Seq, mut fetch: F) -> Result<Vec<Message>>
where
    F: FnMut(Seq) -> Fut,
    Fut: Future<Output = Result<HistoryPage>>,
{
    let mut out = Vec::new();
    let mut cursor = after;
    loop {
        let page = fetch(cursor).await?;
        let last = page.messages.last().map(|m| m.seq);
        out.extend(page.messages);
        match last {
            Some(seq) if page.has_more => cursor = seq,
            _ => return Ok(out),
        }
    }
}
