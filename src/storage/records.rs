//! Plain objects of one merchant: found by id, inserted whole, saved by their changed
//! columns. For objects whose changes carry no invariant beyond the row itself (customers,
//! links, branding); anything on the money path goes through a transition's typed writes.

use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    Iterable, ModelTrait, QueryFilter,
};

use super::batch::Tenanted;
use super::kinds::Kind;
use crate::domain::MerchantId;

/// Inserts `object` as it is.
pub async fn insert<K>(db: &DatabaseConnection, object: K::Object) -> Result<K::Object, DbErr>
where
    K: Kind,
    Active<K>: ActiveModelTrait<Entity = Table<K>> + ActiveModelBehavior + Send + From<Row<K>>,
    Row<K>: IntoActiveModel<Active<K>>,
{
    Table::<K>::object(insert_row::<Active<K>>(db, Table::<K>::row(object)).await?)
}

/// Writes the columns in which `after` differs from `before` (the object as it was read),
/// and only those: a column something else moves meanwhile (a merchant's event counter, a
/// subscription's period) is never written back stale.
pub async fn save_changes<K>(db: &DatabaseConnection, before: K::Object, after: K::Object) -> Result<K::Object, DbErr>
where
    K: Kind,
    Active<K>: ActiveModelTrait<Entity = Table<K>> + ActiveModelBehavior + Send + From<Row<K>>,
    Row<K>: IntoActiveModel<Active<K>> + Clone,
{
    Table::<K>::object(save_row_changes::<Active<K>>(db, Table::<K>::row(before), Table::<K>::row(after)).await?)
}

/// Inserts a row of a table that hands up rows (the vault's tokens).
pub async fn insert_row<A>(db: &DatabaseConnection, row: Model<A>) -> Result<Model<A>, DbErr>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send + From<Model<A>>,
    Model<A>: IntoActiveModel<A>,
{
    // In a transaction of its own, so an audited change commits with its event.
    let txn = super::begin_write(db).await?;
    let row = A::from(row).insert(&txn).await?;
    super::audit::commit(txn).await?;
    Ok(row)
}

/// [`save_changes`] for a row of a table that hands up rows (a merchant's branding).
pub async fn save_row_changes<A>(db: &DatabaseConnection, before: Model<A>, after: Model<A>) -> Result<Model<A>, DbErr>
where
    A: ActiveModelTrait + ActiveModelBehavior + Send + From<Model<A>>,
    Model<A>: IntoActiveModel<A> + ModelTrait<Entity = A::Entity> + Clone,
{
    let mut row = A::from(before.clone());
    let mut changed = false;
    for column in <A::Entity as EntityTrait>::Column::iter() {
        let value = after.get(column);
        if before.get(column) != value {
            row.set(column, value);
            changed = true;
        }
    }
    if !changed {
        return Ok(before);
    }
    let txn = super::begin_write(db).await?;
    let row = row.update(&txn).await?;
    super::audit::commit(txn).await?;
    Ok(row)
}

type Model<A> = <<A as ActiveModelTrait>::Entity as EntityTrait>::Model;

/// The object `id` of `merchant`; another merchant's reads as missing.
pub async fn find<K: Kind>(
    db: &DatabaseConnection,
    merchant: MerchantId,
    id: uuid::Uuid,
) -> Result<Option<K::Object>, DbErr> {
    Table::<K>::find()
        .filter(Table::<K>::id_column().eq(id))
        .filter(Table::<K>::merchant_column().eq(merchant.0))
        .one(db)
        .await?
        .map(Table::<K>::object)
        .transpose()
}

/// The table a kind is kept in, its rows and their active models.
type Table<K> = <K as Kind>::Table;
type Row<K> = <Table<K> as EntityTrait>::Model;
type Active<K> = <Table<K> as EntityTrait>::ActiveModel;
