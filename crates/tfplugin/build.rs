//! Compiles our protocol definitions with protox (pure Rust, no protoc on the machine) and
//! generates the tonic services and clients from the descriptor set.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "proto/tfplugin6.proto",
        "proto/go_plugin.proto",
        "proto/health.proto",
        "proto/tfplugin5_probe.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(files, ["proto"])?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .build_transport(false)
        .generate_default_stubs(true)
        .compile_fds(descriptors)?;
    Ok(())
}
