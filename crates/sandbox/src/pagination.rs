//! Cursor pagination of the host API's lists (`GET /api/v2/transfers`, apps, webhooks, deliveries,
//! `GET /api/v2/events`), the Dots / Stripe way: newest first, `limit` (1 to
//! [`MAX_LIMIT`], default [`DEFAULT_LIMIT`]) per page, `starting_after=<id>` for the page of
//! older objects, `ending_before=<id>` for the page of newer ones, and `has_more` saying whether
//! more lie that way. Each list orders by a sequence number column; this module parses the query,
//! builds the query's filter and order, and trims the rows; the list resolves a cursor's id to
//! its sequence number (a 422 naming the parameter when it names nothing of the caller's).

use crate::error::Error;
use crate::extract::whole_number_param;
use payout_model::Rule;
use sqlx::any::AnyRow;
use sqlx::AnyConnection;
use uuid::Uuid;

/// Objects per page unless `limit` says otherwise.
pub(crate) const DEFAULT_LIMIT: i64 = 10;
/// The largest `limit`.
pub(crate) const MAX_LIMIT: i64 = 100;

/// Which page of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Page {
    /// The newest.
    First,
    /// Older than the object with this sequence number.
    After(i64),
    /// Newer than the object with this sequence number (the ones just before it, newest first).
    Before(i64),
}

/// A page cursor as given: which parameter, and the id it names.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Cursor {
    /// `starting_after` or `ending_before`.
    pub param: &'static str,
    /// The object it names.
    pub id: Uuid,
}

impl Cursor {
    /// The page this cursor asks for, `seq` being its object's sequence number if the caller
    /// has such an object (else a 422 on the parameter: "no such {noun}").
    pub(crate) fn page(self, seq: Option<i64>, noun: &str) -> Result<Page, Error> {
        let seq = seq.ok_or_else(|| {
            Error::invalid_field(self.param, Rule::NoSuchItem, format!("no such {noun}"))
        })?;
        Ok(if self.param == "starting_after" {
            Page::After(seq)
        } else {
            Page::Before(seq)
        })
    }
}

/// A list's page parameters, checked.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PageParams {
    /// Objects per page.
    pub limit: i64,
    /// Where the page starts, if not at the newest.
    pub cursor: Option<Cursor>,
}

impl PageParams {
    /// Checks the query's `limit`, `starting_after` and `ending_before` (as text): a bad value is
    /// a 422 naming its parameter ("no such {noun}" for a cursor that is not an id).
    pub(crate) fn parse(
        limit: Option<&str>,
        starting_after: Option<&str>,
        ending_before: Option<&str>,
        noun: &str,
    ) -> Result<Self, Error> {
        let limit = whole_number_param("limit", limit, 1..=MAX_LIMIT, DEFAULT_LIMIT, "")?;
        let cursor = match (starting_after, ending_before) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid_field(
                    "ending_before",
                    Rule::NotTogether,
                    "cannot be used with starting_after",
                ))
            }
            (Some(id), None) => Some(("starting_after", id)),
            (None, Some(id)) => Some(("ending_before", id)),
            (None, None) => None,
        };
        let cursor = cursor
            .map(|(param, text)| {
                Uuid::try_parse(text.trim())
                    .map(|id| Cursor { param, id })
                    .map_err(|_| {
                        Error::invalid_field(param, Rule::NoSuchItem, format!("no such {noun}"))
                    })
            })
            .transpose()?;
        Ok(Self { limit, cursor })
    }
}

/// The SQL a page adds to its list's query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PageSql {
    /// ` AND {column} < $n` (or `>`), or nothing for the first page.
    pub filter: String,
    /// The value of the filter's placeholder, if it has one.
    pub bind: Option<i64>,
    /// `ORDER BY {column} DESC` (or `ASC` for a page of newer objects).
    pub order: String,
}

impl Page {
    /// The filter and order of this page over sequence column `column`, the filter's
    /// placeholder being `$placeholder`. Fetch [`Page::fetch_limit`] rows and [`Page::finish`]
    /// them.
    pub(crate) fn sql(self, column: &str, placeholder: usize) -> PageSql {
        let (cursor, direction) = match self {
            Page::First => (None, "DESC"),
            Page::After(seq) => (Some((seq, '<')), "DESC"),
            Page::Before(seq) => (Some((seq, '>')), "ASC"),
        };
        PageSql {
            filter: cursor
                .map(|(_, op)| format!(" AND {column} {op} ${placeholder}"))
                .unwrap_or_default(),
            bind: cursor.map(|(seq, _)| seq),
            order: format!("ORDER BY {column} {direction}"),
        }
    }

    /// This page of a list owned by one value: `select` is the list's query up to its owner
    /// filter (`SELECT … FROM t WHERE owner = $1`), ordered by its `seq` column. Answers the
    /// rows, newest first, and whether more lie beyond them.
    pub(crate) async fn fetch<R>(
        self,
        conn: &mut AnyConnection,
        select: &str,
        owner: String,
        limit: i64,
    ) -> Result<(Vec<R>, bool), Error>
    where
        R: for<'r> sqlx::FromRow<'r, AnyRow> + Send + Unpin,
    {
        let page_sql = self.sql("seq", 2);
        let limit_at = if page_sql.bind.is_some() { 3 } else { 2 };
        let sql = format!(
            "{select}{} {} LIMIT ${limit_at}",
            page_sql.filter, page_sql.order
        );
        let mut rows = sqlx::query_as::<_, R>(&sql).bind(owner);
        if let Some(seq) = page_sql.bind {
            rows = rows.bind(seq);
        }
        let rows = rows
            .bind(Self::fetch_limit(limit))
            .fetch_all(&mut *conn)
            .await?;
        Ok(self.finish(rows, limit))
    }

    /// How many rows to fetch for a page of `limit`: one more, to learn `has_more`.
    pub(crate) fn fetch_limit(limit: i64) -> i64 {
        limit.saturating_add(1)
    }

    /// The page's rows, newest first, and whether more lie beyond them, from the rows fetched
    /// in this page's order (at most [`Page::fetch_limit`]).
    pub(crate) fn finish<T>(self, mut rows: Vec<T>, limit: i64) -> (Vec<T>, bool) {
        let limit = usize::try_from(limit).unwrap_or(0);
        let has_more = rows.len() > limit;
        rows.truncate(limit);
        if let Page::Before(_) = self {
            rows.reverse();
        }
        (rows, has_more)
    }
}

/// The `seq` of object `id` of app `app_id` in `table` (one whose rows have `id`, `app_id` and
/// `seq`), for a page cursor; `None` for another app's or no such object.
pub(crate) async fn seq_of(
    conn: &mut AnyConnection,
    table: &'static str,
    app_id: Uuid,
    id: Uuid,
) -> Result<Option<i64>, Error> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT seq FROM {table} WHERE id = $1 AND app_id = $2"
    ))
    .bind(id.to_string())
    .bind(app_id.to_string())
    .fetch_optional(conn)
    .await?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn pages_filter_and_order_by_the_sequence() {
        assert_eq!(
            Page::First.sql("seq", 2),
            PageSql {
                filter: String::new(),
                bind: None,
                order: "ORDER BY seq DESC".into()
            }
        );
        let before = Page::Before(7).sql("seq", 3);
        assert_eq!(before.filter, " AND seq > $3");
        assert_eq!(
            (before.bind, before.order.as_str()),
            (Some(7), "ORDER BY seq ASC")
        );
        assert_eq!(
            Page::Before(7).finish(vec![8, 9, 10], 2),
            (vec![9, 8], true)
        );
        assert_eq!(Page::After(7).finish(vec![6, 5], 2), (vec![6, 5], false));
    }

    #[test]
    fn bad_parameters_name_themselves() {
        let field = |e: Error| e.to_api_error().fields[0].field.clone();
        assert_eq!(
            field(PageParams::parse(Some("0"), None, None, "x").unwrap_err()),
            "limit"
        );
        assert_eq!(
            field(PageParams::parse(Some("101"), None, None, "x").unwrap_err()),
            "limit"
        );
        assert_eq!(
            field(PageParams::parse(None, Some("nope"), None, "x").unwrap_err()),
            "starting_after"
        );
        assert_eq!(
            field(PageParams::parse(None, Some("a"), Some("b"), "x").unwrap_err()),
            "ending_before"
        );
        assert_eq!(PageParams::parse(None, None, None, "x").unwrap().limit, 10);
    }
}
