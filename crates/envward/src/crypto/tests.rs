use proptest::prelude::*;

use super::*;
use crate::dotenv::Document;

fn scope() -> Scope {
    Scope {
        environment: "production".into(),
        namespace: "security".into(),
    }
}

/// The test vector of docs/encryption.md.
#[test]
fn test_vector() {
    let key = DataKey::from_bytes(core::array::from_fn(|i| i as u8));
    let token = key
        .encrypt_value_with_nonce(&scope(), "SECRET_KEY", "hunter2", [7u8; 24])
        .unwrap();
    assert_eq!(token, VECTOR_TOKEN);
    let raw = key
        .decrypt_value(&scope(), "SECRET_KEY", 1, &token)
        .unwrap();
    assert_eq!(raw.as_str(), "hunter2");
    let recipients =
        vec!["age1qyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqszqgpqyqs3290gq".to_string()];
    let mac = key.mac(
        &scope(),
        &recipients,
        [("DEBUG", "False"), ("SECRET_KEY", token.as_str())],
    );
    assert_eq!(mac, VECTOR_MAC);
    // Bound to its key and scope.
    assert!(key.decrypt_value(&scope(), "OTHER", 1, &token).is_err());
    let staging = Scope {
        environment: "staging".into(),
        namespace: "security".into(),
    };
    assert!(
        key.decrypt_value(&staging, "SECRET_KEY", 1, &token)
            .is_err()
    );
}

/// The associated data built on the stack is the one the format defines,
/// for keys short and long (a long one is built on the heap), and a value
/// decrypts with it either way; errors say which failure, never the value.
#[test]
fn value_cipher_decrypts_with_the_same_associated_data() {
    let key = DataKey::from_bytes([9u8; 32]);
    let cipher = key.value_cipher();
    for name in ["K", "SECRET_KEY", &"LONG_".repeat(60)] {
        let mut stack = [0u8; 256];
        assert_eq!(
            &*associated_data_in(&scope(), name, &mut stack),
            associated_data(&scope(), name).as_slice(),
            "{name}"
        );
        for plain in ["", "hunter2", "ünïcødé ✓ 日本", &"x".repeat(1000)] {
            let token = key.encrypt_value(&scope(), name, plain).unwrap();
            assert_eq!(
                cipher.decrypt(&scope(), name, 3, &token).unwrap().as_str(),
                plain
            );
        }
    }
    let token = key.encrypt_value(&scope(), "K", "SENTINEL-value").unwrap();
    let short = format!("{VALUE_PREFIX}AAAA");
    // One character of the ciphertext changed: still base64, no longer
    // authentic.
    let mut flipped = token.clone().into_bytes();
    let at = VALUE_PREFIX.len() + 30;
    flipped[at] = if flipped[at] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    for (bad, corrupt) in [(format!("{token}!"), true), (short, true), (flipped, false)] {
        let err = cipher.decrypt(&scope(), "K", 3, &bad).unwrap_err();
        assert_eq!(matches!(err, CryptoError::Corrupt { .. }), corrupt, "{err}");
        assert!(!err.to_string().contains("SENTINEL"));
    }
    assert!(matches!(
        cipher.decrypt(&scope(), "OTHER", 3, &token),
        Err(CryptoError::Value { line: 3, .. })
    ));
}

const VECTOR_TOKEN: &str =
    "envward:v1:BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHEoyAJbgyHhOqGZZVYUnKNrua1nVd_S4";
const VECTOR_MAC: &str = "qYGXLl9kGTZ5juT8E4-OkNbRMdjEMVdVsT_-81aoHyw";

fn identities() -> (Identities, String) {
    let (text, recipient) = generate_identity();
    let mut ids = Identities::default();
    ids.add_text(&text, IdentitySource::Variable).unwrap();
    (ids, recipient)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any value (binary-safe text: newlines, quotes, `$`, `#`, unicode)
    /// survives encrypt then decrypt, through the file format.
    #[test]
    fn values_round_trip(values in proptest::collection::vec("[^\u{0}]{0,40}", 1..6)) {
        let (ids, recipient) = identities();
        let mut doc = Document::new();
        for (i, v) in values.iter().enumerate() {
            doc.set(&format!("K{i}_PASSWORD"), v).unwrap();
        }
        let text = rewrite(&doc, &scope(), &[recipient], &ids, KeyPolicy::Keep, |_| Ok(()), |_, _| true).unwrap();
        let sealed = Document::parse(&text).unwrap();
        for e in sealed.entries() {
            prop_assert!(sealed.text(&e.value_span()).starts_with(VALUE_PREFIX));
        }
        let plain = decrypt_document(&sealed, &scope(), &ids).unwrap();
        for (i, v) in values.iter().enumerate() {
            let e = plain.get(&format!("K{i}_PASSWORD")).unwrap();
            prop_assert_eq!(e.template().as_literal().map(|s| s.to_string()), Some(v.clone()));
        }
    }
}

/// Files of 512 entries and more decrypt in parallel: same result, and the
/// first bad value in file order is the one reported.
#[test]
fn the_values_of_a_big_file_decrypt_in_runs_into_one_buffer() {
    let (ids, recipient) = identities();
    let mut doc = Document::new();
    // Some entries in clear, values of every length (a run of 256 entries
    // ends anywhere in them).
    for i in 0..1100 {
        let value = format!("v{i}-{}", "x".repeat(i % 97));
        let key = if i % 3 == 0 {
            format!("PLAIN_{i}")
        } else {
            format!("K{i}_TOKEN")
        };
        doc.set(&key, &value).unwrap();
    }
    let text = rewrite(
        &doc,
        &scope(),
        &[recipient],
        &ids,
        KeyPolicy::Keep,
        |_| Ok(()),
        |e, _| e.key().ends_with("_TOKEN"),
    )
    .unwrap();
    let sealed = Document::parse(&text).unwrap();
    let h = header(&sealed).unwrap().unwrap();
    let opened = open(&sealed, h, &scope(), &ids).unwrap();
    let values = opened.values();
    assert_eq!(values.iter().count(), sealed.entries().len());
    for (i, e) in sealed.entries().iter().enumerate() {
        let want = doc.get(e.key()).unwrap().template().as_literal().unwrap();
        match values.get(i) {
            Some(v) => {
                assert!(e.key().ends_with("_TOKEN"), "{}", e.key());
                assert_eq!(v, want, "{}", e.key());
            }
            None => assert_eq!(sealed.text(&e.value_span()), want, "{}", e.key()),
        }
    }
    assert!(values.get(sealed.entries().len()).is_none());
}

#[test]
fn big_files_decrypt_in_parallel_with_the_first_error_in_order() {
    let (ids, recipient) = identities();
    let mut doc = Document::new();
    for i in 0..700 {
        doc.set(&format!("K{i}_TOKEN"), &format!("value-{i}"))
            .unwrap();
    }
    let text = rewrite(
        &doc,
        &scope(),
        &[recipient],
        &ids,
        KeyPolicy::Keep,
        |_| Ok(()),
        |_, _| true,
    )
    .unwrap();
    let sealed = Document::parse(&text).unwrap();
    let plain = decrypt_document(&sealed, &scope(), &ids).unwrap();
    assert_eq!(
        plain.get("K699_TOKEN").unwrap().template().as_literal(),
        Some("value-699")
    );
    let token = |k: &str| {
        sealed
            .text(&sealed.get(k).unwrap().value_span())
            .to_string()
    };
    let (a, b) = (token("K100_TOKEN"), token("K600_TOKEN"));
    let swapped = text.replace(&a, "@").replace(&b, &a).replace('@', &b);
    let err = decrypt_document(&Document::parse(&swapped).unwrap(), &scope(), &ids).unwrap_err();
    assert!(
        matches!(&err, CryptoError::Value { key, .. } if key == "K100_TOKEN"),
        "{err}"
    );
}
