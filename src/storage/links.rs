//! Payment links, found by the slug a visit carries.

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use super::entities::payment_link;

/// The link whose URL ends in `slug`, whatever its merchant: a visit carries nothing else.
pub async fn by_slug(db: &DatabaseConnection, slug: &str) -> Result<Option<payment_link::Model>, DbErr> {
    payment_link::Entity::find().filter(payment_link::Column::Slug.eq(slug)).one(db).await
}
