//! Times how a provider binary starts as Terraform starts it: spawn to handshake line, to an
//! established (AutoMTLS) connection, one schema call, and Shutdown to exit. Protocol-6
//! providers get `GetProviderSchema`; protocol-5 providers `GetSchema`, whose response is read
//! and skipped. Medians over the iterations; all binaries are measured in the same run.
//!
//! `cargo run -p tfplugin --features testing --example provider_startup -- [--iterations N] BINARY...`

use std::time::{Duration, Instant};

use tfplugin::testing::{LaunchOptions, ProviderProcess};
use tfplugin::wire::proto::tfplugin5_probe;
use tfplugin::wire::proto::tfplugin6 as pb;

struct Sample {
    handshake_line: Duration,
    connected: Duration,
    schema: Duration,
    exit: Duration,
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:8.1} ms", d.as_secs_f64() * 1000.0)
}

async fn sample(binary: &str) -> Result<(Sample, String), Box<dyn std::error::Error>> {
    let mut provider = ProviderProcess::launch(binary, LaunchOptions::default()).await?;
    let protocol = provider.handshake.app_version.clone();
    let started = Instant::now();
    if protocol == "6" {
        provider
            .provider
            .get_provider_schema(pb::get_provider_schema::Request {})
            .await?;
    } else {
        tfplugin5_probe::provider_client::ProviderClient::new(provider.channel.clone())
            .max_decoding_message_size(256 << 20)
            .get_schema(tfplugin5_probe::get_provider_schema::Request {})
            .await?;
    }
    let schema = started.elapsed();
    let stopping = Instant::now();
    // go-plugin servers may drop the connection before answering Shutdown: ignore its result.
    let _ = provider.shutdown().await;
    provider
        .wait_exit(Duration::from_secs(5))
        .await
        .ok_or("the provider did not exit within 5 s of Shutdown")?;
    let exit = stopping.elapsed();
    Ok((
        Sample {
            handshake_line: provider.timings.handshake_line,
            connected: provider.timings.connected,
            schema,
            exit,
        },
        protocol,
    ))
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1).peekable();
    let mut iterations = 5usize;
    let mut binaries = Vec::new();
    while let Some(arg) = args.next() {
        if arg == "--iterations" {
            iterations = args.next().ok_or("--iterations needs a number")?.parse()?;
        } else {
            binaries.push(arg);
        }
    }
    if binaries.is_empty() {
        return Err("usage: provider_startup [--iterations N] BINARY...".into());
    }
    let mut samples: Vec<Vec<Sample>> = binaries.iter().map(|_| Vec::new()).collect();
    let mut protocols = vec![String::new(); binaries.len()];
    // Interleaved, so that load on the machine affects every binary alike.
    for _ in 0..iterations {
        for (i, binary) in binaries.iter().enumerate() {
            let (s, protocol) = sample(binary).await?;
            samples[i].push(s);
            protocols[i] = protocol;
        }
    }
    println!(
        "median of {iterations} runs; times from spawn (excluding the harness's own P-521 key generation)"
    );
    println!(
        "{:<48} {:>5} {:>11} {:>11} {:>11} {:>11}",
        "binary", "proto", "handshake", "connected", "schema rpc", "shutdown"
    );
    for (i, binary) in binaries.iter().enumerate() {
        let s = &samples[i];
        let name = std::path::Path::new(binary)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        println!(
            "{:<48} {:>5} {} {} {} {}",
            name,
            protocols[i],
            ms(median(s.iter().map(|x| x.handshake_line).collect())),
            ms(median(s.iter().map(|x| x.connected).collect())),
            ms(median(s.iter().map(|x| x.schema).collect())),
            ms(median(s.iter().map(|x| x.exit).collect())),
        );
    }
    Ok(())
}
