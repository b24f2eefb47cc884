//! Finding out where a home directory is: SageMaker domains, user profiles, spaces and apps.

use aws_sdk_sagemaker::Client;
use aws_smithy_types::DateTime;
use aws_smithy_types::date_time::Format;

use crate::Error;
use crate::home::{HomeDirectory, HomeKey, HomeKind, Uid};
use crate::owner::{Owner, Sharing};
use crate::retry::{RetryPolicy, is_transient, retry};
use tokio_util::sync::CancellationToken;

/// A SageMaker domain, as far as studio-restore cares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    pub id: String,
    pub arn: String,
    pub name: String,
    pub status: String,
    pub auth_mode: String,
    pub home_efs_file_system_id: Option<String>,
    pub vpc_id: Option<String>,
    pub subnet_ids: Vec<String>,
    pub security_group_ids: Vec<String>,
    pub execution_role: Option<String>,
    pub url: Option<String>,
}

/// A user profile or space and its home directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Home {
    pub key: HomeKey,
    pub domain_id: String,
    pub arn: String,
    pub status: String,
    /// `None` while SageMaker has not assigned a uid yet.
    pub directory: Option<HomeDirectory>,
    pub sso_user: Option<String>,
    /// Who the home directory belongs to (see [`crate::owner`]); `None` when SageMaker did not
    /// say enough to tell.
    pub owner: Option<Owner>,
    pub execution_role: Option<String>,
    pub created_at: Option<String>,
}

/// SageMaker's error codes for "no such thing". DescribeDomain on a deleted domain has been
/// seen to answer ValidationException with a "not found" message, so that counts too.
fn is_not_found(err: &Error) -> bool {
    match err {
        Error::Aws {
            code: Some(code),
            message,
            ..
        } => {
            code == "ResourceNotFound"
                || code == "ResourceNotFoundException"
                || (code == "ValidationException"
                    && message.to_ascii_lowercase().contains("not found"))
                || (code == "ValidationException" && message.contains("Could not find"))
        }
        _ => false,
    }
}

/// SageMaker lookups with retries.
#[derive(Debug, Clone)]
pub struct Studio {
    client: Client,
    policy: RetryPolicy,
    cancel: CancellationToken,
}

impl Studio {
    pub fn new(client: Client, policy: RetryPolicy, cancel: CancellationToken) -> Studio {
        Studio {
            client,
            policy,
            cancel,
        }
    }

    /// The domain with this id, or `Error::NotFound`.
    pub async fn domain(&self, domain_id: &str) -> Result<Domain, Error> {
        let out = retry(&self.policy, &self.cancel, is_transient, || async {
            self.client
                .describe_domain()
                .domain_id(domain_id)
                .send()
                .await
                .map_err(|e| Error::aws(format!("describing SageMaker domain {domain_id}"), &e))
        })
        .await
        .map_err(|e| {
            if is_not_found(&e) {
                Error::NotFound(format!(
                    "SageMaker domain {domain_id} does not exist in this account and region"
                ))
            } else {
                e
            }
        })?;
        let settings = out.default_user_settings();
        Ok(Domain {
            id: out.domain_id().unwrap_or(domain_id).to_owned(),
            arn: out.domain_arn().unwrap_or_default().to_owned(),
            name: out
                .domain_name()
                .ok_or_else(|| {
                    Error::Invalid(format!("SageMaker returned no name for domain {domain_id}"))
                })?
                .to_owned(),
            status: out
                .status()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            auth_mode: out
                .auth_mode()
                .map(|s| s.as_str().to_owned())
                .unwrap_or_default(),
            home_efs_file_system_id: out.home_efs_file_system_id().map(str::to_owned),
            vpc_id: out.vpc_id().map(str::to_owned),
            subnet_ids: out.subnet_ids().to_vec(),
            security_group_ids: settings
                .map(|s| s.security_groups().to_vec())
                .unwrap_or_default(),
            execution_role: settings.and_then(|s| s.execution_role()).map(str::to_owned),
            url: out.url().map(str::to_owned),
        })
    }

    /// The domain with this name; an error when there is none or more than one.
    pub async fn domain_by_name(&self, name: &str) -> Result<Domain, Error> {
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = retry(&self.policy, &self.cancel, is_transient, || async {
                self.client
                    .list_domains()
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| Error::aws("listing SageMaker domains", &e))
            })
            .await?;
            ids.extend(
                out.domains()
                    .iter()
                    .filter(|d| d.domain_name() == Some(name))
                    .filter_map(|d| d.domain_id().map(str::to_owned)),
            );
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => break,
            }
        }
        match ids.as_slice() {
            [] => Err(Error::NotFound(format!(
                "no SageMaker domain is named {name:?} in this account and region"
            ))),
            [id] => self.domain(id).await,
            many => Err(Error::Invalid(format!(
                "{} SageMaker domains are named {name:?} ({}): use domain_id instead",
                many.len(),
                many.join(", ")
            ))),
        }
    }

    /// Every domain id in the account and region.
    pub async fn domain_ids(&self) -> Result<Vec<String>, Error> {
        let mut ids = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = retry(&self.policy, &self.cancel, is_transient, || async {
                self.client
                    .list_domains()
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| Error::aws("listing SageMaker domains", &e))
            })
            .await?;
            ids.extend(
                out.domains()
                    .iter()
                    .filter_map(|d| d.domain_id().map(str::to_owned)),
            );
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => return Ok(ids),
            }
        }
    }

    /// The user profile or space `name` in `domain`, or `None` if it does not exist.
    pub async fn home(
        &self,
        domain: &Domain,
        kind: HomeKind,
        name: &str,
    ) -> Result<Option<Home>, Error> {
        let key = HomeKey::new(&domain.name, kind, name)?;
        let what = format!("{kind} {name:?} in SageMaker domain {}", domain.id);
        let result = match kind {
            HomeKind::User => retry(&self.policy, &self.cancel, is_transient, || async {
                self.client
                    .describe_user_profile()
                    .domain_id(&domain.id)
                    .user_profile_name(name)
                    .send()
                    .await
                    .map_err(|e| Error::aws(format!("describing {what}"), &e))
            })
            .await
            .map(|out| RawHome {
                arn: out.user_profile_arn().unwrap_or_default().to_owned(),
                status: out
                    .status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                uid: out.home_efs_file_system_uid().map(str::to_owned),
                sso_user: out.single_sign_on_user_value().map(str::to_owned),
                owner: Owner::of_user(&domain.auth_mode, name, out.single_sign_on_user_value()),
                execution_role: out
                    .user_settings()
                    .and_then(|s| s.execution_role())
                    .map(str::to_owned),
                created_at: out.creation_time().and_then(rfc3339),
            }),
            HomeKind::Space => retry(&self.policy, &self.cancel, is_transient, || async {
                self.client
                    .describe_space()
                    .domain_id(&domain.id)
                    .space_name(name)
                    .send()
                    .await
                    .map_err(|e| Error::aws(format!("describing {what}"), &e))
            })
            .await
            .map(|out| RawHome {
                arn: out.space_arn().unwrap_or_default().to_owned(),
                status: out
                    .status()
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
                uid: out.home_efs_file_system_uid().map(str::to_owned),
                sso_user: None,
                owner: Owner::of_space(
                    &domain.name,
                    out.ownership_settings()
                        .and_then(|o| o.owner_user_profile_name()),
                    out.space_sharing_settings()
                        .and_then(|s| s.sharing_type())
                        .map(|t| match t.as_str() {
                            "Shared" => Sharing::Shared,
                            // Private, or a type this release does not know: someone's files.
                            _ => Sharing::Private,
                        }),
                ),
                execution_role: None,
                created_at: out.creation_time().and_then(rfc3339),
            }),
        };
        let raw = match result {
            Ok(raw) => raw,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let directory = match (&domain.home_efs_file_system_id, raw.uid.as_deref()) {
            (Some(fs), Some(uid)) if !uid.is_empty() => {
                Some(HomeDirectory::new(fs, uid.parse::<Uid>()?)?)
            }
            _ => None,
        };
        Ok(Some(Home {
            key,
            domain_id: domain.id.clone(),
            arn: raw.arn,
            status: raw.status,
            directory,
            sso_user: raw.sso_user,
            owner: raw.owner,
            execution_role: raw.execution_role,
            created_at: raw.created_at,
        }))
    }

    /// Every user profile and space name in a domain.
    pub async fn homes_in(&self, domain_id: &str) -> Result<Vec<(HomeKind, String)>, Error> {
        Ok(self
            .members(domain_id)
            .await?
            .into_iter()
            .map(|(kind, name, _)| (kind, name))
            .collect())
    }

    /// Every user profile and space in a domain, with its status (`InService`, `Deleting`, ...).
    pub async fn members(&self, domain_id: &str) -> Result<Vec<(HomeKind, String, String)>, Error> {
        let mut homes = all_pages(|token| async move {
            let out = retry(&self.policy, &self.cancel, is_transient, || async {
                self.client
                    .list_user_profiles()
                    .domain_id_equals(domain_id)
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| {
                        let what = format!("listing user profiles of SageMaker domain {domain_id}");
                        Error::aws(what, &e)
                    })
            })
            .await?;
            let page = out.user_profiles().iter().filter_map(|p| {
                let status = p.status().map(|s| s.as_str().to_owned());
                Some((
                    HomeKind::User,
                    p.user_profile_name()?.to_owned(),
                    status.unwrap_or_default(),
                ))
            });
            Ok((page.collect(), out.next_token().map(str::to_owned)))
        })
        .await?;
        let spaces = all_pages(|token| async move {
            let out = retry(&self.policy, &self.cancel, is_transient, || async {
                self.client
                    .list_spaces()
                    .domain_id_equals(domain_id)
                    .set_next_token(token.clone())
                    .send()
                    .await
                    .map_err(|e| {
                        Error::aws(
                            format!("listing spaces of SageMaker domain {domain_id}"),
                            &e,
                        )
                    })
            })
            .await?;
            let page = out.spaces().iter().filter_map(|s| {
                let status = s.status().map(|s| s.as_str().to_owned());
                Some((
                    HomeKind::Space,
                    s.space_name()?.to_owned(),
                    status.unwrap_or_default(),
                ))
            });
            Ok((page.collect(), out.next_token().map(str::to_owned)))
        })
        .await?;
        homes.extend(spaces);
        Ok(homes)
    }

    /// True when an app of this profile or space is InService: in Studio Classic the first
    /// app creates the home directory.
    pub async fn has_app_in_service(
        &self,
        domain_id: &str,
        kind: HomeKind,
        name: &str,
    ) -> Result<bool, Error> {
        let mut token: Option<String> = None;
        loop {
            let out = retry(&self.policy, &self.cancel, is_transient, || async {
                let req = self
                    .client
                    .list_apps()
                    .domain_id_equals(domain_id)
                    .set_next_token(token.clone());
                let req = match kind {
                    HomeKind::User => req.user_profile_name_equals(name),
                    HomeKind::Space => req.space_name_equals(name),
                };
                req.send().await.map_err(|e| {
                    Error::aws(
                        format!(
                            "listing the apps of {kind} {name:?} in SageMaker domain {domain_id}"
                        ),
                        &e,
                    )
                })
            })
            .await?;
            if out
                .apps()
                .iter()
                .any(|a| a.status().is_some_and(|s| s.as_str() == "InService"))
            {
                return Ok(true);
            }
            match out.next_token() {
                Some(t) if !t.is_empty() => token = Some(t.to_owned()),
                _ => return Ok(false),
            }
        }
    }
}

struct RawHome {
    arn: String,
    status: String,
    uid: Option<String>,
    sso_user: Option<String>,
    owner: Option<Owner>,
    execution_role: Option<String>,
    created_at: Option<String>,
}

fn rfc3339(t: &DateTime) -> Option<String> {
    t.fmt(Format::DateTime).ok()
}

/// Every item of a paginated listing: `page(token)` fetches one page (the first with `None`) and
/// returns its items and the next token; an absent or empty token ends the listing.
async fn all_pages<T, F, Fut>(mut page: F) -> Result<Vec<T>, Error>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), Error>>,
{
    let mut items = Vec::new();
    let mut token = None;
    loop {
        let (got, next) = page(token.take()).await?;
        items.extend(got);
        match next {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return Ok(items),
        }
    }
}
