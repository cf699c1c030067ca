//! Plain objects of one merchant: found by id, inserted whole, saved by their changed
//! columns. For objects whose changes carry no invariant beyond the row itself (customers,
//! links, branding); anything on the money path goes through a transition's typed writes.

use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, IntoActiveModel,
    Iterable, ModelTrait, PrimaryKeyTrait, QueryFilter,
};

use super::batch::Tenanted;
use crate::domain::MerchantId;

/// Inserts `object` as it is.
pub async fn insert<E>(db: &DatabaseConnection, object: E::Object) -> Result<E::Object, DbErr>
where
    E: Tenanted,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send + From<E::Model>,
    E::Model: IntoActiveModel<E::ActiveModel>,
{
    E::object(insert_row::<E::ActiveModel>(db, E::row(object)).await?)
}

/// Writes the columns in which `after` differs from `before` (the object as it was read),
/// and only those: a column something else moves meanwhile (a merchant's event counter, a
/// subscription's period) is never written back stale.
pub async fn save_changes<E>(db: &DatabaseConnection, before: E::Object, after: E::Object) -> Result<E::Object, DbErr>
where
    E: Tenanted,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send + From<E::Model>,
    E::Model: IntoActiveModel<E::ActiveModel> + Clone,
{
    E::object(save_row_changes::<E::ActiveModel>(db, E::row(before), E::row(after)).await?)
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
pub async fn find<E>(
    db: &DatabaseConnection,
    merchant: MerchantId,
    id: <E::PrimaryKey as PrimaryKeyTrait>::ValueType,
) -> Result<Option<E::Object>, DbErr>
where
    E: Tenanted,
{
    E::find_by_id(id).filter(E::merchant_column().eq(merchant.0)).one(db).await?.map(E::object).transpose()
}
