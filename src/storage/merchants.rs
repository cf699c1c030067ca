//! Merchants and their keys.

use sea_orm::{DatabaseConnection, DbErr, EntityTrait};

use super::entities::merchant;
use crate::domain::MerchantId;

pub async fn merchant(db: &DatabaseConnection, id: MerchantId) -> Result<Option<merchant::Model>, DbErr> {
    merchant::Entity::find_by_id(id.0).one(db).await
}
