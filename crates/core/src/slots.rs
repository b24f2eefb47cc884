//! One DataSync budget for the account: a counting semaphore in the restore workflow's slots
//! table (`modules/restore-workflow`), taken by every engine before it creates anything in
//! DataSync and given back after everything it created is deleted, so that at no moment more
//! restores hold DataSync tasks than the cap.
//!
//! Two items:
//! - [`SLOTS_ITEM`]: `running` (N), how many slots are held, and one attribute per holder,
//!   named after it (a workflow execution's name, or a provider run's owner value,
//!   [`crate::sweep::provider_owner`]), holding when it took the slot;
//! - [`LIMIT_ITEM`]: `limit` (N), the cap, written by the module from its
//!   `max_concurrent_restores` (which the workflow's `AcquireSlot` state also gets).
//!
//! A holder that died without giving its slot back (a stopped execution, a killed provider) is
//! freed by the reconciler, which asks whether the holder still runs.

use std::time::Duration;

use aws_sdk_dynamodb::types::AttributeValue;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::Error;
use crate::retry::{RetryPolicy, is_transient, retry};

/// The semaphore's item.
pub const SLOTS_ITEM: &str = "datasync-tasks";
/// The item that holds the cap.
pub const LIMIT_ITEM: &str = "datasync-limit";
/// Attributes of [`SLOTS_ITEM`] that are not holders.
const NOT_HOLDERS: &[&str] = &["id", "running"];

/// The slots table.
#[derive(Debug, Clone)]
pub struct Slots {
    dynamodb: aws_sdk_dynamodb::Client,
    table: String,
    policy: RetryPolicy,
}

/// A held slot; give it back with [`Slot::release`].
#[derive(Debug)]
pub struct Slot {
    slots: Slots,
    holder: String,
}

impl Slots {
    pub fn new(
        dynamodb: aws_sdk_dynamodb::Client,
        table: impl Into<String>,
        policy: RetryPolicy,
    ) -> Slots {
        Slots {
            dynamodb,
            table: table.into(),
            policy,
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// The cap, from [`LIMIT_ITEM`].
    pub async fn limit(&self) -> Result<u32, Error> {
        let table = &self.table;
        let out = retry(
            &self.policy,
            &CancellationToken::new(),
            is_transient,
            || async {
                self.dynamodb
                    .get_item()
                    .table_name(table)
                    .key("id", AttributeValue::S(LIMIT_ITEM.into()))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(|e| {
                        Error::aws(format!("reading the DataSync cap in table {table}"), &e)
                    })
            },
        )
        .await?;
        out.item()
            .and_then(|item| item.get("limit"))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| {
                Error::Invalid(format!(
                    "table {table} holds no DataSync cap (item {LIMIT_ITEM:?} with a number `limit`): is it the slots table of modules/restore-workflow?"
                ))
            })
    }

    /// Takes a slot for `holder`, waiting (capped backoff with jitter) while all are taken,
    /// until `deadline` or `cancel`.
    pub async fn acquire(
        &self,
        holder: &str,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<Slot, Error> {
        let limit = self.limit().await?;
        let mut wait = Duration::from_millis(500);
        loop {
            let table = &self.table;
            let taken = retry(&self.policy, cancel, is_transient, || async {
                let res = self
                    .dynamodb
                    .update_item()
                    .table_name(table)
                    .key("id", AttributeValue::S(SLOTS_ITEM.into()))
                    .update_expression("SET #holder = :entered ADD #running :one")
                    .condition_expression(
                        "(attribute_not_exists(#running) OR #running < :limit) AND attribute_not_exists(#holder)",
                    )
                    .expression_attribute_names("#running", "running")
                    .expression_attribute_names("#holder", holder)
                    .expression_attribute_values(":one", AttributeValue::N("1".into()))
                    .expression_attribute_values(":limit", AttributeValue::N(limit.to_string()))
                    .expression_attribute_values(
                        ":entered",
                        AttributeValue::S(crate::records::now_rfc3339()),
                    )
                    .send()
                    .await;
                match res {
                    Ok(_) => Ok(true),
                    Err(e)
                        if e.as_service_error()
                            .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
                    {
                        Ok(false)
                    }
                    Err(e) => Err(Error::aws(
                        format!("taking a DataSync slot in table {table}"),
                        &e,
                    )),
                }
            })
            .await?;
            if taken {
                return Ok(Slot {
                    slots: self.clone(),
                    holder: holder.to_owned(),
                });
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Timeout(format!(
                    "all {limit} DataSync slots of table {} stayed taken until the create timeout ran out: other restores are copying; apply again later, or raise max_concurrent_restores",
                    self.table
                )));
            }
            let sleep = RetryPolicy {
                max_attempts: u32::MAX,
                base: wait,
                cap: wait,
            }
            .delay(0)
            .max(Duration::from_millis(100))
            .min(deadline - now);
            tracing::debug!(holder, ?sleep, "every DataSync slot is taken; waiting");
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = cancel.cancelled() => {
                    return Err(Error::Cancelled("while waiting for a free DataSync slot".into()));
                }
            }
            // Short enough that a restore waiting here is not overtaken forever by workflow
            // executions, which try again every few seconds too.
            wait = (wait * 2).min(Duration::from_secs(3));
        }
    }

    /// Who holds a slot now.
    pub async fn holders(&self) -> Result<Vec<String>, Error> {
        let table = &self.table;
        let out = retry(
            &self.policy,
            &CancellationToken::new(),
            is_transient,
            || async {
                self.dynamodb
                    .get_item()
                    .table_name(table)
                    .key("id", AttributeValue::S(SLOTS_ITEM.into()))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(|e| {
                        Error::aws(format!("reading the DataSync slots in table {table}"), &e)
                    })
            },
        )
        .await?;
        Ok(out
            .item()
            .map(|item| {
                item.keys()
                    .filter(|k| !NOT_HOLDERS.contains(&k.as_str()))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Makes the counter agree with the holders again, should it ever have drifted (an edit by
    /// hand, a writer outside this code): every take and give-back changes both together, so
    /// the holders are the truth. Conditional on the counter not having moved since it was
    /// read (any take or release in between keeps the drift as it was, and the next run fixes
    /// it). Returns the counter before and after, when it changed it.
    pub async fn recount(&self) -> Result<Option<(i64, usize)>, Error> {
        let table = &self.table;
        let cancel = CancellationToken::new();
        let out = retry(&self.policy, &cancel, is_transient, || async {
            self.dynamodb
                .get_item()
                .table_name(table)
                .key("id", AttributeValue::S(SLOTS_ITEM.into()))
                .consistent_read(true)
                .send()
                .await
                .map_err(|e| Error::aws(format!("reading the DataSync slots in table {table}"), &e))
        })
        .await?;
        let Some(item) = out.item() else {
            return Ok(None);
        };
        let holders = item
            .keys()
            .filter(|k| !NOT_HOLDERS.contains(&k.as_str()))
            .count();
        let running = item.get("running").and_then(|v| v.as_n().ok()).cloned();
        let counted = running.as_deref().and_then(|n| n.parse::<i64>().ok());
        if counted == Some(holders as i64) || (counted.is_none() && holders == 0) {
            return Ok(None);
        }
        let res = retry(&self.policy, &cancel, is_transient, || async {
            let mut update = self
                .dynamodb
                .update_item()
                .table_name(table)
                .key("id", AttributeValue::S(SLOTS_ITEM.into()))
                .update_expression("SET #running = :holders")
                .expression_attribute_names("#running", "running")
                .expression_attribute_values(":holders", AttributeValue::N(holders.to_string()));
            update = match &running {
                Some(n) => update
                    .condition_expression("#running = :read")
                    .expression_attribute_values(":read", AttributeValue::N(n.clone())),
                None => update.condition_expression("attribute_not_exists(#running)"),
            };
            match update.send().await {
                Ok(_) => Ok(true),
                Err(e)
                    if e.as_service_error()
                        .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
                {
                    Ok(false)
                }
                Err(e) => Err(Error::aws(
                    format!("recounting the DataSync slots in table {table}"),
                    &e,
                )),
            }
        })
        .await?;
        Ok(res.then(|| (counted.unwrap_or(0), holders)))
    }

    /// Gives `holder`'s slot back, if it holds one (a second release frees nothing).
    pub async fn free(&self, holder: &str) -> Result<(), Error> {
        let table = &self.table;
        retry(
            &self.policy,
            &CancellationToken::new(),
            is_transient,
            || async {
                let res = self
                    .dynamodb
                    .update_item()
                    .table_name(table)
                    .key("id", AttributeValue::S(SLOTS_ITEM.into()))
                    .update_expression("REMOVE #holder ADD #running :minus_one")
                    .condition_expression("attribute_exists(#holder)")
                    .expression_attribute_names("#holder", holder)
                    .expression_attribute_names("#running", "running")
                    .expression_attribute_values(":minus_one", AttributeValue::N("-1".into()))
                    .send()
                    .await;
                match res {
                    Ok(_) => Ok(()),
                    Err(e)
                        if e.as_service_error()
                            .is_some_and(|s| s.is_conditional_check_failed_exception()) =>
                    {
                        Ok(())
                    }
                    Err(e) => Err(Error::aws(
                        format!("giving back the DataSync slot of {holder} in table {table}"),
                        &e,
                    )),
                }
            },
        )
        .await
    }
}

impl Slot {
    pub fn holder(&self) -> &str {
        &self.holder
    }

    /// Gives the slot back. Runs after the caller's cancellation (the provider's Ctrl-C) too (its own retry budget).
    pub async fn release(self) -> Result<(), Error> {
        self.slots.free(&self.holder).await
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_workflow_takes_and_gives_back_the_same_slots_item() {
        let asl = include_str!("../../../modules/restore-workflow/definition.asl.json");
        let key = format!(
            "\"Key\": {{ \"id\": {{ \"S\": \"{}\" }} }}",
            super::SLOTS_ITEM
        );
        assert_eq!(
            asl.matches(&key).count(),
            2,
            "AcquireSlot and ReleaseSlot use {key}"
        );
        let module = include_str!("../../../modules/restore-workflow/main.tf");
        assert!(
            module.contains(&format!("\"{}\"", super::LIMIT_ITEM)),
            "the module writes the cap into {}",
            super::LIMIT_ITEM
        );
    }
}
