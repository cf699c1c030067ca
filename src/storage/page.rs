//! Keyset pagination, shared by every connection in the graph.
//!
//! Rows are ordered by a timestamp and then by id, so the order is total and stable while
//! rows are inserted. A cursor encodes the order's field, the row's timestamp and its id:
//! the next page starts strictly after it, whatever was inserted meanwhile. Page sizes are
//! 1..=100; asking for more is an error, never a silent cut.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, Order, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};
use uuid::Uuid;

use crate::error::{AppError, AppResult, ErrorCode};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// Which timestamp a connection is ordered by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SortField {
    CreatedAt,
    UpdatedAt,
    ExpiresAt,
}

impl SortField {
    fn tag(self) -> &'static str {
        match self {
            SortField::CreatedAt => "c",
            SortField::UpdatedAt => "u",
            SortField::ExpiresAt => "e",
        }
    }
}

/// A position in a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cursor {
    pub field: SortField,
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(&self) -> String {
        let raw = format!("{}|{}|{}", self.field.tag(), self.at.timestamp_micros(), self.id.simple());
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Reads a cursor that must belong to a connection ordered by `field`.
    pub fn decode(text: &str, field: SortField, arg: &str) -> AppResult<Cursor> {
        let invalid =
            || AppError::user(&[arg], ErrorCode::InvalidCursor, format!("`{arg}` is not a cursor of this connection"));
        if text.len() > 128 {
            return Err(invalid());
        }
        let raw = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        let raw = String::from_utf8(raw).map_err(|_| invalid())?;
        let mut parts = raw.split('|');
        let (Some(tag), Some(micros), Some(id), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(invalid());
        };
        if tag != field.tag() {
            return Err(invalid());
        }
        let at = micros.parse::<i64>().ok().and_then(DateTime::from_timestamp_micros).ok_or_else(invalid)?;
        let id = Uuid::try_parse(id).map_err(|_| invalid())?;
        Ok(Cursor { field, at, id })
    }
}

/// The Relay arguments of one connection field, as the client sent them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// Validated page arguments.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PageRequest {
    pub field: SortField,
    pub descending: bool,
    pub after: Option<Cursor>,
    pub before: Option<Cursor>,
    /// Rows wanted.
    pub size: u64,
    /// `last` was given: read backwards from the end (or from `before`).
    pub backward: bool,
}

impl PageArgs {
    pub fn new(first: Option<i32>, after: Option<String>, last: Option<i32>, before: Option<String>) -> Self {
        PageArgs { first, after, last, before }
    }

    /// Checks sizes and cursors; `descending` is the connection's order.
    pub fn validate(&self, field: SortField, descending: bool) -> AppResult<PageRequest> {
        let size_error = |arg: &str| {
            AppError::user(&[arg], ErrorCode::InvalidPageSize, format!("`{arg}` must be between 1 and {MAX_PAGE_SIZE}"))
        };
        let size = |value: i32, arg: &str| -> AppResult<u64> {
            u64::try_from(value).ok().filter(|v| (1..=MAX_PAGE_SIZE).contains(v)).ok_or_else(|| size_error(arg))
        };
        let (size, backward) = match (self.first, self.last) {
            (Some(_), Some(_)) => {
                return Err(AppError::user(&["last"], ErrorCode::Invalid, "pass `first` or `last`, not both"));
            }
            (Some(first), None) => (size(first, "first")?, false),
            (None, Some(last)) => (size(last, "last")?, true),
            (None, None) => (DEFAULT_PAGE_SIZE, false),
        };
        let after = self.after.as_deref().map(|c| Cursor::decode(c, field, "after")).transpose()?;
        let before = self.before.as_deref().map(|c| Cursor::decode(c, field, "before")).transpose()?;
        Ok(PageRequest { field, descending, after, before, size, backward })
    }
}

/// One page of rows with what Relay's `pageInfo` needs.
#[derive(Clone, Debug)]
pub struct Page<T> {
    pub rows: Vec<(Cursor, T)>,
    pub has_previous_page: bool,
    pub has_next_page: bool,
}

/// Runs one keyset page of `select`, ordered by `sort` then `id`.
///
/// `key` reads a row's sort timestamp and id, to build its cursor.
pub async fn fetch<E, C>(
    db: &C,
    select: Select<E>,
    sort: E::Column,
    id: E::Column,
    req: &PageRequest,
    key: impl Fn(&E::Model) -> (DateTime<Utc>, Uuid),
) -> AppResult<Page<E::Model>>
where
    E: EntityTrait,
    C: ConnectionTrait,
{
    // Reading backwards flips the order; the rows are put back in order below.
    let ascending = req.descending == req.backward;
    let mut select = select;
    if let Some(after) = req.after {
        select = select.filter(beyond(sort, id, after, !req.descending));
    }
    if let Some(before) = req.before {
        select = select.filter(beyond(sort, id, before, req.descending));
    }
    let order = if ascending { Order::Asc } else { Order::Desc };
    let mut rows = select.order_by(sort, order.clone()).order_by(id, order).limit(req.size + 1).all(db).await?;
    let has_more = rows.len() as u64 > req.size;
    rows.truncate(req.size as usize);
    if req.backward {
        rows.reverse();
    }
    let rows = rows
        .into_iter()
        .map(|row| {
            let (at, id) = key(&row);
            (Cursor { field: req.field, at, id }, row)
        })
        .collect();
    let (has_previous_page, has_next_page) =
        if req.backward { (has_more, req.before.is_some()) } else { (req.after.is_some(), has_more) };
    Ok(Page { rows, has_previous_page, has_next_page })
}

/// Counts what `select` matches, for `totalCount`.
pub async fn count<E: EntityTrait, C: ConnectionTrait>(db: &C, select: Select<E>) -> AppResult<u64>
where
    E::Model: Sync,
{
    Ok(select.count(db).await?)
}

/// Rows strictly after `cursor` (`greater`) or strictly before it, in (sort, id) order.
pub(crate) fn beyond<Col: ColumnTrait>(sort: Col, id: Col, cursor: Cursor, greater: bool) -> Condition {
    let at = cursor.at;
    if greater {
        Condition::any().add(sort.gt(at)).add(Condition::all().add(sort.eq(at)).add(id.gt(cursor.id)))
    } else {
        Condition::any().add(sort.lt(at)).add(Condition::all().add(sort.eq(at)).add(id.lt(cursor.id)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_belong_to_one_order() {
        let cursor = Cursor { field: SortField::CreatedAt, at: Utc::now(), id: Uuid::new_v4() };
        let text = cursor.encode();
        let back = Cursor::decode(&text, SortField::CreatedAt, "after").unwrap();
        assert_eq!(back.id, cursor.id);
        assert_eq!(back.at.timestamp_micros(), cursor.at.timestamp_micros());
        assert!(Cursor::decode(&text, SortField::ExpiresAt, "after").is_err());
        assert!(Cursor::decode("bm9wZQ", SortField::CreatedAt, "after").is_err());
    }

    #[test]
    fn page_sizes_are_one_to_a_hundred() {
        let ok = PageArgs::new(Some(100), None, None, None);
        assert_eq!(ok.validate(SortField::CreatedAt, true).unwrap().size, 100);
        for bad in [
            PageArgs::new(Some(101), None, None, None),
            PageArgs::new(Some(0), None, None, None),
            PageArgs::new(None, None, Some(-1), None),
            PageArgs::new(Some(1), None, Some(1), None),
        ] {
            assert!(bad.validate(SortField::CreatedAt, true).is_err(), "{bad:?}");
        }
    }
}
