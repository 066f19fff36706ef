//! Keeping the index in step with the change feed, and answering the catalogue's searches
//! with read-your-writes.
//!
//! An index commit costs milliseconds (tantivy writes a segment, most of the cost fixed per
//! field), so it is not paid per write:
//! - a background follower applies the feed in batches: woken by each local commit (or, on
//!   PostgreSQL, by the listener hearing another node's), it lets writes gather for
//!   [`GROUP_COMMIT_WINDOW`] and commits them together;
//! - package_show reads the index only when it reflects every change; otherwise it falls
//!   back to the database, which is always current;
//! - package_search brings the index up to date first; searches that wait for the same
//!   commit share it (the writer lock admits one, the others find nothing left to apply).
//! - Both trust the PostgreSQL listener for what other nodes wrote (asking the database at
//!   every read halved PostgreSQL's search throughput): a read through node B right after a
//!   write through node A may, for the millisecond or so the notification takes, see the
//!   older version. This node's own writes are seen at once.

use crate::engine::Engine;
use catalogue::actions::search::{SearchHits, SearchRequest, Searcher, Visibility};
use catalogue::Catalogue;
use std::sync::Arc;
use std::time::Duration;

/// How long the follower lets writes gather before committing them. Each commit costs a
/// fixed ~10 ms of CPU (a segment: a term dictionary per field, fast-field columns) plus the
/// merges it later causes; nothing waits for this one (show reads the database meanwhile, a
/// search commits at once), so it can be long: a bulk load then pays a commit per second, not
/// per dataset.
pub const GROUP_COMMIT_WINDOW: Duration = Duration::from_millis(1000);
/// How often the follower looks at the feed when nothing woke it: other processes' writes on
/// SQLite, and other nodes' while PostgreSQL's listener is reconnecting.
const IDLE_POLL: Duration = Duration::from_millis(1000);

impl Engine {
    /// Whether the index reflects every change in the feed.
    pub fn is_current(&self, cat: &Catalogue) -> catalogue::Result<bool> {
        Ok(cat.newest_change()? <= self.applied_seq())
    }

    /// Follows the feed in a background thread for as long as the process runs.
    pub fn follow(self: &Arc<Self>, cat: Arc<Catalogue>) -> std::io::Result<()> {
        let engine = self.clone();
        std::thread::Builder::new()
            .name("index-follower".into())
            .spawn(move || {
                let mut seen = 0;
                loop {
                    seen = cat.db.feed.wait(seen, IDLE_POLL);
                    if matches!(engine.is_current(&cat), Ok(true)) {
                        continue;
                    }
                    std::thread::sleep(GROUP_COMMIT_WINDOW);
                    if let Err(e) = engine.sync(&cat) {
                        tracing::warn!(error = %e, "search index could not follow the change feed");
                    }
                }
            })
            .map(|_| ())
    }
}

impl Searcher for Engine {
    fn search(
        &self,
        cat: &Catalogue,
        req: &SearchRequest,
        vis: &Visibility,
    ) -> catalogue::Result<SearchHits> {
        // Read-your-writes: whatever the feed holds (this node's writes, and other nodes' as
        // far as the listener has heard) is indexed before the search runs.
        self.sync(cat)?;
        Ok(self.search_cached(req, vis)?)
    }

    fn public_dataset_json(
        &self,
        cat: &Catalogue,
        id_or_name: &str,
    ) -> catalogue::Result<Option<String>> {
        // Behind the feed, the index may hold an older version (or none): the database
        // answers instead, without waiting for a commit.
        if !self.is_current(cat)? {
            return Ok(None);
        }
        Ok(self.public_json(id_or_name)?)
    }
}
