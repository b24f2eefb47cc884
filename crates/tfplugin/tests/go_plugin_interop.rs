//! Cross-checks the test harness's side of AutoMTLS against a real go-plugin server: the AWS
//! provider 3.39.0 (protocol 5) from the local mirror, when `scripts/setup` installed it.

use std::path::Path;

use tfplugin::testing::{LaunchOptions, ProviderProcess};
use tfplugin::wire::proto::tfplugin5_probe;

#[tokio::test]
async fn the_harness_speaks_automtls_with_a_go_plugin_provider() {
    let aws = Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../.tools/mirror/registry.terraform.io/hashicorp/aws/3.39.0/linux_amd64/terraform-provider-aws_v3.39.0_x5",
    );
    if !aws.exists() {
        eprintln!("skipped: {} is not installed", aws.display());
        return;
    }
    let mut provider = ProviderProcess::launch(&aws, LaunchOptions::default())
        .await
        .expect("go-plugin accepts our P-521 client certificate and we pin its server certificate");
    assert_eq!(provider.handshake.app_version, "5");
    assert!(provider.handshake.server_cert.is_some());
    tfplugin5_probe::provider_client::ProviderClient::new(provider.channel.clone())
        .max_decoding_message_size(256 << 20)
        .get_schema(tfplugin5_probe::get_provider_schema::Request {})
        .await
        .expect("GetSchema over mTLS with ALPN h2");
    let _ = provider.shutdown().await;
    assert!(
        provider
            .wait_exit(std::time::Duration::from_secs(5))
            .await
            .is_some()
    );
}
