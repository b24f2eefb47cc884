//! The list resources of the provider binary (`terraform query`, Terraform 1.14+), over the real
//! transport: declared with their filters, and a bad filter refused at its attribute before
//! anything is listed. Listing itself needs AWS: `tests/e2e/tests/list_resources.rs`.

use tfplugin::testing::{LaunchOptions, ProviderProcess};
use tfplugin::values::path::AttributePath;
use tfplugin::values::value::Value;

const BINARY: &str = env!("CARGO_BIN_EXE_terraform-provider-studio");
const LISTS: [&str; 3] = [
    "studio_profile_restore",
    "studio_replication",
    "studio_restore_target",
];

async fn launch() -> ProviderProcess {
    ProviderProcess::launch(BINARY, LaunchOptions::default())
        .await
        .expect("the provider starts and accepts the connection")
}

fn filters(domain: Option<&str>, kind: Option<&str>, prefix: Option<&str>) -> Value {
    Value::object([
        ("domain_name", Value::opt_string(domain)),
        ("kind", Value::opt_string(kind)),
        ("name_prefix", Value::opt_string(prefix)),
    ])
}

#[tokio::test]
async fn the_three_homes_resources_are_listable_with_the_same_filters() {
    let mut provider = launch().await;
    let schema = provider.schema().await.unwrap();
    assert!(schema.diagnostics.is_empty(), "{:?}", schema.diagnostics);
    let mut names: Vec<_> = schema
        .list_resource_schemas
        .keys()
        .map(String::as_str)
        .collect();
    names.sort_unstable();
    assert_eq!(names, LISTS);
    for name in LISTS {
        let block = schema.list_resource_schemas[name].block.as_ref().unwrap();
        assert!(block.description.len() > 50, "{name}");
        let attributes: Vec<_> = block.attributes.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(attributes, ["domain_name", "kind", "name_prefix"], "{name}");
        assert!(
            block
                .attributes
                .iter()
                .all(|a| a.optional && a.description.len() > 20)
        );
        // Terraform reads the results with the identity of the managed type of that name.
        assert!(
            provider.identity_type(name).await.unwrap().is_some(),
            "{name}"
        );
    }
}

#[tokio::test]
async fn bad_filters_are_refused_at_their_attribute() {
    let mut provider = launch().await;
    for name in LISTS {
        let diags = provider
            .validate_list_resource_config(
                name,
                &filters(Some("data-science"), Some("space"), Some("team-")),
            )
            .await
            .unwrap();
        assert!(diags.is_empty(), "{name}: {diags:?}");
        let diags = provider
            .validate_list_resource_config(name, &Value::Null)
            .await
            .unwrap();
        assert!(diags.is_empty(), "{name}: no config block");
        for (bad, attribute, words) in [
            (
                filters(Some("data_science"), None, None),
                "domain_name",
                "a SageMaker name",
            ),
            (filters(None, Some("users"), None), "kind", "users"),
            (
                filters(None, None, Some("-team")),
                "name_prefix",
                "the beginning of a SageMaker name",
            ),
        ] {
            let diags = provider
                .validate_list_resource_config(name, &bad)
                .await
                .unwrap();
            let d = diags
                .iter()
                .next()
                .unwrap_or_else(|| panic!("{name}: {bad:?} refused"));
            assert!(d.is_error());
            assert_eq!(
                d.attribute,
                Some(AttributePath::attribute(attribute)),
                "{name}"
            );
            assert!(
                format!("{} {}", d.summary, d.detail).contains(words),
                "{name}: {d:?}"
            );
        }
        // Listing checks the same rules before it calls AWS (the provider is not even
        // configured here).
        let events = provider
            .list_resource(name, &filters(None, Some("users"), None), true, 10)
            .await
            .unwrap();
        assert_eq!(events.len(), 1, "{name}: {events:?}");
        let d = events[0].diagnostics.iter().next().unwrap();
        assert!(d.is_error() && events[0].identity.is_none());
        assert_eq!(d.attribute, Some(AttributePath::attribute("kind")));
    }
}
