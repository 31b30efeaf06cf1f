use super::*;
use proptest::prelude::*;

fn value(doc: &Document, key: &str) -> String {
    doc.get(key)
        .unwrap_or_else(|| panic!("{key} missing"))
        .template()
        .as_literal()
        .expect("literal")
        .to_string()
}

#[test]
fn basic_forms() {
    let src = "\u{feff}# c\n\nexport A=1\nB = two words  # note\nC='lit $X \\n'\nD=\"a\\nb\"\nE=\nF=x#y\n";
    let doc = Document::parse(src).unwrap();
    assert_eq!(doc.source(), src);
    assert_eq!(value(&doc, "A"), "1");
    assert!(doc.get("A").unwrap().export());
    assert_eq!(value(&doc, "B"), "two words");
    assert_eq!(
        doc.text(doc.get("B").unwrap().comment().as_ref().unwrap()),
        "# note"
    );
    assert_eq!(value(&doc, "C"), "lit $X \\n");
    assert_eq!(value(&doc, "D"), "a\nb");
    assert_eq!(value(&doc, "E"), "");
    assert_eq!(value(&doc, "F"), "x#y");
    assert_eq!(doc.get("F").unwrap().line(), 8);
    assert_eq!(doc.comments().len(), 1);
}

#[test]
fn multiline_and_crlf() {
    let src = "A=\"one\r\ntwo\"\r\nB='x\r\ny'\r\nC=3\r\n";
    let doc = Document::parse(src).unwrap();
    assert_eq!(value(&doc, "A"), "one\ntwo");
    assert_eq!(value(&doc, "B"), "x\ny");
    assert_eq!(value(&doc, "C"), "3");
    assert_eq!(doc.get("C").unwrap().line(), 5);
    assert!(doc.uses_crlf());
}

#[test]
fn error_positions() {
    let cases = [
        ("A=1\nFOO\n", ParseErrorKind::MissingEquals, 2, 4),
        ("A=\"abc\n", ParseErrorKind::UnterminatedQuote, 1, 3),
        ("A='abc\n", ParseErrorKind::UnterminatedQuote, 1, 3),
        ("A=\"x\"y\n", ParseErrorKind::TrailingCharacters, 1, 6),
        ("1A=x\n", ParseErrorKind::InvalidKey, 1, 1),
        ("  K@Y=x\n", ParseErrorKind::InvalidKey, 1, 4),
        ("A=${B\n", ParseErrorKind::UnterminatedReference, 1, 3),
        ("A=é${}\n", ParseErrorKind::InvalidReference, 1, 4),
    ];
    for (src, kind, line, column) in cases {
        let err = Document::parse(src).unwrap_err();
        assert_eq!(
            (err.kind, err.line, err.column),
            (kind, line, column),
            "{src:?}"
        );
    }
}

#[test]
fn trailing_text_after_a_multiline_value_points_back_to_its_start() {
    let err = Document::parse("A=1\nMSG=\"abc\nB=2\nX=\"x\"y\n").unwrap_err();
    assert_eq!(
        (err.kind, err.line, err.column),
        (ParseErrorKind::TrailingCharacters, 4, 4)
    );
    let text = err.diagnostic().render(false);
    assert!(
        text.contains("the quoted value of `MSG` opened at line 2"),
        "{text}"
    );
}

#[test]
fn bad_bytes() {
    let err = Document::parse_bytes(b"A=1\nB=\xff\n").unwrap_err();
    assert_eq!(
        (err.kind, err.line, err.column, err.offset),
        (ParseErrorKind::InvalidUtf8, 2, 3, 6)
    );
    let err = Document::parse_bytes(b"A=1\0\n").unwrap_err();
    assert_eq!(
        (err.kind, err.line, err.column),
        (ParseErrorKind::NulByte, 1, 4)
    );
}

#[test]
fn values_are_not_quoted_in_errors() {
    let err = Document::parse("DB_PASSWORD=\"hunter2-sentinel\nX=1\n").unwrap_err();
    let text = err.diagnostic().render(false);
    assert!(!text.contains("hunter2-sentinel"), "{text}");
    // The structure stays: the key, `=`, the quote the caret points at.
    assert!(text.contains("DB_PASSWORD=\"****************"), "{text}");
    let err = Document::parse("API_TOKEN=\"line1\nsentinel-two ${oops\n").unwrap_err();
    let text = err.diagnostic().render(false);
    assert!(!text.contains("sentinel-two"), "{text}");
    // Whatever the key: a value is never quoted.
    let err = Document::parse("HOST=\"x\"y\n").unwrap_err();
    assert!(err.diagnostic().render(false).contains("HOST=\"*\"*"));
}

#[test]
fn edit_preserves_other_bytes() {
    let src = "# top\r\nexport A=1 # keep\r\nB='x'\r\n";
    let mut doc = Document::parse(src).unwrap();
    doc.set("A", "new value").unwrap();
    assert_eq!(
        doc.source(),
        "# top\r\nexport A='new value' # keep\r\nB='x'\r\n"
    );
    doc.set("C", "it's").unwrap();
    assert_eq!(
        doc.source(),
        "# top\r\nexport A='new value' # keep\r\nB='x'\r\nC=\"it's\"\r\n"
    );
    assert!(doc.unset("B").unwrap());
    assert_eq!(
        doc.source(),
        "# top\r\nexport A='new value' # keep\r\nC=\"it's\"\r\n"
    );
    assert!(doc.rename("A", "Z").unwrap());
    assert_eq!(
        doc.source(),
        "# top\r\nexport Z='new value' # keep\r\nC=\"it's\"\r\n"
    );
    assert!(matches!(doc.rename("Z", "C"), Err(EditError::KeyExists(_))));
    assert!(!doc.unset("NOPE").unwrap());
}

#[test]
fn set_before_comment_keeps_comment() {
    let mut doc = Document::parse("A= # why\nB=1").unwrap();
    doc.set("A", "v").unwrap();
    assert_eq!(doc.source(), "A= v # why\nB=1");
    doc.set("C", "2").unwrap();
    assert_eq!(doc.source(), "A= v # why\nB=1\nC=2\n");
}

#[test]
fn huge_line_and_many_lines() {
    // The sizes the issue names: a 100 MB single line and a million lines.
    let big = format!("A={}\n", "x".repeat(100 << 20));
    let doc = Document::parse(&big).unwrap();
    assert_eq!(
        doc.get("A").unwrap().template().as_literal().unwrap().len(),
        100 << 20
    );
    drop(doc);
    let quoted = format!("A=\"{}\"\n", "y".repeat(100 << 20));
    assert!(Document::parse(&quoted).is_ok());
    let many: String = (0..1_000_000).map(|i| format!("K{i}=v{i}\n")).collect();
    let doc = Document::parse(&many).unwrap();
    assert_eq!(doc.entries().len(), 1_000_000);
    assert_eq!(doc.entries()[999_999].line(), 1_000_000);
}

fn line_strategy() -> impl Strategy<Value = String> {
    let key = "[A-Za-z_][A-Za-z0-9_.-]{0,8}";
    let unquoted = "[^\n\r'\"#$\\\\ \t\0]{0,12}";
    prop_oneof![
        Just(String::new()),
        "[ \t]{0,3}#[^\n\0]{0,20}".prop_map(|s| s),
        (key, unquoted, "( #[^\n\0]{0,10})?").prop_map(|(k, v, c)| format!("{k}={v}{c}")),
        (key, "[^'\0]{0,20}").prop_map(|(k, v)| format!("export {k}='{v}'")),
        (key, "([^\"\\\\$\0]|\\\\[nrt\"\\\\$a])*").prop_map(|(k, v)| format!("{k} = \"{v}\"")),
        (key, "[A-Z]{1,4}").prop_map(|(k, r)| format!("{k}=${{{r}:-d}}x")),
    ]
}

proptest! {
    #[test]
    fn round_trip_is_lossless(lines in prop::collection::vec(line_strategy(), 0..20), crlf: bool, bom: bool, final_nl: bool) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut src = if bom { "\u{feff}".to_string() } else { String::new() };
        src.push_str(&lines.join(nl));
        if final_nl { src.push_str(nl); }
        if let Ok(doc) = Document::parse(&src) {
            prop_assert_eq!(doc.source(), src.as_str());
        }
    }

    #[test]
    fn arbitrary_input_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Document::parse_bytes(&bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(text in "[=\"'$\\\\{}#:?+ \tA-Z\r\n-]{0,60}") {
        if let Ok(doc) = Document::parse(&text) {
            prop_assert_eq!(doc.source(), text.as_str());
        }
    }

    #[test]
    fn set_round_trips_any_value(value in "[^\0]{0,40}", start in "(# c\n)?(A=1\n)?") {
        let mut doc = Document::parse(&start).unwrap();
        doc.set("KEY", &value).unwrap();
        let reparsed = Document::parse(doc.source()).unwrap();
        prop_assert_eq!(reparsed.get("KEY").unwrap().template().as_literal(), Some(value.as_str()));
        doc.set("KEY", "other").unwrap();
        doc.set("KEY", &value).unwrap();
        prop_assert_eq!(doc.get("KEY").unwrap().template().as_literal(), Some(value.as_str()));
    }
}

/// The literal parts of `key`'s template: (text, where it is).
fn literals(doc: &Document, key: &str) -> Vec<(String, &'static str)> {
    doc.get(key)
        .unwrap()
        .template()
        .parts()
        .iter()
        .filter_map(|p| match p {
            Part::Literal(l) => Some((l.to_string(), l.kind())),
            Part::Ref(_) => None,
        })
        .collect()
}

#[test]
fn text_written_as_is_is_not_copied() {
    let src = "A=plain value $5 x\nB='single $X \\n'\nC=\"double ${R:-word} tail\"\nD=\"esc\\n $$ d\"\nE=a$${R}b\nF=\"x\r\ny\"\n";
    let doc = Document::parse(src).unwrap();
    assert_eq!(literals(&doc, "A"), [("plain value $5 x".into(), "source")]);
    assert_eq!(literals(&doc, "B"), [("single $X \\n".into(), "source")]);
    assert_eq!(
        literals(&doc, "C"),
        [("double ".into(), "source"), (" tail".into(), "source")]
    );
    let word = &doc.get("C").unwrap().template().refs()[0].word;
    assert_eq!(word.as_literal(), Some("word"));
    // Decoded text is a literal's own (zeroized when it drops).
    assert_eq!(literals(&doc, "D"), [("esc\n $ d".into(), "own")]);
    assert_eq!(literals(&doc, "E"), [("a${R}b".into(), "own")]);
    // A CRLF inside quotes is read as LF: a copy.
    assert_eq!(literals(&doc, "F"), [("x\ny".into(), "own")]);
}

#[test]
fn a_template_outlives_its_document() {
    let doc = Document::parse("A=kept after the drop ${B} and more\n").unwrap();
    let copy = doc.clone();
    let template = doc.get("A").unwrap().template().clone();
    drop(doc);
    drop(copy);
    let texts: Vec<_> = template
        .parts()
        .iter()
        .filter_map(|p| match p {
            Part::Literal(l) => Some(l.as_str()),
            Part::Ref(_) => None,
        })
        .collect();
    assert_eq!(texts, ["kept after the drop ", " and more"]);
}

#[test]
fn edits_read_back_from_the_new_source() {
    let mut doc = Document::parse("A=first value\nB='second value'\n").unwrap();
    let before = doc.clone();
    doc.set("A", "changed value").unwrap();
    doc.unset("B").unwrap();
    doc.set("C", "it's new").unwrap();
    assert_eq!(value(&doc, "A"), "changed value");
    assert!(doc.get("B").is_none());
    assert_eq!(value(&doc, "C"), "it's new");
    // The clone taken before still reads its own source.
    assert_eq!(value(&before, "A"), "first value");
    assert_eq!(value(&before, "B"), "second value");
}

#[test]
fn entry_estimate_counts_lines_that_can_hold_an_entry() {
    assert_eq!(estimate_entries(b""), 0);
    assert_eq!(estimate_entries(b"A=1\nB=2\n"), 2);
    assert_eq!(estimate_entries(b"# c\n\n  \n  # d\r\nA=1\r\n"), 1);
    let big = "# section\nK=v\n".repeat(100_000);
    let estimate = estimate_entries(big.as_bytes());
    assert!((100_000..=104_000).contains(&estimate), "{estimate}");
    // Short lines first, then one long line: at most one per three bytes.
    let skewed = format!("{}A={}\n", "K=\n".repeat(30_000), "x".repeat(1 << 20));
    assert!(estimate_entries(skewed.as_bytes()) <= skewed.len() / 3 + 1);
}

proptest! {
    /// Literal parts sliced from the shared source read exactly as the same
    /// template parsed from a copy of the value, and errors are the same.
    #[test]
    fn shared_and_copied_templates_agree(
        value in "[a-z$\\\\{}:?+\"nt -]{0,40}",
        double: bool,
    ) {
        let mode = if double { template::Mode::Double } else { template::Mode::Unquoted };
        let src = format!("KEY={value}");
        let shared = literal::Shared::new(src.clone());
        let from_source = template::parse(&mut Reader::source(&shared), 4, src.len(), mode);
        let checked = template::parse(&mut Reader::checking(&src), 4, src.len(), mode);
        // Checking finds the same errors, and builds nothing.
        prop_assert_eq!(checked.clone().err(), from_source.clone().err());
        prop_assert!(checked.is_err() || checked == Ok(Template::default()));
        let from_copy = template::parse(&mut Reader::copied(&src), 4, src.len(), mode);
        prop_assert_eq!(&from_source, &from_copy);
        if let Ok(t) = from_source {
            // Without references, the text is the value with escapes decoded.
            if !value.contains('$') && !value.contains('\\') {
                prop_assert_eq!(t.as_literal(), Some(value.as_str()));
            }
        }
    }
}

proptest! {
    /// The closing quote found jumping from quote to quote is the one a
    /// scan that steps over each backslash and the byte after it finds.
    #[test]
    fn closing_quote_matches_a_scan_over_escapes(text in "[a\\\\\"]{0,24}", from in 0usize..3) {
        let bytes = text.as_bytes();
        let from = from.min(bytes.len());
        let mut i = from;
        let expected = loop {
            match bytes.get(i) {
                None => break None,
                Some(b'"') => break Some(i),
                Some(b'\\') => i += 2,
                Some(_) => i += 1,
            }
        };
        prop_assert_eq!(find_closing_double(bytes, from), expected);
    }
}

proptest! {
    /// An unquoted value read with one search (no `$` in it) ends where
    /// the general reading ends it and reads the same.
    #[test]
    fn plain_unquoted_values_read_as_templates_do(value in "[ax #\t$\\\\\r\n=]{0,16}", blank: bool) {
        let src = format!("K={}{value}", if blank { " " } else { "" });
        let Ok(doc) = Document::parse(&src) else { return Ok(()) };
        let entry = &doc.entries()[0];
        // The general reading: line end, comment, blanks, then the template.
        let bytes = src.as_bytes();
        let start = 2 + bytes[2..].iter().take_while(|&&b| is_blank(b)).count();
        let blank = start > 2;
        let nl = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let line_end = if nl > start && bytes[nl - 1] == b'\r' && nl < bytes.len() { nl - 1 } else { nl };
        let mut end = line_end;
        if blank && bytes.get(start) == Some(&b'#') {
            end = start;
        } else if let Some(h) = find_comment_start(&bytes[start..line_end]) {
            end = start + h;
        }
        while end > start && is_blank(bytes[end - 1]) {
            end -= 1;
        }
        prop_assert_eq!(entry.value_span().clone(), start..end);
        let expected = template::parse(&mut Reader::copied(&src), start, end, template::Mode::Unquoted).unwrap();
        prop_assert_eq!(entry.template(), &expected);
    }
}

#[test]
fn an_entry_is_small() {
    // A large file has many: 72 bytes each (136 with the key, the column,
    // the quote and 64-bit offsets stored, and the template built eagerly).
    assert!(
        std::mem::size_of::<Entry>() <= 72,
        "{}",
        std::mem::size_of::<Entry>()
    );
}

#[test]
fn entry_fields_are_read_from_the_source() {
    let src = "\t export\t\tKEY = 'v' # note\nB=\"x\"\n  C=\nexport=1\nD=é # c\n";
    let doc = Document::parse(src).unwrap();
    let e = doc.get("KEY").unwrap();
    assert_eq!((e.key(), e.line(), e.column()), ("KEY", 1, 11));
    assert!(e.export());
    assert_eq!(e.quote(), Quote::Single);
    assert_eq!(doc.text(&e.value_span()), "'v'");
    assert_eq!(doc.text(&e.comment().unwrap()), "# note");
    assert_eq!(doc.text(&e.span()), "\t export\t\tKEY = 'v' # note");
    let b = doc.get("B").unwrap();
    assert_eq!(
        (b.quote(), b.export(), b.comment()),
        (Quote::Double, false, None)
    );
    let c = doc.get("C").unwrap();
    assert_eq!(
        (c.column(), c.quote(), c.value_span().len()),
        (3, Quote::None, 0)
    );
    assert_eq!(c.template().as_literal(), Some(""));
    // `export=1` is the key `export`, not the prefix.
    let x = doc.get("export").unwrap();
    assert!(!x.export());
    assert_eq!(x.template().as_literal(), Some("1"));
    assert_eq!(doc.text(&doc.get("D").unwrap().comment().unwrap()), "# c");
}

#[test]
fn a_template_is_built_once_when_first_asked() {
    let doc = Document::parse("A=\"x\\ny ${B:-z}\"\n").unwrap();
    let e = &doc.entries()[0];
    let first: *const Template = e.template();
    assert!(std::ptr::eq(first, e.template()));
    assert_eq!(e.template().refs()[0].name, "B");
    // A clone taken before the first use builds its own, the same.
    let doc = Document::parse("A=\"x\\ny ${B:-z}\"\n").unwrap();
    let copy = doc.clone();
    assert_eq!(doc.entries()[0].template(), copy.entries()[0].template());
}

#[test]
fn an_entry_shows_no_value_when_debugged() {
    let doc = Document::parse("API_TOKEN=\"sentinel-debug\\n\"\n").unwrap();
    let e = &doc.entries()[0];
    let _ = e.template();
    let shown = format!("{e:?} {doc:?}");
    assert!(shown.contains("API_TOKEN"), "{shown}");
    assert!(!shown.contains("sentinel-debug"), "{shown}");
}

#[test]
fn a_document_of_4_gib_or_more_is_refused_by_name() {
    let err = ParseError::too_large(MAX_LEN + 1);
    assert_eq!(err.kind.code(), "file-too-large");
    assert_eq!(
        (err.kind, err.offset, err.line),
        (ParseErrorKind::TooLarge, MAX_LEN, 1)
    );
    let text = err
        .with_path(std::path::Path::new("big.env"))
        .diagnostic()
        .render(false);
    assert!(text.contains("big.env"), "{text}");
    assert!(text.contains("at most 4294967295 bytes"), "{text}");
    assert!(text.contains("the file is 4294967296 bytes"), "{text}");
}
