//! Who may see what: CKAN's permission labels (public, private for members, drafts for their
//! creators, deleted for sysadmins who ask) as a query, enforced inside the search so that
//! counts and facets obey them too.

use crate::engine::Engine;
use crate::error::Error;
use catalogue::actions::search::Visibility;
use tantivy::query::{BooleanQuery, Occur, Query, TermSetQuery};
use tantivy::Term;

/// Which datasets a search may return, as a query.
pub(crate) enum Scope {
    /// Public ones only: the search may check this per match instead (see `collect`).
    Public(Box<dyn Query>),
    /// Public ones and more (private, drafts, deleted).
    Wider(Box<dyn Query>),
}

impl Engine {
    /// What the caller may see: CKAN's permission labels, enforced in the engine so that
    /// counts and facets obey them too.
    pub(crate) fn visibility(&self, v: &Visibility, field: &str) -> Result<Scope, Error> {
        // One indexed term says who may see a dataset: "public", "private", "draft", "deleted".
        let mut allowed: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Should, self.filter_term(field, "public")?)];
        if v.include_private {
            if v.sysadmin {
                allowed.push((Occur::Should, self.filter_term(field, "private")?));
            } else if !v.private_orgs.is_empty() {
                let owner = self
                    .fields
                    .get("owner_org")
                    .ok_or_else(|| Error::Engine("no owner_org".into()))?;
                let orgs = TermSetQuery::new(
                    v.private_orgs
                        .iter()
                        .map(|o| Term::from_field_text(owner, o)),
                );
                allowed.push((
                    Occur::Should,
                    Box::new(BooleanQuery::new(vec![
                        (Occur::Must, self.filter_term(field, "private")?),
                        (Occur::Must, Box::new(orgs)),
                    ])),
                ));
            }
        }
        if v.include_drafts {
            match (&v.user_id, v.sysadmin) {
                (_, true) => allowed.push((Occur::Should, self.filter_term(field, "draft")?)),
                (Some(uid), false) => allowed.push((
                    Occur::Should,
                    self.all_of(&[(field, "draft"), ("creator_user_id", uid)])?,
                )),
                (None, false) => {}
            }
        }
        if v.include_deleted && v.sysadmin {
            allowed.push((Occur::Should, self.filter_term(field, "deleted")?));
        }
        if allowed.len() == 1 {
            let (_, public) = allowed.remove(0);
            return Ok(Scope::Public(public));
        }
        Ok(Scope::Wider(Box::new(BooleanQuery::new(allowed))))
    }
}
