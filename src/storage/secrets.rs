//! Secrets a deployment makes once and every instance shares (the card fingerprint key).

use sea_orm::{ActiveModelTrait, DatabaseConnection, DbErr, EntityTrait, Set};

use super::entities::instance_secret;
use super::is_unique_violation;

/// The secret `name`, made by `make` and stored if there is none yet. Of two instances
/// making it at once, both end with the one stored first.
pub async fn get_or_make(db: &DatabaseConnection, name: &str, make: impl FnOnce() -> String) -> Result<String, DbErr> {
    if let Some(row) = instance_secret::Entity::find_by_id(name.to_owned()).one(db).await? {
        return Ok(row.value);
    }
    let row = instance_secret::ActiveModel {
        name: Set(name.to_owned()),
        value: Set(make()),
        created_at: Set(chrono::Utc::now()),
    };
    match row.insert(db).await {
        Ok(row) => Ok(row.value),
        Err(e) if is_unique_violation(&e) => instance_secret::Entity::find_by_id(name.to_owned())
            .one(db)
            .await?
            .map(|row| row.value)
            .ok_or_else(|| DbErr::RecordNotFound(name.to_owned())),
        Err(e) => Err(e),
    }
}
