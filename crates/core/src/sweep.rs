//! Ownership tags, and the sweeper that removes what a stopped restore left behind.
//!
//! Every object a restore creates (DataSync locations, task and task execution, EFS access
//! point), whichever engine creates it, carries one tag, [`OWNER_TAG`], whose value names the
//! restore's owner, the one party whose liveness decides whether the object is still in use:
//!
//! - a restore workflow execution: its ARN (`arn:<partition>:states:<region>:<account>:execution:<state machine>:<name>`),
//!   alive while Step Functions says it is `RUNNING`;
//! - a provider restore: `provider/<restore id>/<table>/<run>`, alive while the lease it holds on
//!   the target's row of mapping table `<table>` (8 hex digits of its name's SHA-256) is held by
//!   run `<run>` and has not expired; `<table>` is `-` when the provider has no mapping table,
//!   and then only a later run of the same restore (same restore id) removes what it left.
pub const OWNER_TAG: &str = "studio-restore:owner";
