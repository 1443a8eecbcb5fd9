//! Heartlock's database: embedded migrations and one repository API over
//! SQLite and PostgreSQL. Every query is written once, in SQL both databases
//! accept (`$N` placeholders, TEXT/BIGINT columns), and runs through sqlx's
//! `Any` driver. The store persists ciphertext only and never decides
//! permissions.
mod audit;
mod audited;
mod browsers;
mod cli_login_codes;
mod connect;
mod dump;
mod encrypted;
mod error;
mod group_grants;
mod invitations;
mod member_environments;
pub mod notify;
mod oidc;
mod outbox;
mod pool;
mod projects;
mod push;
mod rls;
mod secrets;
mod server_secrets;
mod server_settings;
mod sessions;
mod shares;
#[cfg(feature = "testing")]
pub mod testing;
mod throttle;
mod tokens;
mod users;
mod watches;
mod web_sessions;

pub use audit::{AUDIT_COUNT_CAP, AuditFilter, AuditPage};
pub use browsers::BrowserSighting;
pub use cli_login_codes::CliLoginCode;
pub use connect::{Backend, DbTarget, PoolStats, Store, StoreOptions, TxActor, create_private_dir};
pub use dump::{
    ColumnKind, DumpColumn, DumpTable, DumpValue, Snapshot, TableRows, schema as dump_schema,
};
pub use encrypted::{EncryptedColumn, EncryptedRow};
pub use error::StoreError;
pub use group_grants::{GroupGrantRecord, ReachFilter};
pub use invitations::{Acceptance, InvitationRecord, NewInvitation};
pub use outbox::{NewOutboxMessage, OutboxCounts, OutboxMessage};
pub use projects::{EnvironmentRecord, NewProject, ProjectRecord};
pub use push::PushSubscriptionRecord;
pub use secrets::{Author, SecretWrite, StoredSecret, StoredVersion, WrittenVersion};
pub use server_settings::{ServerSetting, ServerSettings};
pub use sessions::{NewRefresh, RefreshOutcome, SessionRecord};
pub use shares::{ConsumedShare, NewShareRecord, ShareCounts, ShareRecord};
pub use tokens::TokenRecord;
pub use users::{NewUser, UserRecord};
pub use watches::{WatchListing, WatchRecord};
pub use web_sessions::{NewWebSession, WebSessionRecord};

pub type Result<T, E = StoreError> = std::result::Result<T, E>;
