//! The running emulator: where it is, SDK clients for it, and its EFS root.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::Credentials;
use serde_json::Value;

/// The region everything is created in.
pub const REGION: &str = "us-east-1";
/// The account the emulator reports (moto's default).
pub const ACCOUNT_ID: &str = "123456789012";

/// The emulator's extensions (`tests/emulator/studio_emulator`) the end-to-end tests rely on.
/// Without one, a test would meet moto's own, kinder or missing behaviour: the harness refuses
/// to run rather than let such a test pass or fail for the wrong reason.
const NEEDED_EXTENSIONS: &[&str] = &[
    "control",
    "efs",
    "sagemaker",
    "cloudtrail",
    "datasync",
    "lambdas",
];

/// How long a request may wait for the emulator's answer. One Python process serves a lane's
/// every AWS call, Lambda and copy; on a loaded 2-core CI machine (three lanes side by side, one
/// of them running 150 restores) a trivial control request once waited over 60 s, and once never
/// got an answer on its connection at all (300 s) while the emulator kept serving others.
const CONTROL_ANSWER_TIMEOUT: Duration = Duration::from_secs(300);

/// A request to the emulator's own `/studio-emulator/` endpoints (switches, counters: each one
/// idempotent) that gets no answer within this long is sent again on a new connection, until
/// [`CONTROL_ANSWER_TIMEOUT`] has passed.
const CONTROL_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(30);

const HOW_TO_START: &str = "the end-to-end tests need the emulator: run them with scripts/test \
     (it starts one), or start one yourself with \
     `scripts/emulator start && eval \"$(scripts/emulator env)\"` and run \
     `cargo test -p studio-e2e -- --include-ignored`";

/// The emulator the tests run against (see `scripts/emulator`).
#[derive(Clone, Debug)]
pub struct Emulator {
    endpoint: String,
    address: String,
    efs_root: PathBuf,
}

/// One SDK client per service the tests drive, all pointed at the emulator.
#[derive(Clone, Debug)]
pub struct Clients {
    pub sagemaker: aws_sdk_sagemaker::Client,
    pub datasync: aws_sdk_datasync::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub sfn: aws_sdk_sfn::Client,
    pub efs: aws_sdk_efs::Client,
    pub lambda: aws_sdk_lambda::Client,
    pub eventbridge: aws_sdk_eventbridge::Client,
}

impl Emulator {
    /// The emulator that `eval "$(scripts/emulator env)"` describes: its URL from
    /// `STUDIO_EMULATOR_URL` (or `AWS_ENDPOINT_URL`), its EFS root from `STUDIO_EFS_ROOT`.
    /// Panics, saying how to start one, when they are unset or nothing answers there.
    pub fn from_env() -> Emulator {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let endpoint = var("STUDIO_EMULATOR_URL")
            .or_else(|| var("AWS_ENDPOINT_URL"))
            .unwrap_or_else(|| {
                panic!("neither STUDIO_EMULATOR_URL nor AWS_ENDPOINT_URL is set: {HOW_TO_START}")
            });
        let efs_root = var("STUDIO_EFS_ROOT")
            .unwrap_or_else(|| panic!("STUDIO_EFS_ROOT is not set: {HOW_TO_START}"));
        let emulator = Emulator::new(&endpoint, Path::new(&efs_root));
        emulator.check_reachable();
        emulator.check_extensions();
        emulator
    }

    /// The emulator at `endpoint` (`http://127.0.0.1:PORT`) whose EFS root is `efs_root`.
    pub fn new(endpoint: &str, efs_root: &Path) -> Emulator {
        let endpoint = endpoint.trim_end_matches('/').to_string();
        let rest = endpoint.strip_prefix("http://").unwrap_or_else(|| {
            panic!("the emulator URL {endpoint} is not http://HOST:PORT: {HOW_TO_START}")
        });
        let authority = rest.split('/').next().unwrap_or(rest);
        let address = if authority.contains(':') {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        Emulator {
            endpoint,
            address,
            efs_root: efs_root.to_path_buf(),
        }
    }

    fn check_reachable(&self) {
        let reachable = self
            .address
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .is_some_and(|addr| TcpStream::connect_timeout(&addr, Duration::from_secs(2)).is_ok());
        if !reachable {
            panic!(
                "nothing answers at {} (from the environment): {HOW_TO_START}",
                self.endpoint
            );
        }
    }

    /// Panics unless the server is our emulator with every extension the tests need loaded.
    fn check_extensions(&self) {
        let (status, body) = self.request("GET", "/studio-emulator/health", &[], b"");
        if status != 200 {
            panic!(
                "{} answers, but is not the studio emulator (GET /studio-emulator/health: HTTP \
                 {status}): {HOW_TO_START}",
                self.endpoint
            );
        }
        let health: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
        let loaded: Vec<&str> = health["extensions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let missing = missing_extensions(&loaded);
        if !missing.is_empty() {
            panic!(
                "the emulator at {} runs without the extension(s) {missing:?} that the end-to-end \
                 tests need (its health: {body}); its log says why each was skipped",
                self.endpoint
            );
        }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The directory under which each emulated EFS file system `fs-…` is a directory.
    pub fn efs_root(&self) -> &Path {
        &self.efs_root
    }

    /// The local directory that is the root of the emulated EFS file system `file_system_id`.
    pub fn efs_dir(&self, file_system_id: &str) -> PathBuf {
        assert!(
            file_system_id.starts_with("fs-") && !file_system_id.contains('/'),
            "{file_system_id:?} is not an EFS file system id"
        );
        self.efs_root.join(file_system_id)
    }

    /// The home directory `/<uid>` on the emulated file system `file_system_id`.
    pub fn home_dir(&self, file_system_id: &str, uid: &str) -> PathBuf {
        assert!(
            !uid.is_empty() && uid.bytes().all(|b| b.is_ascii_digit()),
            "{uid:?} is not a HomeEfsFileSystemUid"
        );
        self.efs_dir(file_system_id).join(uid)
    }

    /// The SDK configuration for the emulator: its endpoint, [`REGION`], test credentials, and
    /// few retries so that an unimplemented call fails fast.
    pub async fn sdk_config(&self) -> SdkConfig {
        aws_config::defaults(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new("test", "test", None, None, "studio-e2e"))
            .retry_config(aws_config::retry::RetryConfig::standard().with_max_attempts(2))
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(120))
                    .build(),
            )
            .load()
            .await
    }

    /// SDK clients for every service the tests use.
    pub async fn clients(&self) -> Clients {
        let config = self.sdk_config().await;
        Clients {
            sagemaker: aws_sdk_sagemaker::Client::new(&config),
            datasync: aws_sdk_datasync::Client::new(&config),
            dynamodb: aws_sdk_dynamodb::Client::new(&config),
            sfn: aws_sdk_sfn::Client::new(&config),
            efs: aws_sdk_efs::Client::new(&config),
            lambda: aws_sdk_lambda::Client::new(&config),
            eventbridge: aws_sdk_eventbridge::Client::new(&config),
        }
    }

    /// The environment a child process (Terraform, the provider, a script) needs to reach the
    /// emulator through the standard AWS chain: endpoint, region and test credentials.
    pub fn child_env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint.clone()),
            ("STUDIO_EMULATOR_URL", self.endpoint.clone()),
            ("STUDIO_EFS_ROOT", self.efs_root.display().to_string()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", REGION.into()),
            ("AWS_DEFAULT_REGION", REGION.into()),
            ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ]
    }

    /// `GET /studio-emulator/health`.
    pub fn health(&self) -> Value {
        self.json("GET", "/studio-emulator/health", None)
    }

    /// `GET /studio-emulator/invocations`: how many times each Lambda function's code ran, by
    /// function name (`{"total": n, "functions": {name: n}}`), since the emulator started.
    pub fn invocations(&self) -> Value {
        self.json("GET", "/studio-emulator/invocations", None)
    }

    /// `POST /studio-emulator/config`: merges `update` into the emulator's switches and returns
    /// them. They are global to the emulator, and test binaries' tests run in parallel: a test
    /// that changes them belongs in a test file of its own (cargo runs test binaries one after
    /// another) and must restore them before it ends.
    /// DataSync tasks: `{"tasks": <existing now>, "tasks_peak": <most at once since the peak
    /// was restarted>}`.
    pub fn datasync_tasks(&self) -> Value {
        self.json("GET", "/studio-emulator/datasync", None)
    }

    /// Restarts the DataSync task peak from the tasks that exist now.
    pub fn restart_datasync_peak(&self) -> Value {
        self.json(
            "POST",
            "/studio-emulator/datasync",
            Some(&serde_json::json!({})),
        )
    }

    pub fn configure(&self, update: &Value) -> Value {
        self.json("POST", "/studio-emulator/config", Some(update))
    }

    /// Creates the IAM role `name` (trusted by Lambda) and returns its ARN. Lambda's
    /// CreateFunction in the emulator, as in AWS, wants a role that exists.
    pub fn create_role(&self, name: &str) -> String {
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
        self.query(
            "iam",
            &[
                ("Action", "CreateRole"),
                ("Version", "2010-05-08"),
                ("RoleName", name),
                ("AssumeRolePolicyDocument", policy),
            ],
        );
        format!("arn:aws:iam::{ACCOUNT_ID}:role/{name}")
    }

    /// One call of an AWS Query-protocol API (IAM, SQS, SNS, STS...) with `params` (including
    /// `Action` and `Version`), for services the tests have no SDK crate for. Returns the XML
    /// answer; panics with it when the status is not 200. The emulator routes the request by
    /// the service named in the (unsigned) Authorization header.
    pub fn query(&self, service: &str, params: &[(&str, &str)]) -> String {
        let body = params
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=test/20260101/{REGION}/{service}/aws4_request, \
             SignedHeaders=host, Signature=0"
        );
        let (status, response) = self.request(
            "POST",
            "/",
            &[
                ("Authorization", auth.as_str()),
                ("Content-Type", "application/x-www-form-urlencoded"),
            ],
            body.as_bytes(),
        );
        if status != 200 {
            panic!("{service} {params:?} in the emulator: HTTP {status}\n{response}");
        }
        response
    }

    fn json(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let body = body.map(Value::to_string).unwrap_or_default();
        let (status, response) = self.request(
            method,
            path,
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        );
        if status != 200 {
            panic!(
                "{method} {}{path}: HTTP {status}\n{response}",
                self.endpoint
            );
        }
        serde_json::from_str(&response).unwrap_or_else(|e| {
            panic!(
                "{method} {}{path}: the answer is not JSON ({e}):\n{response}",
                self.endpoint
            )
        })
    }

    /// One plain HTTP/1.0 exchange (so the answer is never chunked): status and body. A control
    /// request (idempotent) is sent again when an attempt gets no answer; anything else (an AWS
    /// call through the Query API) is sent once.
    fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String) {
        let control = path.starts_with("/studio-emulator/");
        let attempt_timeout = if control {
            CONTROL_ATTEMPT_TIMEOUT
        } else {
            CONTROL_ANSWER_TIMEOUT
        };
        let started = std::time::Instant::now();
        let mut attempts = 0;
        loop {
            attempts += 1;
            match self.exchange(method, path, headers, body, attempt_timeout) {
                Ok(answer) => return answer,
                Err(e)
                    if is_timeout(&e) && control && started.elapsed() < CONTROL_ANSWER_TIMEOUT =>
                {
                    eprintln!(
                        "studio-e2e: {method} {}{path}: no answer within {attempt_timeout:?} \
                         (attempt {attempts}); sending it again",
                        self.endpoint
                    );
                }
                Err(e) if is_timeout(&e) => panic!(
                    "{method} {}{path}: no answer within {:?} ({attempts} attempt(s)): {e}",
                    self.endpoint,
                    started.elapsed()
                ),
                Err(e) => panic!("{method} {}{path}: {e}: {HOW_TO_START}", self.endpoint),
            }
        }
    }

    /// One attempt of [`Emulator::request`] on a connection of its own.
    fn exchange(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        timeout: Duration,
    ) -> std::io::Result<(u16, String)> {
        let mut stream = TcpStream::connect(&self.address)?;
        stream.set_read_timeout(Some(timeout))?;
        let mut head = format!(
            "{method} {path} HTTP/1.0\r\nHost: {}\r\nContent-Length: {}\r\n",
            self.address,
            body.len()
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        stream.write_all(head.as_bytes())?;
        stream.write_all(body)?;
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw)?;
        let raw = String::from_utf8_lossy(&raw);
        let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "{method} {}{path}: no HTTP status in {head:?}",
                    self.endpoint
                )
            });
        Ok((status, body.to_string()))
    }
}

/// A read that timed out (the socket's read timeout shows as WouldBlock on Linux).
fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// The needed extensions not in `loaded`.
fn missing_extensions(loaded: &[&str]) -> Vec<&'static str> {
    NEEDED_EXTENSIONS
        .iter()
        .copied()
        .filter(|needed| !loaded.contains(needed))
        .collect()
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn form_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_endpoint() {
        let emulator = Emulator::new("http://127.0.0.1:4641/", Path::new("/tmp/efs"));
        assert_eq!(emulator.endpoint(), "http://127.0.0.1:4641");
        assert_eq!(emulator.address, "127.0.0.1:4641");
        assert_eq!(
            emulator.home_dir("fs-0123", "200005"),
            Path::new("/tmp/efs/fs-0123/200005")
        );
    }

    #[test]
    #[should_panic(expected = "not a HomeEfsFileSystemUid")]
    fn refuses_a_path_as_uid() {
        Emulator::new("http://127.0.0.1:1", Path::new("/e")).home_dir("fs-1", "../x");
    }

    #[test]
    fn an_emulator_without_datasync_is_refused() {
        assert_eq!(
            missing_extensions(&["control", "efs", "sagemaker", "cloudtrail", "lambdas"]),
            ["datasync"]
        );
        assert!(missing_extensions(NEEDED_EXTENSIONS).is_empty());
    }

    #[test]
    fn form_encodes_json() {
        assert_eq!(form_encode(r#"{"a":"b c"}"#), "%7B%22a%22%3A%22b%20c%22%7D");
    }
}
