//! What envward's HTTP clients (the OpenBao / Vault source, `probe`)
//! share: the one TLS configuration (the system's roots, or only the
//! certificates of a CA file) and the words for a transport error.

use std::path::Path;

/// A TLS configuration trusting the certificates of the PEM file `ca`
/// instead of the system's roots when given. The error says why the file
/// cannot be used (never its contents).
pub(crate) fn config(ca: Option<&Path>) -> Result<ureq::tls::TlsConfig, String> {
    let mut tls = ureq::tls::TlsConfig::builder();
    if let Some(path) = ca {
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
        tls = tls.root_certs(ureq::tls::RootCerts::new_with_certs(&certs));
    }
    Ok(tls.build())
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
