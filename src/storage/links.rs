//! Payment links, found by the slug a visit carries.

use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter};

use super::entities::payment_link;
use crate::domain::link::PaymentLink;

/// The link whose URL ends in `slug`, whatever its merchant: a visit carries nothing else.
pub async fn by_slug(db: &DatabaseConnection, slug: &str) -> Result<Option<PaymentLink>, DbErr> {
    let row = payment_link::Entity::find().filter(payment_link::Column::Slug.eq(slug)).one(db).await?;
    row.map(PaymentLink::try_from).transpose()
}
