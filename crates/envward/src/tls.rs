//! What envward's HTTP clients (the OpenBao / Vault source, `probe`)
//! share: the one TLS configuration (the system's roots, or only the
//! certificates of a CA file), the words for a transport error, and the
//! certificate chain a server presents (for `probe.cert-expiry`).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// The certificates of the PEM file `ca`, when given (`None`: the default
/// roots). The error says why the file cannot be used (never its
/// contents).
fn ca_certs(ca: Option<&Path>) -> Result<Option<Vec<ureq::tls::Certificate<'static>>>, String> {
    let Some(path) = ca else {
        return Ok(None);
    };
    let pem = std::fs::read(path).map_err(|e| e.to_string())?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        if let ureq::tls::PemItem::Certificate(c) = item.map_err(|e| e.to_string())? {
            certs.push(c);
        }
    }
    if certs.is_empty() {
        return Err("no certificate in the file".to_string());
    }
    Ok(Some(certs))
}

/// A TLS configuration trusting the certificates of the PEM file `ca`
/// instead of the system's roots when given. The error says why the file
/// cannot be used (never its contents).
pub(crate) fn config(ca: Option<&Path>) -> Result<ureq::tls::TlsConfig, String> {
    let mut tls = ureq::tls::TlsConfig::builder();
    if let Some(certs) = ca_certs(ca)? {
        tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
    }
    Ok(tls.build())
}

/// The certificates `host:port` presents in a TLS handshake (DER, the
/// server's own first, then the intermediates it sends), the chain
/// verified as [`config`]'s clients verify it: the same roots (the CA
/// file's, or the bundled WebPKI roots ureq uses by default), rustls'
/// standard WebPKI verifier, the name checked. ureq keeps the chain of its
/// connections to itself, hence this handshake of its own.
pub(crate) fn peer_chain(
    host: &str,
    port: u16,
    ca: Option<&Path>,
    timeout: Duration,
) -> Result<Vec<Vec<u8>>, String> {
    use std::net::{TcpStream, ToSocketAddrs};

    let mut roots = rustls::RootCertStore::empty();
    match ca_certs(ca)? {
        Some(certs) => {
            roots.add_parsable_certificates(
                certs
                    .iter()
                    .map(|c| rustls::pki_types::CertificateDer::from(c.der())),
            );
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth();
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let name = rustls::pki_types::ServerName::try_from(bare.to_string())
        .map_err(|e| format!("`{bare}` is not a server name: {e}"))?;
    let mut conn =
        rustls::ClientConnection::new(Arc::new(config), name).map_err(|e| e.to_string())?;
    let addr = (bare, port)
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
        .next()
        .ok_or_else(|| "host not found".to_string())?;
    let mut sock = TcpStream::connect_timeout(&addr, timeout).map_err(|e| e.to_string())?;
    sock.set_read_timeout(Some(timeout))
        .and_then(|()| sock.set_write_timeout(Some(timeout)))
        .map_err(|e| e.to_string())?;
    while conn.is_handshaking() {
        conn.complete_io(&mut sock).map_err(|e| e.to_string())?;
    }
    let chain = conn
        .peer_certificates()
        .map(|certs| certs.iter().map(|c| c.as_ref().to_vec()).collect())
        .unwrap_or_default();
    conn.send_close_notify();
    let _ = conn.complete_io(&mut sock);
    Ok(chain)
}

/// A transport error as words: its kind, never a header.
pub(crate) fn transport_error(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Io(io) => io.to_string(),
        ureq::Error::Timeout(_) => "timed out".to_string(),
        ureq::Error::HostNotFound => "host not found".to_string(),
        other => other.to_string(),
    }
}
