//! Recently authenticated API tokens, so that a client sending its token with every request
//! (ckanapi does, three times per dataset it loads) costs one lookup, not one per request.
//!
//! An entry lives [`TOKEN_TTL`]; revoking a token, deleting a user or changing one (sysadmin
//! rights) empties the cache of the node that did it at once. Other nodes of a portal may
//! accept a revoked token, or the old rights, for at most [`TOKEN_TTL`].

use crate::actor::Actor;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const TOKEN_TTL: Duration = Duration::from_secs(10);
/// Entries kept at most; past this the cache starts again empty.
const CAPACITY: usize = 10_000;

#[derive(Default)]
pub struct TokenCache(Mutex<HashMap<String, (Actor, Instant)>>);

impl TokenCache {
    /// The caller a token hash stood for, if it was looked up less than [`TOKEN_TTL`] ago.
    pub fn get(&self, hash: &str) -> Option<Actor> {
        let map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        map.get(hash)
            .filter(|(_, at)| at.elapsed() < TOKEN_TTL)
            .map(|(a, _)| a.clone())
    }

    pub fn put(&self, hash: String, actor: Actor) {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= CAPACITY {
            map.clear();
        }
        map.insert(hash, (actor, Instant::now()));
    }

    /// Forgets every token (after a revocation or a change to users).
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}
