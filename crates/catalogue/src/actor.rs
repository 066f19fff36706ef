//! Who is calling: anonymous, or a user resolved from an API token.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthUser {
    pub id: String,
    pub name: String,
    pub sysadmin: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Actor {
    #[default]
    Anonymous,
    User(AuthUser),
    /// The operator's own tools (`cong demo`, `cong generate`): a sysadmin with no user row.
    System,
}

impl Actor {
    /// The name CKAN puts in "User {name} not authorized…": empty for anonymous.
    pub fn name(&self) -> &str {
        match self {
            Actor::Anonymous => "",
            Actor::User(u) => &u.name,
            Actor::System => "system",
        }
    }

    pub fn user_id(&self) -> Option<&str> {
        match self {
            Actor::Anonymous | Actor::System => None,
            Actor::User(u) => Some(&u.id),
        }
    }

    pub fn is_sysadmin(&self) -> bool {
        matches!(self, Actor::System) || matches!(self, Actor::User(u) if u.sysadmin)
    }
}
