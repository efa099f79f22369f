//! The organization's apps (issue 10, "Organization and apps"): creating one (its row, its first
//! key and its wallet in one database transaction), giving it a new key (the old one keeps
//! working [`KEY_OVERLAP`](crate::store::apps::KEY_OVERLAP), or less as the caller says), and
//! changing an
//! app's own settings in one transaction that the settings' event joins. The rows are
//! [`crate::store::apps`]'.

use crate::db::{begin_write, Db};
use crate::error::Error;
use crate::ledger::open_app_wallet_in;
use crate::store::apps::{
    find_app, insert_app, new_credentials, rotate_key, settings, update_settings as write_settings,
    NewAppRow,
};
use crate::store::webhooks::record_app_updated;
use crate::webhooks::wake;
use chrono::{DateTime, Duration, Utc};
use payout_model::{App, AppSettings, AppSettingsPatch, NewApp};
use uuid::Uuid;

/// A new app of `organization` named as `new` asks, at `now`, with fresh credentials and a
/// wallet holding the sandbox's opening balance; the answer carries its api key, the only time
/// it is shown.
pub(crate) async fn create_app(
    db: &Db,
    organization: &str,
    new: &NewApp,
    now: DateTime<Utc>,
) -> Result<App, Error> {
    let id = Uuid::new_v4();
    let (client_id, api_key) = new_credentials();
    let mut tx = begin_write(db).await?;
    let row = NewAppRow {
        id,
        organization_id: organization,
        name: new.name.trim(),
        client_id: &client_id,
        api_key: &api_key,
    };
    insert_app(&mut tx, &row, now).await?;
    open_app_wallet_in(&mut tx, id, now).await?;
    let mut app = find_app(&mut tx, organization, id).await?;
    tx.commit().await?;
    tracing::info!(app_id = %id, "created an app");
    app.api_key = Some(api_key);
    Ok(app)
}

/// A new api key for app `app_id` of `organization`, at `now`; the keys it had keep working
/// for `overlap` more (24 hours by default), none longer than they already would. The answer
/// carries the new key, the only time it is shown.
pub(crate) async fn create_key(
    db: &Db,
    organization: &str,
    app_id: Uuid,
    now: DateTime<Utc>,
    overlap: Duration,
) -> Result<App, Error> {
    // A write transaction from the start: on SQLite a transaction that reads first cannot
    // always write later (another writer may have committed meanwhile).
    let mut tx = begin_write(db).await?;
    let mut app = find_app(&mut tx, organization, app_id).await?;
    let (_, api_key) = new_credentials();
    rotate_key(&mut tx, app_id, &api_key, now, overlap).await?;
    tx.commit().await?;
    tracing::info!(%app_id, "rotated an app's api key");
    app.api_key = Some(api_key);
    Ok(app)
}

/// Changes app `app_id`'s settings as `patch` (checked on arrival) says, in one database
/// transaction, and answers them as they are now. Flows created and sessions minted from now on
/// follow them: the embed allow-list (`frame-ancestors`, the host origin), the default fee
/// party and the flow payout minimum are read per flow and per request. A patch that changes
/// nothing (`{}`, or the values the app already has) records no `app.updated` event.
pub(crate) async fn update_settings(
    db: &Db,
    app_id: Uuid,
    patch: &AppSettingsPatch,
    now: DateTime<Utc>,
) -> Result<AppSettings, Error> {
    let mut tx = begin_write(db).await?;
    let before = settings(&mut tx, app_id).await?;
    write_settings(&mut tx, app_id, patch).await?;
    let current = settings(&mut tx, app_id).await?;
    if current == before {
        tx.commit().await?;
        return Ok(current);
    }
    // The change and its `app.updated` event commit together (issue 10).
    record_app_updated(&mut tx, app_id, &current, now).await?;
    tx.commit().await?;
    wake();
    Ok(current)
}
