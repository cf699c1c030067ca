//! Batched reads behind the GraphQL DataLoaders: however many parents a page holds, each
//! relation costs one statement.
//!
//! - [`ById`]: objects by id (a session's customer, order, …).
//! - [`ChildPage`]: one page of children per parent, e.g. `customer.paymentSessions(first: 5)`
//!   for every customer of a page, in ONE statement: a `ROW_NUMBER() OVER (PARTITION BY
//!   parent …)` window keeps the first N+1 of each parent (SQLite and PostgreSQL both have it).
//! - [`ChildCount`]: `totalCount` of those children, one `GROUP BY` statement.
//! - [`AllChildren`]: every child of small, bounded sets (an order's lines, a session's events).
//!
//! Every statement is scoped to the request's merchant.

use std::collections::HashMap;
use std::hash::Hash;
use std::marker::PhantomData;
use std::sync::Arc;

use async_graphql::dataloader::Loader;
use sea_orm::sea_query::{Alias, Asterisk, Expr, ExprTrait, Query};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, Iden, ModelTrait, QueryFilter, QuerySelect,
    QueryTrait, StatementBuilder,
};
use uuid::Uuid;

use super::kinds::Kind;
use super::page::{Page, PageRequest};

pub use super::tenanted::{Parent, Tenanted};

/// The table a kind is kept in.
type Table<K> = <K as Kind>::Table;

/// The loader behind every relation of one request, scoped to that request's merchant.
pub struct BatchLoader {
    pub(super) db: DatabaseConnection,
    pub(super) merchant: Uuid,
}

impl BatchLoader {
    pub fn new(db: DatabaseConnection, merchant: Uuid) -> Self {
        BatchLoader { db, merchant }
    }
}

/// Errors a loader reports; cloned to every waiting resolver.
pub type LoadError = Arc<DbErr>;

/// Key: an object of table `E` by id.
pub struct ById<E>(pub Uuid, PhantomData<fn() -> E>);

/// Key: one page of `E` children of a parent.
pub struct ChildPage<E> {
    pub parent: Uuid,
    pub relation: Parent,
    pub page: PageRequest,
    _e: PhantomData<fn() -> E>,
}

/// Key: how many `E` children a parent has.
pub struct ChildCount<E> {
    pub parent: Uuid,
    pub relation: Parent,
    _e: PhantomData<fn() -> E>,
}

impl<E> ById<E> {
    pub fn new(id: Uuid) -> Self {
        ById(id, PhantomData)
    }
}

impl<E> ChildPage<E> {
    pub fn new(parent: Uuid, relation: Parent, page: PageRequest) -> Self {
        ChildPage { parent, relation, page, _e: PhantomData }
    }
}

impl<E> ChildCount<E> {
    pub fn new(parent: Uuid, relation: Parent) -> Self {
        ChildCount { parent, relation, _e: PhantomData }
    }
}

// Keys are compared by value; the phantom type only picks the table.
macro_rules! key_traits {
    ($key:ident { $($field:ident),* }) => {
        impl<E> Clone for $key<E> {
            fn clone(&self) -> Self {
                $key { $($field: self.$field.clone(),)* _e: PhantomData }
            }
        }
        impl<E> PartialEq for $key<E> {
            fn eq(&self, other: &Self) -> bool {
                true $(&& self.$field == other.$field)*
            }
        }
        impl<E> Eq for $key<E> {}
        impl<E> Hash for $key<E> {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                $(self.$field.hash(state);)*
            }
        }
    };
}
key_traits!(ChildPage { parent, relation, page });
key_traits!(ChildCount { parent, relation });

impl<E> Clone for ById<E> {
    fn clone(&self) -> Self {
        ById(self.0, PhantomData)
    }
}
impl<E> PartialEq for ById<E> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl<E> Eq for ById<E> {}
impl<E> Hash for ById<E> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}

impl<K: Kind> Loader<ById<K>> for BatchLoader {
    type Value = K::Object;
    type Error = LoadError;

    async fn load(&self, keys: &[ById<K>]) -> Result<HashMap<ById<K>, K::Object>, LoadError> {
        let rows = Table::<K>::find()
            .filter(Table::<K>::merchant_column().eq(self.merchant))
            .filter(Table::<K>::id_column().is_in(keys.iter().map(|k| k.0)))
            .all(&self.db)
            .await
            .map_err(Arc::new)?;
        rows.into_iter()
            .map(|row| Ok((ById::new(Table::<K>::id_of(&row)), Table::<K>::object(row).map_err(Arc::new)?)))
            .collect()
    }
}

impl<K: Kind> Loader<ChildPage<K>> for BatchLoader {
    type Value = Arc<Page<K::Object>>;
    type Error = LoadError;

    async fn load(&self, keys: &[ChildPage<K>]) -> Result<HashMap<ChildPage<K>, Self::Value>, LoadError> {
        // Keys of one batch usually share their page arguments (one field across a list);
        // each distinct (relation, page) costs one statement.
        let mut groups: HashMap<(Parent, &PageRequest), Vec<Uuid>> = HashMap::new();
        for key in keys {
            groups.entry((key.relation, &key.page)).or_default().push(key.parent);
        }
        let mut out = HashMap::new();
        for ((relation, page), parents) in groups {
            let Some(parent_col) = Table::<K>::parent_column(relation) else { continue };
            let rows = self.window::<Table<K>>(parent_col, &parents, page).await?;
            let mut by_parent: HashMap<Uuid, Vec<<Table<K> as EntityTrait>::Model>> = HashMap::new();
            for row in rows {
                if let Some(parent) = uuid_of(row.get(parent_col)) {
                    by_parent.entry(parent).or_default().push(row);
                }
            }
            for parent in parents {
                let rows = by_parent.remove(&parent).unwrap_or_default();
                out.insert(
                    ChildPage::new(parent, relation, page.clone()),
                    Arc::new(finish_page::<Table<K>>(rows, page)?),
                );
            }
        }
        Ok(out)
    }
}

impl BatchLoader {
    /// `SELECT * FROM (SELECT t.*, ROW_NUMBER() OVER (PARTITION BY parent ORDER BY sort, id) rn
    ///  FROM t WHERE merchant AND parent IN (…) AND cursor) ranked WHERE rn <= size + 1`
    async fn window<E: Tenanted>(
        &self,
        parent_col: E::Column,
        parents: &[Uuid],
        page: &PageRequest,
    ) -> Result<Vec<E::Model>, LoadError> {
        let sort_col = E::sort_column(page.field);
        let ascending = page.descending == page.backward;
        let dir = if ascending { "ASC" } else { "DESC" };
        let window = format!(
            "ROW_NUMBER() OVER (PARTITION BY \"{}\" ORDER BY \"{}\" {dir}, \"{}\" {dir})",
            parent_col.to_string(),
            sort_col.to_string(),
            E::id_column().to_string()
        );
        let mut inner = E::find()
            .filter(E::merchant_column().eq(self.merchant))
            .filter(E::listed())
            .filter(parent_col.is_in(parents.iter().copied()))
            .expr_as(Expr::cust(window), "rn");
        if let Some(after) = page.after {
            inner = inner.filter(super::page::beyond(sort_col, E::id_column(), after, !page.descending));
        }
        if let Some(before) = page.before {
            inner = inner.filter(super::page::beyond(sort_col, E::id_column(), before, page.descending));
        }
        let limit = i64::try_from(page.size + 1).unwrap_or(i64::MAX);
        let outer = Query::select()
            .column(Asterisk)
            .from_subquery(inner.into_query(), Alias::new("ranked"))
            .and_where(Expr::col(Alias::new("rn")).lte(limit))
            .order_by(Alias::new("rn"), sea_orm::Order::Asc)
            .to_owned();
        let backend = self.db.get_database_backend();
        E::Model::find_by_statement(StatementBuilder::build(&outer, &backend)).all(&self.db).await.map_err(Arc::new)
    }
}

/// Turns the N+1 rows of one parent into its page, as `page::fetch` does.
fn finish_page<E: Tenanted>(mut rows: Vec<E::Model>, req: &PageRequest) -> Result<Page<E::Object>, LoadError> {
    let has_more = rows.len() as u64 > req.size;
    rows.truncate(req.size as usize);
    if req.backward {
        rows.reverse();
    }
    let rows = rows
        .into_iter()
        .map(|row| {
            let (at, id) = E::sort_key(&row, req.field);
            Ok((super::page::Cursor { field: req.field, at, id }, E::object(row).map_err(Arc::new)?))
        })
        .collect::<Result<_, LoadError>>()?;
    let (has_previous_page, has_next_page) =
        if req.backward { (has_more, req.before.is_some()) } else { (req.after.is_some(), has_more) };
    Ok(Page { rows, has_previous_page, has_next_page })
}

impl<K: Kind> Loader<ChildCount<K>> for BatchLoader {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, keys: &[ChildCount<K>]) -> Result<HashMap<ChildCount<K>, u64>, LoadError> {
        let mut groups: HashMap<Parent, Vec<Uuid>> = HashMap::new();
        for key in keys {
            groups.entry(key.relation).or_default().push(key.parent);
        }
        let mut out = HashMap::new();
        for (relation, parents) in groups {
            let Some(parent_col) = Table::<K>::parent_column(relation) else { continue };
            let counts: Vec<(Option<Uuid>, i64)> = Table::<K>::find()
                .select_only()
                .column(parent_col)
                .column_as(Table::<K>::id_column().count(), "n")
                .filter(Table::<K>::merchant_column().eq(self.merchant))
                .filter(Table::<K>::listed())
                .filter(parent_col.is_in(parents.iter().copied()))
                .group_by(parent_col)
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(Arc::new)?;
            let counts: HashMap<Uuid, i64> = counts.into_iter().filter_map(|(p, n)| Some((p?, n))).collect();
            for parent in parents {
                let n = counts.get(&parent).copied().unwrap_or(0);
                out.insert(ChildCount::new(parent, relation), u64::try_from(n).unwrap_or(0));
            }
        }
        Ok(out)
    }
}

pub(super) fn uuid_of(value: sea_orm::Value) -> Option<Uuid> {
    <Option<Uuid> as sea_orm::sea_query::ValueType>::try_from(value).ok().flatten()
}
