//! What the wire tests share: moto with the named patches of tests/moto_patches, an SDK
//! configuration pointed at it explicitly (no process environment, so parallel tests can't race
//! on it), the show's MediaConnect flow, the real binary's environment, and throwaway directories.

use super::moto::Moto;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_dynamodb::config::{Credentials, SharedCredentialsProvider};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const REGION: &str = "us-east-1";
pub const ROLE_ARN: &str = "arn:aws:iam::123456789012:role/MediaLiveAccessRole";
pub const FLOW_NAME: &str = "show-flow";

/// Moto with tests/moto_patches/sitecustomize.py loaded (see that file for each patch and what
/// real AWS does), plus any extra environment.
pub fn patched_moto(extra: &[(&str, String)]) -> Moto {
    let patches = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/moto_patches");
    let mut env = vec![("PYTHONPATH", patches.display().to_string())];
    env.extend(extra.iter().cloned());
    Moto::start_with(&env)
}

pub fn sdk_config(moto: &Moto) -> SdkConfig {
    SdkConfig::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(REGION))
        .endpoint_url(&moto.url)
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            "testing",
            "testing",
            None,
            None,
            "wire-tests",
        )))
        .build()
}

/// The always-on flow of BRIEF §1: an SRT listener on port 9998 with AES-128. Returns its ARN.
pub async fn create_flow(config: &SdkConfig) -> String {
    use aws_sdk_mediaconnect::types::{Algorithm, Encryption, KeyType, Protocol, SetSourceRequest};
    let client = aws_sdk_mediaconnect::Client::new(config);
    let decryption = Encryption::builder()
        .algorithm(Algorithm::Aes128)
        .key_type(KeyType::StaticKey)
        .role_arn("arn:aws:iam::123456789012:role/MediaConnectSecrets")
        .secret_arn("arn:aws:secretsmanager:us-east-1:123456789012:secret:srt-passphrase")
        .build();
    let source = SetSourceRequest::builder()
        .name("videon-edge")
        .protocol(Protocol::SrtListener)
        .ingest_port(9998)
        .whitelist_cidr("0.0.0.0/0")
        .decryption(decryption)
        .build();
    let out = client
        .create_flow()
        .name(FLOW_NAME)
        .source(source)
        .send()
        .await
        .expect("CreateFlow on moto");
    out.flow()
        .and_then(|f| f.flow_arn())
        .expect("a flow ARN")
        .to_string()
}

/// A directory removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("onair-wire-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The whole environment the real binary gets: moto's, onair's, and private XDG and HOME
/// directories, so no profile or config of the machine running the tests leaks in.
pub fn onair_env(moto: &Moto, table: &str, flow_arn: &str, dir: &Path) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = moto
        .aws_env()
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
    let dir = dir.display().to_string();
    env.extend([
        ("ONAIR_TABLE".to_string(), table.to_string()),
        ("ONAIR_FLOW_ARN".to_string(), flow_arn.to_string()),
        ("ONAIR_MEDIALIVE_ROLE_ARN".to_string(), ROLE_ARN.to_string()),
        ("HOME".to_string(), dir.clone()),
        ("XDG_CONFIG_HOME".to_string(), format!("{dir}/config")),
        ("XDG_STATE_HOME".to_string(), format!("{dir}/state")),
        (
            "PATH".to_string(),
            std::env::var("PATH").unwrap_or_default(),
        ),
    ]);
    env
}

/// `onair` with exactly `env` (nothing inherited) and stdin closed.
pub fn onair(args: &[&str], env: &[(String, String)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_onair"));
    command
        .args(args)
        .env_clear()
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(std::process::Stdio::null());
    command
}

/// The stdout of a run of `onair ARGS` that must have exited 0; otherwise fails with both streams.
pub fn succeeded(args: &[&str], out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "onair {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
