//! go-plugin's AutoMTLS, server and client side.
//!
//! Terraform generates a one-time P-521 certificate, hands its PEM to the provider in
//! `PLUGIN_CLIENT_CERT`, and trusts exactly the certificate the provider prints in its handshake
//! line. Both certificates are self-signed CA certificates, which webpki refuses as end entities,
//! so each side pins the other's exact DER instead of building a chain. Signatures are checked
//! with the aws-lc-rs provider because ring cannot verify P-521.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};

/// The curve of a generated certificate's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Curve {
    /// What we use for our own server certificate: cheap, and accepted by Go's TLS stack.
    P256,
    /// What Terraform (go-plugin) always uses for its client certificate.
    P521,
}

/// A self-signed certificate and its private key, made to go-plugin's template.
pub struct Identity {
    /// The certificate, DER.
    pub cert: CertificateDer<'static>,
    /// The certificate, PEM (what `PLUGIN_CLIENT_CERT` carries).
    pub cert_pem: String,
    key_pkcs8: Vec<u8>,
}

impl Identity {
    /// Generates a fresh key and a self-signed certificate like go-plugin's: CA, SAN
    /// `localhost`, server and client auth, valid from 30 seconds ago for 30 years.
    pub fn generate(curve: Curve) -> Result<Identity, TlsError> {
        let algorithm = match curve {
            Curve::P256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            Curve::P521 => &rcgen::PKCS_ECDSA_P521_SHA512,
        };
        let key = rcgen::KeyPair::generate_for(algorithm).map_err(TlsError::certificate)?;
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string()])
            .map_err(TlsError::certificate)?;
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "localhost");
        params
            .distinguished_name
            .push(rcgen::DnType::OrganizationName, "studio-restore");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyEncipherment,
            rcgen::KeyUsagePurpose::KeyAgreement,
            rcgen::KeyUsagePurpose::KeyCertSign,
        ];
        params.extended_key_usages = vec![
            rcgen::ExtendedKeyUsagePurpose::ServerAuth,
            rcgen::ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let now = time::OffsetDateTime::now_utc();
        // In the past, so that a peer whose clock is slightly behind still accepts it.
        params.not_before = now - time::Duration::seconds(30);
        params.not_after = now + time::Duration::days(30 * 365);
        params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial()));
        let cert = params.self_signed(&key).map_err(TlsError::certificate)?;
        Ok(Identity {
            cert: cert.der().clone(),
            cert_pem: cert.pem(),
            key_pkcs8: key.serialize_der(),
        })
    }

    /// The private key, for a rustls config.
    pub fn private_key(&self) -> PrivateKeyDer<'static> {
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.key_pkcs8.clone()))
    }
}

/// A positive 128-bit serial number; uniqueness only matters within one run.
fn serial() -> [u8; 16] {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mixed = nanos ^ (u128::from(std::process::id()) << 64);
    let mut bytes = mixed.to_be_bytes();
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    bytes
}

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Generating our certificate failed.
    #[error("could not generate the TLS certificate: {0}")]
    Certificate(String),
    /// `PLUGIN_CLIENT_CERT` holds no usable certificate.
    #[error("PLUGIN_CLIENT_CERT does not hold a PEM certificate: {0}")]
    ClientCertificate(String),
    /// rustls refused the configuration.
    #[error("could not configure TLS: {0}")]
    Config(#[from] rustls::Error),
}

impl TlsError {
    fn certificate(error: rcgen::Error) -> TlsError {
        TlsError::Certificate(error.to_string())
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// The rustls server configuration for AutoMTLS: our identity, ALPN `h2` (grpc-go in Terraform
/// 1.12+ refuses servers without it), and only the client certificate Terraform announced.
pub fn server_config(
    identity: &Identity,
    client_cert_pem: &str,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    let client_cert = CertificateDer::from_pem_slice(client_cert_pem.as_bytes())
        .map_err(|e| TlsError::ClientCertificate(e.to_string()))?;
    let provider = provider();
    let verifier = PinnedClientCert {
        expected: client_cert,
        algorithms: provider.signature_verification_algorithms,
    };
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(vec![identity.cert.clone()], identity.private_key())?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

/// The rustls client configuration a test harness uses to talk to a provider as Terraform does:
/// presents `identity` and trusts exactly `server_cert`.
pub fn client_config(
    identity: &Identity,
    server_cert: CertificateDer<'static>,
) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let provider = provider();
    let verifier = PinnedServerCert {
        expected: server_cert,
        algorithms: provider.signature_verification_algorithms,
    };
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_client_auth_cert(vec![identity.cert.clone()], identity.private_key())?;
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(Arc::new(config))
}

fn pinned(
    expected: &CertificateDer<'_>,
    presented: &CertificateDer<'_>,
) -> Result<(), rustls::Error> {
    if expected.as_ref() == presented.as_ref() {
        Ok(())
    } else {
        Err(rustls::Error::InvalidCertificate(
            rustls::CertificateError::ApplicationVerificationFailure,
        ))
    }
}

/// Accepts only the client certificate whose DER equals the one Terraform announced.
#[derive(Debug)]
struct PinnedClientCert {
    expected: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

/// The handshake-signature checks of a pinned-certificate verifier (client or server side):
/// rustls's own, with the verifier's `algorithms`. Pinning decides which certificate; these
/// decide that its key really signed the handshake.
macro_rules! handshake_signatures {
    () => {
        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.algorithms.supported_schemes()
        }
    };
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        pinned(&self.expected, end_entity).map(|()| ClientCertVerified::assertion())
    }

    handshake_signatures!();
}

/// Accepts only the server certificate printed in the handshake line.
#[derive(Debug)]
struct PinnedServerCert {
    expected: CertificateDer<'static>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for PinnedServerCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        pinned(&self.expected, end_entity).map(|()| ServerCertVerified::assertion())
    }

    handshake_signatures!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_certificates_parse_as_pem() {
        for curve in [Curve::P256, Curve::P521] {
            let identity = Identity::generate(curve).unwrap();
            let parsed = CertificateDer::from_pem_slice(identity.cert_pem.as_bytes()).unwrap();
            assert_eq!(parsed, identity.cert);
        }
    }

    #[test]
    fn server_config_offers_h2_and_pins_the_client() {
        let server = Identity::generate(Curve::P256).unwrap();
        let client = Identity::generate(Curve::P521).unwrap();
        let config = server_config(&server, &client.cert_pem).unwrap();
        assert_eq!(config.alpn_protocols, vec![b"h2".to_vec()]);
        assert!(server_config(&server, "not a certificate").is_err());
    }
}
