//! Fuzz the .env parser: any bytes either parse or give a located error;
//! an accepted document writes back to the identical bytes, and setting a
//! key keeps the rest parseable.
#![no_main]

use envward::dotenv::Document;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(doc) = Document::parse_bytes(data) else {
        return;
    };
    assert_eq!(doc.source().as_bytes(), data, "lossless round trip");
    // Templates are built when first asked for, from text the parse
    // checked: building every one must not panic.
    for e in doc.entries() {
        let _ = e.template();
    }
    let mut edited = doc.clone();
    if edited.set("FUZZ_KEY", "a b'c\"d$e\n").is_ok() {
        let again = Document::parse(edited.source()).expect("edited document parses");
        assert_eq!(again.get("FUZZ_KEY").and_then(|e| e.template().as_literal()), Some("a b'c\"d$e\n"));
    }
    for e in doc.entries() {
        let _ = edited.unset(e.key());
    }
    // Reading an encrypted file's header never panics, whatever the bytes;
    // neither does opening it with no identity.
    if let Ok(Some(header)) = envward::crypto::header(&doc) {
        let scope = envward::crypto::Scope {
            environment: "production".into(),
            namespace: "common".into(),
        };
        let _ = envward::crypto::open(&doc, header.clone(), &scope, &Default::default());
        let _ = envward::crypto::blank(&doc, &header);
    }
});
