//! `terraform-provider-studio`: started by Terraform, or with `--debug` by a developer.

use std::process::ExitCode;
use std::sync::Arc;

use terraform_provider_studio::{ADDRESS, StudioProvider};
use tfplugin::wire::handshake::Mode;
use tfplugin::wire::serve::{ServeOptions, serve};

#[tokio::main]
async fn main() -> ExitCode {
    tfplugin::wire::logging::init();
    let options = ServeOptions {
        address: ADDRESS.to_owned(),
        mode: Mode::from_args(std::env::args().skip(1)),
    };
    let result = serve(Arc::new(StudioProvider::new()), options).await;
    let code = match result {
        Ok(()) => 0,
        Err(error) => {
            eprintln!("terraform-provider-studio: {error}");
            1
        }
    };
    // Exit now rather than wait for abandoned calls: Terraform kills a plugin that lingers.
    std::process::exit(code)
}
