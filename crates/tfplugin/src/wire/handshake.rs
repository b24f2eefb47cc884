//! go-plugin's handshake: how Terraform starts a provider and learns where to dial it.
//!
//! Terraform runs the binary with a magic cookie and the protocol versions it speaks in the
//! environment; the provider listens on a Unix socket and prints one line,
//! `1|6|unix|<socket>|grpc|<certificate>`, on stdout. Nothing else may ever reach stdout.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;

/// The variable go-plugin's client sets, and its value for Terraform providers.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
/// Not a secret: it only tells a human who runs the binary that it is a plugin.
pub const MAGIC_COOKIE_VALUE: &str =
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
/// go-plugin's own protocol version, the first handshake field.
pub const CORE_PROTOCOL_VERSION: u32 = 1;
/// The Terraform plugin protocol we serve.
pub const APP_PROTOCOL_VERSION: u32 = 6;

/// How the provider was started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// By Terraform: cookie checked, handshake line printed, AutoMTLS when asked for.
    Managed,
    /// By a developer with `--debug`: plaintext, and the `TF_REATTACH_PROVIDERS` value to use
    /// is printed for a human.
    Debug,
}

impl Mode {
    /// `--debug` (or `-debug`, as Go providers spell it) among the arguments selects debug mode.
    pub fn from_args(mut args: impl Iterator<Item = String>) -> Mode {
        if args.any(|a| a == "--debug" || a == "-debug") {
            Mode::Debug
        } else {
            Mode::Managed
        }
    }
}

/// Why the provider refuses to start.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// Run by hand rather than by Terraform.
    #[error(
        "This binary is a plugin for Terraform: it is started by Terraform, not run directly. \
         Put it in a provider mirror (scripts/install-provider) and run terraform init, \
         or start it with --debug to attach Terraform to it."
    )]
    NotLaunchedByTerraform,
    /// Terraform does not speak protocol 6 (Terraform 0.14 and older).
    #[error(
        "this provider speaks Terraform plugin protocol 6, but the Terraform that started it \
         offers only protocol versions {offered:?}: use Terraform 1.0 or newer"
    )]
    UnsupportedProtocol {
        /// The value of `PLUGIN_PROTOCOL_VERSIONS`.
        offered: String,
    },
    /// Creating the socket or printing the handshake failed.
    #[error("could not {doing}: {source}")]
    Io {
        /// What was being done.
        doing: String,
        /// The underlying error.
        source: std::io::Error,
    },
}

impl HandshakeError {
    pub(crate) fn io(doing: impl Into<String>) -> impl FnOnce(std::io::Error) -> HandshakeError {
        let doing = doing.into();
        move |source| HandshakeError::Io { doing, source }
    }
}

/// What Terraform asked for in the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchEnvironment {
    /// The PEM of Terraform's one-time client certificate: serve mTLS with it when present.
    pub client_cert_pem: Option<String>,
}

/// Checks the environment of a managed start: the cookie, and protocol 6 among the versions
/// Terraform offers.
pub fn check_environment(
    get: impl Fn(&str) -> Option<String>,
) -> Result<LaunchEnvironment, HandshakeError> {
    if get(MAGIC_COOKIE_KEY).as_deref() != Some(MAGIC_COOKIE_VALUE) {
        return Err(HandshakeError::NotLaunchedByTerraform);
    }
    // Terraform before go-plugin's versioned plugins sends nothing: that is protocol 1 only.
    let offered = get("PLUGIN_PROTOCOL_VERSIONS").unwrap_or_default();
    let speaks_ours = offered
        .split(',')
        .any(|v| v.trim().parse::<u32>() == Ok(APP_PROTOCOL_VERSION));
    if !speaks_ours {
        return Err(HandshakeError::UnsupportedProtocol { offered });
    }
    let client_cert_pem = get("PLUGIN_CLIENT_CERT").filter(|pem| !pem.trim().is_empty());
    Ok(LaunchEnvironment { client_cert_pem })
}

/// A private directory holding the provider's Unix socket; removed when dropped.
#[derive(Debug)]
pub struct SocketDir {
    dir: PathBuf,
    socket: PathBuf,
}

/// Socket paths longer than this do not fit `sockaddr_un` on every Unix.
const MAX_SOCKET_PATH: usize = 100;

impl SocketDir {
    /// Creates a fresh, owner-only directory under `PLUGIN_UNIX_SOCKET_DIR`, `TMPDIR` or `/tmp`
    /// (falling back to `/tmp` when the path would be too long for a socket).
    pub fn create() -> Result<SocketDir, HandshakeError> {
        let base = std::env::var_os("PLUGIN_UNIX_SOCKET_DIR")
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        match SocketDir::create_in(&base) {
            Ok(dir) if dir.socket.as_os_str().len() <= MAX_SOCKET_PATH => Ok(dir),
            _ => SocketDir::create_in(Path::new("/tmp")),
        }
    }

    fn create_in(base: &Path) -> Result<SocketDir, HandshakeError> {
        use std::os::unix::fs::DirBuilderExt;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or_default();
        let dir = base.join(format!("tfplugin-{}-{nanos:09}", std::process::id()));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(HandshakeError::io(format!(
                "create the socket directory {}",
                dir.display()
            )))?;
        let socket = dir.join("plugin.sock");
        Ok(SocketDir { dir, socket })
    }

    /// Where the socket is to be bound.
    pub fn socket_path(&self) -> &Path {
        &self.socket
    }
}

impl Drop for SocketDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.socket);
        let _ = std::fs::remove_dir(&self.dir);
    }
}

/// The handshake line for a Unix socket, with our DER certificate in standard base64 without
/// padding (go-plugin decodes it with `RawStdEncoding`) or an empty last field in plaintext.
pub fn handshake_line(socket: &Path, server_cert_der: Option<&[u8]>) -> String {
    let cert = server_cert_der
        .map(|der| base64::engine::general_purpose::STANDARD_NO_PAD.encode(der))
        .unwrap_or_default();
    format!(
        "{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|unix|{}|grpc|{cert}\n",
        socket.display()
    )
}

/// Writes the handshake line to stdout and flushes it.
pub fn announce(line: &str) -> Result<(), HandshakeError> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(line.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(HandshakeError::io("print the handshake line on stdout"))
}

/// The `TF_REATTACH_PROVIDERS` value that attaches Terraform to a provider in debug mode.
/// `Test: true` makes Terraform take `ProtocolVersion` from here (else it assumes 5) and leave
/// the process running after each command.
pub fn reattach_config(provider_address: &str, socket: &Path, pid: u32) -> String {
    serde_json::json!({
        provider_address: {
            "Protocol": "grpc",
            "ProtocolVersion": APP_PROTOCOL_VERSION,
            "Pid": pid,
            "Test": true,
            "Addr": { "Network": "unix", "String": socket.display().to_string() },
        }
    })
    .to_string()
}

/// The text a developer sees in debug mode.
pub fn debug_instructions(provider_address: &str, socket: &Path, pid: u32) -> String {
    format!(
        "Provider started in debug mode. To attach Terraform, set in the shell that runs it:\n\n\
         \tTF_REATTACH_PROVIDERS='{}'\n\n\
         Stop the provider with Ctrl-C.\n",
        reattach_config(provider_address, socket, pid)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn refuses_to_run_without_the_cookie() {
        assert!(matches!(
            check_environment(env(&[("PLUGIN_PROTOCOL_VERSIONS", "6")])),
            Err(HandshakeError::NotLaunchedByTerraform)
        ));
        assert!(matches!(
            check_environment(env(&[(MAGIC_COOKIE_KEY, "nope")])),
            Err(HandshakeError::NotLaunchedByTerraform)
        ));
    }

    #[test]
    fn needs_protocol_6_in_any_order() {
        let ok = check_environment(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_PROTOCOL_VERSIONS", "6,5"),
        ]))
        .unwrap();
        assert_eq!(ok.client_cert_pem, None);
        let old = check_environment(env(&[
            (MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE),
            ("PLUGIN_PROTOCOL_VERSIONS", "4,5"),
        ]));
        assert!(matches!(
            old,
            Err(HandshakeError::UnsupportedProtocol { .. })
        ));
    }

    #[test]
    fn handshake_line_has_six_fields_and_unpadded_base64() {
        let line = handshake_line(Path::new("/tmp/x/plugin.sock"), Some(&[1, 2, 3, 4]));
        assert_eq!(line, "1|6|unix|/tmp/x/plugin.sock|grpc|AQIDBA\n");
        let plain = handshake_line(Path::new("/s"), None);
        assert_eq!(plain, "1|6|unix|/s|grpc|\n");
    }

    #[test]
    fn reattach_config_is_what_terraform_reads() {
        let json: serde_json::Value = serde_json::from_str(&reattach_config(
            "registry.terraform.io/studio-restore/studio",
            Path::new("/tmp/s"),
            42,
        ))
        .unwrap();
        let entry = &json["registry.terraform.io/studio-restore/studio"];
        assert_eq!(entry["Protocol"], "grpc");
        assert_eq!(entry["ProtocolVersion"], 6);
        assert_eq!(entry["Pid"], 42);
        assert_eq!(entry["Test"], true);
        assert_eq!(entry["Addr"]["Network"], "unix");
        assert_eq!(entry["Addr"]["String"], "/tmp/s");
    }

    #[test]
    fn socket_dir_is_removed_on_drop() {
        let dir = SocketDir::create().unwrap();
        let parent = dir.socket_path().parent().unwrap().to_path_buf();
        assert!(parent.is_dir());
        drop(dir);
        assert!(!parent.exists());
    }
}
