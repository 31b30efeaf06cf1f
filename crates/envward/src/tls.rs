//! The one TLS configuration of envward's HTTP clients (the OpenBao /
//! Vault source, `probe`): the system's roots, or only the certificates
//! of a CA file.

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
