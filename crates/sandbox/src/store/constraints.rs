//! Database constraint violations, in one place (issue 9): a write that breaks a unique
//! constraint answers 409 `conflict`, one that breaks a check, foreign key or not-null
//! constraint 422 `invalid_request`, each with words chosen by the constraint's name
//! ([`KNOWN`]), never the database's message (which may quote the values). Every sqlx error
//! passes through [`Violation::of`] on its way into [`Error`] (`From<sqlx::Error>`), so no
//! store maps one by hand; the stores check their rules first, and these are the backstop for
//! races and for rules only the schema states.
//!
//! A constraint's name is PostgreSQL's (`payout_methods_one_default`, `accounts_check`); SQLite
//! names none, so its message stands in: the `table.column` list of a unique or not-null
//! violation, the expression of a check, nothing for a foreign key.

use crate::error::Error;
use payout_model::{ApiError, ErrorCode, FieldError, Rule};
use sqlx::error::ErrorKind;

/// Which kind of rule a write broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConstraintKind {
    /// A unique index or primary key: someone got there first.
    Unique,
    /// A `CHECK`.
    Check,
    /// A `REFERENCES`.
    ForeignKey,
    /// A `NOT NULL`.
    NotNull,
}

/// A database constraint a write broke.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Its kind.
    pub kind: ConstraintKind,
    /// Its name, or what SQLite's message says of it (module docs); empty when unknown.
    pub name: String,
}

/// What a known constraint answers: the names it goes by on PostgreSQL and SQLite, the field it
/// is about and the rule it broke (`None`: the request as a whole) and the words.
struct Known {
    names: &'static [&'static str],
    field: Option<(&'static str, Rule)>,
    message: &'static str,
}

/// The constraints a request can run into, by name (migrations 0001 to 0009).
const KNOWN: &[Known] = &[
    Known {
        names: &["payout_methods_one_default", "payout_methods.user_id"],
        field: None,
        message: "the user's default payout method changed meanwhile; try again",
    },
    Known {
        names: &[
            "idempotency_keys_pkey",
            "idempotency_keys.app_id, idempotency_keys.scope, idempotency_keys.idempotency_key",
        ],
        field: Some(("idempotency_key", Rule::IdempotencyKey)),
        message: "a request with this idempotency_key is being made; try again",
    },
    Known {
        names: &["accounts_check", "kind = 'external' OR balance >= 0"],
        field: Some(("amount", Rule::InsufficientFunds)),
        message: "insufficient funds",
    },
    Known {
        names: &["transactions_amount_check", "amount > 0"],
        field: Some(("amount", Rule::AtLeastOneCent)),
        message: "must be more than 0",
    },
];

impl Violation {
    /// The constraint `e` reports broken, if it is a constraint violation.
    pub(crate) fn of(e: &sqlx::Error) -> Option<Violation> {
        let sqlx::Error::Database(d) = e else {
            return None;
        };
        let kind = match d.kind() {
            ErrorKind::UniqueViolation => ConstraintKind::Unique,
            ErrorKind::CheckViolation => ConstraintKind::Check,
            ErrorKind::ForeignKeyViolation => ConstraintKind::ForeignKey,
            ErrorKind::NotNullViolation => ConstraintKind::NotNull,
            _ => return None,
        };
        let name = match d.constraint() {
            Some(name) => name.to_owned(),
            None => sqlite_name(d.message()),
        };
        Some(Violation { kind, name })
    }

    /// The envelope this violation answers with: 409 `conflict` for a unique constraint, 422
    /// `invalid_request` otherwise, in the words [`KNOWN`] has for its name.
    pub(crate) fn to_api_error(&self) -> ApiError {
        let known = KNOWN.iter().find(|k| k.names.contains(&self.name.as_str()));
        let message = known.map_or_else(|| self.generic_message(), |k| k.message);
        match (self.kind, known.and_then(|k| k.field)) {
            (ConstraintKind::Unique, _) => ApiError::new(ErrorCode::Conflict, message),
            (_, Some((field, rule))) => {
                ApiError::invalid(vec![FieldError::new(field, message).with_rule(rule)])
            }
            (_, None) => ApiError::new(ErrorCode::InvalidRequest, message),
        }
    }

    fn generic_message(&self) -> &'static str {
        match self.kind {
            ConstraintKind::Unique => "this was changed by another request meanwhile; try again",
            ConstraintKind::ForeignKey => "this refers to something that does not exist",
            ConstraintKind::Check | ConstraintKind::NotNull => {
                "this request breaks a rule of the stored data"
            }
        }
    }
}

/// What SQLite's message names of the constraint: `UNIQUE constraint failed: t.a, t.b` →
/// `t.a, t.b`, `CHECK constraint failed: amount > 0` → `amount > 0`; empty for `FOREIGN KEY
/// constraint failed`.
fn sqlite_name(message: &str) -> String {
    message
        .split_once("constraint failed:")
        .map(|(_, name)| name.trim().to_owned())
        .unwrap_or_default()
}

impl From<Violation> for Error {
    fn from(v: Violation) -> Self {
        Error::Constraint(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn violation(kind: ConstraintKind, name: &str) -> Violation {
        Violation {
            kind,
            name: name.to_owned(),
        }
    }

    #[test]
    fn reads_sqlite_constraint_names() {
        assert_eq!(
            sqlite_name("UNIQUE constraint failed: payout_methods.user_id"),
            "payout_methods.user_id"
        );
        assert_eq!(
            sqlite_name("CHECK constraint failed: amount > 0"),
            "amount > 0"
        );
        assert_eq!(sqlite_name("FOREIGN KEY constraint failed"), "");
    }

    #[test]
    fn unique_is_409_and_the_rest_422_by_name() {
        for name in ["payout_methods_one_default", "payout_methods.user_id"] {
            let e = violation(ConstraintKind::Unique, name).to_api_error();
            assert_eq!(e.code, ErrorCode::Conflict);
            assert!(e.message.contains("default payout method"));
        }
        let e = violation(ConstraintKind::Unique, "users_pkey").to_api_error();
        assert_eq!(e.code, ErrorCode::Conflict);
        for name in ["accounts_check", "kind = 'external' OR balance >= 0"] {
            let e = violation(ConstraintKind::Check, name).to_api_error();
            assert_eq!(e.code, ErrorCode::InvalidRequest);
            assert_eq!(
                e.fields,
                [FieldError::new("amount", "insufficient funds")
                    .with_rule(Rule::InsufficientFunds)]
            );
        }
        let e = violation(ConstraintKind::ForeignKey, "").to_api_error();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert!(e.fields.is_empty());
    }

    /// The real databases' errors reach [`Violation::of`] with their kind and name (SQLite here;
    /// PostgreSQL names its constraints outright).
    #[tokio::test]
    async fn sqlite_violations_become_409_and_422() {
        #![allow(clippy::unwrap_used)]
        let db = crate::db::connect("sqlite::memory:").await.unwrap();
        let insert_app = "INSERT INTO apps (id, name, client_id, created) \
                          VALUES ($1, 'a', 'same-client', 0)";
        sqlx::query(insert_app)
            .bind("a1")
            .execute(&db)
            .await
            .unwrap();
        let unique = sqlx::query(insert_app).bind("a2").execute(&db).await;
        let e = Error::from(unique.unwrap_err());
        assert!(
            matches!(&e, Error::Constraint(v) if v.kind == ConstraintKind::Unique
                && v.name == "apps.client_id"),
            "{e:?}"
        );
        assert_eq!(e.to_api_error().code, ErrorCode::Conflict);

        let orphan = sqlx::query(
            "INSERT INTO users (id, app_id, first_name, last_name, email, country_code, \
             phone_number, status, verified, created) \
             VALUES ('u', 'no-such-app', 'a', 'b', 'e', '1', '2', 'unverified', 0, 0)",
        )
        .execute(&db)
        .await;
        let e = Error::from(orphan.unwrap_err());
        assert!(
            matches!(&e, Error::Constraint(v) if v.kind == ConstraintKind::ForeignKey),
            "{e:?}"
        );
        assert_eq!(e.to_api_error().code, ErrorCode::InvalidRequest);

        let unchecked = sqlx::query(
            "INSERT INTO transactions (id, transfer_id, source, destination, amount, kind, \
             created) VALUES (1, 't', 'a', 'b', 0, 'fee', 0)",
        )
        .execute(&db)
        .await;
        let e = Error::from(unchecked.unwrap_err()).to_api_error();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
        assert_eq!(
            e.fields,
            [FieldError::new("amount", "must be more than 0").with_rule(Rule::AtLeastOneCent)]
        );
    }
}
