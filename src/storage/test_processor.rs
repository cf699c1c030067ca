//! The test processor's books (see `processor::test_processor`).

use sea_orm::sea_query::OnConflict;
use sea_orm::{DatabaseConnection, DbErr, EntityTrait, Set};

use super::entities::test_processor_record;

/// The record of `kind` known by `key`.
pub async fn get(db: &DatabaseConnection, kind: &str, key: &str) -> Result<Option<String>, DbErr> {
    let row = test_processor_record::Entity::find_by_id((kind.to_owned(), key.to_owned())).one(db).await?;
    Ok(row.map(|r| r.value))
}

/// Writes the record of `kind` known by `key`, in place of any before.
pub async fn put(db: &DatabaseConnection, kind: &str, key: &str, value: &str) -> Result<(), DbErr> {
    let row = test_processor_record::ActiveModel {
        kind: Set(kind.to_owned()),
        record_key: Set(key.to_owned()),
        value: Set(value.to_owned()),
        updated_at: Set(chrono::Utc::now()),
    };
    let upsert = OnConflict::columns([test_processor_record::Column::Kind, test_processor_record::Column::RecordKey])
        .update_columns([test_processor_record::Column::Value, test_processor_record::Column::UpdatedAt])
        .to_owned();
    test_processor_record::Entity::insert(row).on_conflict(upsert).exec(db).await?;
    Ok(())
}

/// Every record of `kind`, by key.
pub async fn all(db: &DatabaseConnection, kind: &str) -> Result<Vec<(String, String)>, DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    let rows =
        test_processor_record::Entity::find().filter(test_processor_record::Column::Kind.eq(kind)).all(db).await?;
    Ok(rows.into_iter().map(|r| (r.record_key, r.value)).collect())
}

/// Removes the record of `kind` known by `key`, if it holds `value` still.
pub async fn remove(db: &DatabaseConnection, kind: &str, key: &str, value: &str) -> Result<(), DbErr> {
    use sea_orm::{ColumnTrait, QueryFilter};
    test_processor_record::Entity::delete_many()
        .filter(test_processor_record::Column::Kind.eq(kind))
        .filter(test_processor_record::Column::RecordKey.eq(key))
        .filter(test_processor_record::Column::Value.eq(value))
        .exec(db)
        .await?;
    Ok(())
}
