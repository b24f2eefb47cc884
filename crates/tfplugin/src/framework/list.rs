//! List resources (Terraform 1.14+, `terraform query`): a `list` block in a `.tfquery.hcl` file
//! asks the provider for the objects of one managed resource type that could be brought under
//! management. Each result carries the object's resource identity (Terraform requires it, and
//! writes it into the `import` block of `-generate-config-out`), a display name, and, when the
//! block says `include_resource = true`, the object as a state value of the managed resource
//! type (from which Terraform generates the `resource` block).
//!
//! A list resource is named like the managed resource type it lists, which must have an
//! identity schema. Its [`Schema`] describes the `config` block of the `list` block (the
//! filters).
//!
//! Results are streamed: [`ListResource::list`] sends each one to a [`ListSink`] as soon as it is
//! known, and stops when [`ListSink::send`] says no more are wanted (the block's `limit` was
//! reached, or Terraform stopped listening).

use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::framework::diagnostics::{Diagnostic, Diagnostics};
use crate::framework::provider::Context;
use crate::framework::schema::Schema;
use crate::values::value::Value;

/// One listed object.
#[derive(Debug, Clone, PartialEq)]
pub struct ListResult {
    /// Its resource identity: a wholly known value of the managed resource type's identity
    /// schema.
    pub identity: Value,
    /// How `terraform query` shows it.
    pub display_name: String,
    /// The object as a state of the managed resource type. Sent only when Terraform asked for
    /// it ([`ListSink::include_resource`]); computing it may be skipped otherwise.
    pub resource: Option<Value>,
    /// Warnings about this object.
    pub diagnostics: Diagnostics,
}

/// What the server does with one message of a list.
#[derive(Debug)]
pub(crate) enum ListMessage {
    /// A result.
    Result(ListResult),
    /// Diagnostics without an object (a warning about something not listed, or the errors
    /// that ended the list).
    Diagnostics(Diagnostics),
}

/// Where a list sends its results, in the order they are found.
pub struct ListSink {
    sender: mpsc::Sender<ListMessage>,
    include_resource: bool,
    limit: usize,
    sent: AtomicUsize,
}

impl ListSink {
    /// A sink that passes at most `limit` results to `sender`.
    pub(crate) fn new(
        sender: mpsc::Sender<ListMessage>,
        include_resource: bool,
        limit: usize,
    ) -> ListSink {
        ListSink {
            sender,
            include_resource,
            limit,
            sent: AtomicUsize::new(0),
        }
    }

    /// Whether Terraform wants each object's state (`include_resource = true`).
    pub fn include_resource(&self) -> bool {
        self.include_resource
    }

    /// Whether another result would still be taken: the limit is not reached and Terraform is
    /// listening. A list checks this before expensive work for the next object.
    pub fn wants_more(&self) -> bool {
        self.sent.load(Ordering::SeqCst) < self.limit && !self.sender.is_closed()
    }

    /// Sends one result; `false` when no more are wanted, and the list should stop.
    pub async fn send(&self, mut result: ListResult) -> bool {
        if !self.wants_more() {
            return false;
        }
        if !self.include_resource {
            result.resource = None;
        }
        if self.sender.send(ListMessage::Result(result)).await.is_err() {
            return false;
        }
        self.sent.fetch_add(1, Ordering::SeqCst) + 1 < self.limit
    }

    /// Sends a warning about something that is not listed (it has no identity), so that the
    /// user learns why; `false` when Terraform stopped listening.
    pub async fn warn(&self, warning: Diagnostic) -> bool {
        if !self.wants_more() {
            return false;
        }
        self.sender
            .send(ListMessage::Diagnostics(warning.into()))
            .await
            .is_ok()
    }
}

/// A list resource type.
#[async_trait]
pub trait ListResource: Send + Sync + 'static {
    /// The type name: the managed resource type it lists (`studio_profile_restore`).
    fn type_name(&self) -> &'static str;

    /// The schema of the `config` block of a `list` block: its filters.
    fn schema(&self) -> Schema;

    /// Checks the configuration beyond the schema's validators. Unknown values are possible.
    async fn validate(&self, _config: &Value, _ctx: &Context) -> Diagnostics {
        Diagnostics::new()
    }

    /// Lists the objects that pass `config` (null when the `list` block has no `config` block),
    /// sending each to `sink`, and returns the errors that ended the list early (warnings are
    /// passed on too). Stops when [`ListSink::send`] returns `false`.
    async fn list(&self, config: &Value, sink: &ListSink, ctx: &Context) -> Diagnostics;
}
