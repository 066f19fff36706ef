//! What a database error means for the request that met it: the connection is gone (retry
//! on a fresh one, or answer 503), two writers raced (run the transaction again), a unique
//! value is taken (CKAN's validation message for that field), or a real fault (500).

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// A unique column whose clash a user can cause, with the field and message CKAN reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    PackageName,
    PackageId,
    GroupName,
    GroupId,
    UserName,
    UserId,
    ResourceId,
}

impl Taken {
    /// The field CKAN names and its message.
    pub fn field_message(self) -> (&'static str, &'static str) {
        match self {
            Taken::PackageName => ("name", "That URL is already in use."),
            Taken::PackageId => ("id", "Dataset id already exists"),
            Taken::GroupName => ("name", "Group name already exists in database"),
            Taken::GroupId => ("id", "Group id already exists"),
            Taken::UserName => ("name", "That login name is not available."),
            Taken::UserId => ("id", "User id already exists"),
            Taken::ResourceId => ("id", "Resource id already exists"),
        }
    }

    /// By PostgreSQL constraint name or SQLite's `table.column`.
    fn from_constraint(table_column: &str) -> Option<Taken> {
        Some(match table_column {
            "packages_name_key" | "packages.name" => Taken::PackageName,
            "packages_pkey" | "packages.id" => Taken::PackageId,
            "groups_name_key" | "groups.name" => Taken::GroupName,
            "groups_pkey" | "groups.id" => Taken::GroupId,
            "users_name_key" | "users.name" => Taken::UserName,
            "users_pkey" | "users.id" => Taken::UserId,
            "resources_pkey" | "resources.id" => Taken::ResourceId,
            _ => return None,
        })
    }
}

/// The kinds of database failure the rest of the code treats differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// The connection is dead or none could be had: the database is down or restarting.
    Unavailable,
    /// A concurrent transaction made this one fail (serialization failure, deadlock, lock
    /// wait): running it again is correct.
    Contended,
    /// A unique value was taken, by a concurrent writer when the pre-checks passed.
    Taken(Option<Taken>),
    Other,
}

/// Classifies a diesel error.
pub fn classify(e: &DieselError) -> Failure {
    let DieselError::DatabaseError(kind, info) = e else {
        return Failure::Other;
    };
    let message = info.message();
    match kind {
        DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand => {
            Failure::Unavailable
        }
        DatabaseErrorKind::SerializationFailure => Failure::Contended,
        DatabaseErrorKind::UniqueViolation => {
            let key = info
                .constraint_name()
                .and_then(Taken::from_constraint)
                .or_else(|| {
                    message
                        .strip_prefix("UNIQUE constraint failed: ")
                        .and_then(|tc| Taken::from_constraint(tc.trim()))
                });
            Failure::Taken(key)
        }
        _ if is_connection_message(message) => Failure::Unavailable,
        // PostgreSQL: deadlock_detected (40P01) and lock_not_available (55P03) arrive as
        // Unknown; SQLite: a writer in another process held the lock past busy_timeout.
        _ if message.contains("deadlock detected")
            || message.contains("could not obtain lock")
            || message.contains("database is locked") =>
        {
            Failure::Contended
        }
        _ => Failure::Other,
    }
}

/// libpq's words for a connection that is gone (some arrive without SQLSTATE), and
/// PostgreSQL's for a backend being shut down or terminated.
fn is_connection_message(m: &str) -> bool {
    const SIGNS: [&str; 9] = [
        "server closed the connection unexpectedly",
        "no connection to the server",
        "could not receive data from server",
        "could not send data to server",
        "terminating connection due to administrator command",
        "the database system is shutting down",
        "the database system is starting up",
        "the database system is in recovery mode",
        "connection to server",
    ];
    SIGNS.iter().any(|s| m.contains(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db(kind: DatabaseErrorKind, msg: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(msg.to_string()))
    }

    #[test]
    fn kinds() {
        assert_eq!(
            classify(&db(DatabaseErrorKind::ClosedConnection, "x")),
            Failure::Unavailable
        );
        assert_eq!(
            classify(&db(
                DatabaseErrorKind::Unknown,
                "FATAL: terminating connection due to administrator command"
            )),
            Failure::Unavailable
        );
        assert_eq!(
            classify(&db(DatabaseErrorKind::Unknown, "deadlock detected")),
            Failure::Contended
        );
        assert_eq!(
            classify(&db(
                DatabaseErrorKind::UniqueViolation,
                "UNIQUE constraint failed: packages.name"
            )),
            Failure::Taken(Some(Taken::PackageName))
        );
        assert_eq!(
            classify(&db(
                DatabaseErrorKind::UniqueViolation,
                "UNIQUE constraint failed: tags.name"
            )),
            Failure::Taken(None)
        );
        assert_eq!(classify(&DieselError::NotFound), Failure::Other);
    }
}
