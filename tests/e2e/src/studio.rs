//! SageMaker Studio's lifecycle as a test against AWS has to respect it: domains, profiles and
//! spaces are `Pending` before `InService` and `Deleting` before they are gone (a name stays
//! taken until then), and a home directory `/<uid>` exists only once Studio has mounted it, at
//! the first app (see "Recipes for end-to-end tests" in `tests/emulator/README.md`).

use std::time::Duration;

use aws_sdk_sagemaker::Client;
use aws_sdk_sagemaker::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_sagemaker::types::AppType;

use crate::eventually;

/// How long a Studio resource may take to settle. The emulator's delays are a fraction of a
/// second; the bound only keeps a stuck resource from hanging a test on a slow, shared machine.
const SETTLE: Duration = Duration::from_secs(60);

/// The app [`open_studio`] starts: the default Jupyter server, as opening Studio does.
const APP_NAME: &str = "default";

/// A Studio resource with a lifecycle.
#[derive(Clone, Copy, Debug)]
pub enum Studio<'a> {
    Domain(&'a str),
    UserProfile { domain_id: &'a str, name: &'a str },
    Space { domain_id: &'a str, name: &'a str },
}

impl<'a> Studio<'a> {
    pub fn domain(domain_id: &'a str) -> Studio<'a> {
        Studio::Domain(domain_id)
    }

    pub fn user_profile(domain_id: &'a str, name: &'a str) -> Studio<'a> {
        Studio::UserProfile { domain_id, name }
    }

    pub fn space(domain_id: &'a str, name: &'a str) -> Studio<'a> {
        Studio::Space { domain_id, name }
    }

    fn describe_name(&self) -> String {
        match self {
            Studio::Domain(id) => format!("domain {id}"),
            Studio::UserProfile { domain_id, name } => format!("user profile {domain_id}/{name}"),
            Studio::Space { domain_id, name } => format!("space {domain_id}/{name}"),
        }
    }

    /// Its status, or `None` once it is gone (ResourceNotFound).
    async fn status(&self, sagemaker: &Client) -> Option<String> {
        fn gone<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(
            what: &str,
            error: SdkError<E, R>,
        ) -> Option<String> {
            if error.code() == Some("ResourceNotFound") {
                return None;
            }
            panic!("describing {what}: {}", DisplayErrorContext(error));
        }
        let what = self.describe_name();
        match *self {
            Studio::Domain(id) => match sagemaker.describe_domain().domain_id(id).send().await {
                Ok(out) => Some(
                    out.status()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                ),
                Err(e) => gone(&what, e),
            },
            Studio::UserProfile { domain_id, name } => match sagemaker
                .describe_user_profile()
                .domain_id(domain_id)
                .user_profile_name(name)
                .send()
                .await
            {
                Ok(out) => Some(
                    out.status()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                ),
                Err(e) => gone(&what, e),
            },
            Studio::Space { domain_id, name } => match sagemaker
                .describe_space()
                .domain_id(domain_id)
                .space_name(name)
                .send()
                .await
            {
                Ok(out) => Some(
                    out.status()
                        .map(|s| s.as_str().to_owned())
                        .unwrap_or_default(),
                ),
                Err(e) => gone(&what, e),
            },
        }
    }

    fn owner(&self) -> (&'a str, Option<&'a str>, Option<&'a str>) {
        match *self {
            Studio::UserProfile { domain_id, name } => (domain_id, Some(name), None),
            Studio::Space { domain_id, name } => (domain_id, None, Some(name)),
            Studio::Domain(id) => {
                panic!("domain {id} has no apps of its own: open a profile or a space")
            }
        }
    }
}

/// Waits until `what` is `InService` (a new domain, profile or space is `Pending` first); panics
/// if it fails, disappears or does not get there within a minute.
pub async fn wait_in_service(sagemaker: &Client, what: Studio<'_>) {
    let name = what.describe_name();
    eventually(&format!("{name} to be InService"), SETTLE, || async {
        match what.status(sagemaker).await.as_deref() {
            Some("InService") => Some(()),
            Some("Pending" | "Updating") => None,
            other => panic!("waiting for {name} to be InService, it is {other:?}"),
        }
    })
    .await
}

/// Waits until a deleted `what` is gone (Describe says ResourceNotFound): until then it is
/// `Deleting` and its name cannot be used again.
pub async fn wait_until_deleted(sagemaker: &Client, what: Studio<'_>) {
    let name = what.describe_name();
    eventually(&format!("{name} to be deleted"), SETTLE, || async {
        match what.status(sagemaker).await.as_deref() {
            None => Some(()),
            Some("Deleting") => None,
            other => panic!("waiting for {name} to be deleted, it is {other:?} (was it deleted?)"),
        }
    })
    .await
}

/// Deletes a domain, profile or space and waits until it is gone, so that its name can be used
/// again. A profile or space with a live app cannot be deleted: [`close_studio`] it first.
pub async fn delete_and_wait(sagemaker: &Client, what: Studio<'_>) {
    let name = what.describe_name();
    let failed = |e: &dyn std::fmt::Display| -> ! { panic!("deleting {name}: {e}") };
    match what {
        Studio::Domain(id) => {
            if let Err(e) = sagemaker.delete_domain().domain_id(id).send().await {
                failed(&DisplayErrorContext(e));
            }
        }
        Studio::UserProfile { domain_id, name } => {
            if let Err(e) = sagemaker
                .delete_user_profile()
                .domain_id(domain_id)
                .user_profile_name(name)
                .send()
                .await
            {
                failed(&DisplayErrorContext(e));
            }
        }
        Studio::Space { domain_id, name } => {
            if let Err(e) = sagemaker
                .delete_space()
                .domain_id(domain_id)
                .space_name(name)
                .send()
                .await
            {
                failed(&DisplayErrorContext(e));
            }
        }
    }
    wait_until_deleted(sagemaker, what).await;
}

/// Opens Studio for a user profile or a space, as a user does: once it is InService, starts its
/// default Jupyter server app and waits until that is InService. From then on its home directory `/<uid>` exists (Studio
/// creates it, owned by uid:1001, when it first mounts the home).
pub async fn open_studio(sagemaker: &Client, what: Studio<'_>) {
    let (domain_id, profile, space) = what.owner();
    let name = what.describe_name();
    // Studio opens only for a profile or space that is ready.
    wait_in_service(sagemaker, what).await;
    sagemaker
        .create_app()
        .domain_id(domain_id)
        .set_user_profile_name(profile.map(str::to_owned))
        .set_space_name(space.map(str::to_owned))
        .app_type(AppType::JupyterServer)
        .app_name(APP_NAME)
        .send()
        .await
        .unwrap_or_else(|e| panic!("opening Studio for {name}: {}", DisplayErrorContext(e)));
    eventually(
        &format!("the app of {name} to be InService"),
        SETTLE,
        || async {
            let app = sagemaker
                .describe_app()
                .domain_id(domain_id)
                .set_user_profile_name(profile.map(str::to_owned))
                .set_space_name(space.map(str::to_owned))
                .app_type(AppType::JupyterServer)
                .app_name(APP_NAME)
                .send()
                .await
                .unwrap_or_else(|e| {
                    panic!("describing the app of {name}: {}", DisplayErrorContext(e))
                });
            match app.status().map(|s| s.as_str()) {
                Some("InService") => Some(()),
                Some("Pending") => None,
                other => panic!("the app of {name} is {other:?} instead of InService"),
            }
        },
    )
    .await
}

/// Closes Studio for a user profile or a space: deletes each of its apps that is not deleted
/// yet and waits until all are `Deleted`, so that the profile or space can be deleted.
pub async fn close_studio(sagemaker: &Client, what: Studio<'_>) {
    let (domain_id, profile, space) = what.owner();
    let name = what.describe_name();
    let live_apps = || async {
        let mut apps = Vec::new();
        let mut token = None;
        loop {
            let page = sagemaker
                .list_apps()
                .domain_id_equals(domain_id)
                .set_user_profile_name_equals(profile.map(str::to_owned))
                .set_space_name_equals(space.map(str::to_owned))
                .set_next_token(token)
                .send()
                .await
                .unwrap_or_else(|e| {
                    panic!("listing the apps of {name}: {}", DisplayErrorContext(e))
                });
            apps.extend(
                page.apps()
                    .iter()
                    .filter(|a| a.status().is_none_or(|s| s.as_str() != "Deleted"))
                    .cloned(),
            );
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                return apps;
            }
        }
    };
    for app in live_apps().await {
        if app.status().is_some_and(|s| s.as_str() == "Deleting") {
            continue;
        }
        sagemaker
            .delete_app()
            .domain_id(domain_id)
            .set_user_profile_name(profile.map(str::to_owned))
            .set_space_name(space.map(str::to_owned))
            .set_app_type(app.app_type().cloned())
            .set_app_name(app.app_name().map(str::to_owned))
            .send()
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "deleting app {:?} of {name}: {}",
                    app.app_name(),
                    DisplayErrorContext(e)
                )
            });
    }
    eventually(
        &format!("the apps of {name} to be Deleted"),
        SETTLE,
        || async { live_apps().await.is_empty().then_some(()) },
    )
    .await
}
