// Paging through a room's history, over the WebSocket (`client.history`) or REST
// (`rest.messages`): both take `{before, after, limit}` and answer a HistoryPage.

/**
 * Pages backwards from the newest message: each `older()` returns the page before
 * the previous one (ascending by seq), `[]` once the start of the room is reached.
 */
export class HistoryPager {
  /**
   * @param {(query: {before?: number, limit: number}) => Promise<{messages: any[], has_more: boolean}>} fetchPage
   */
  constructor(fetchPage, { pageSize = 50 } = {}) {
    this.fetchPage = fetchPage;
    this.pageSize = pageSize;
    /** The smallest seq loaded so far (null before the first page). */
    this.oldest = null;
    /** Whether older messages remain. */
    this.hasMore = true;
  }

  async older() {
    if (!this.hasMore) return [];
    const query = { limit: this.pageSize };
    if (this.oldest !== null) query.before = this.oldest;
    const page = await this.fetchPage(query);
    const msgs = page.messages;
    if (msgs.length > 0) this.oldest = msgs[0].seq;
    this.hasMore = page.has_more && msgs.length > 0;
    return msgs;
  }
}

/** Every message after `after` (ascending), paging forward until the newest. */
export async function messagesAfter(fetchPage, after, { pageSize = 100 } = {}) {
  const out = [];
  let cursor = after;
  for (;;) {
    const page = await fetchPage({ after: cursor, limit: pageSize });
    out.push(...page.messages);
    if (page.messages.length === 0 || !page.has_more) return out;
    cursor = page.messages[page.messages.length - 1].seq;
  }
}
