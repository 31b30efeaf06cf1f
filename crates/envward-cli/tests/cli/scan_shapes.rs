//! `scan` on the shapes of real files: each case holds secrets written the
//! way code and configuration write them (a Rust `static` with its type, a
//! C `#define`, base64 `user:password` in a header or a Docker config, a
//! `.netrc`, a Telegram API URL) and, beside them, the code and data that
//! looks like an assignment to a secret name and is not one (UUID request
//! tokens, ARNs, Rust paths and types, expressions, truncated or encoded
//! documentation values, a value on the next line). Every secret is
//! found with its exact value; no decoy line is reported.

use serde_json::Value;

use crate::harness::Project;
use crate::scan::{ALNUM, random};
use envward::scan::fakes::{b64, uuid};

const HEX: &str = "0123456789abcdef";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const PUNCT: &str = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789!#%*+-_~";

/// A file: its lines, each either a secret (its rule and value) or a
/// decoy (`None`) that nothing may report.
struct Case {
    file: &'static str,
    lines: Vec<(String, Option<(&'static str, String)>)>,
}

fn secret(
    line: String,
    rule: &'static str,
    value: &str,
) -> (String, Option<(&'static str, String)>) {
    (line, Some((rule, value.to_string())))
}

fn decoy(line: impl Into<String>) -> (String, Option<(&'static str, String)>) {
    (line.into(), None)
}

const GENERIC: &str = "generic-secret-assignment";

fn cases() -> Vec<Case> {
    let hex40 = random(HEX, 40, 1);
    let pw = random(PUNCT, 15, 2);
    // Quoted, a leading `*` or `#` is part of the value, not code.
    let define = format!("*{}", random(PUNCT, 39, 3));
    let hash_pw = format!("#{}", random(PUNCT, 17, 16));
    let py_token = random(ALNUM, 32, 4);
    let py_pw = random(PUNCT, 14, 5);
    let api_key = random(ALNUM, 32, 6);
    let env_uuid = uuid(7);
    let key_uuid = uuid(14);
    let header = random(ALNUM, 28, 15);
    let basic = b64(&format!("svc-report:{}", random(PUNCT, 20, 8)));
    let docker = b64(&format!("ci-bot:{}", random(ALNUM, 16, 9)));
    let netrc1 = random(PUNCT, 14, 10);
    let netrc2 = random(ALNUM, 24, 11);
    let docker_env = random(ALNUM, 36, 17);
    let docker_pw = format!("Db-{}!", random(ALNUM, 18, 18));
    let telegram = format!(
        "{}:AA{}",
        random("0123456789", 10, 12),
        random(ALNUM, 33, 13)
    );
    vec![
        Case {
            file: "src/secrets.rs",
            lines: vec![
                secret(
                    format!("static HMAC_SECRET: &str = \"{hex40}\";"),
                    GENERIC,
                    &hex40,
                ),
                secret(
                    format!("pub const ADMIN_PASSWORD: &'static str = \"{pw}\";"),
                    GENERIC,
                    &pw,
                ),
                decoy("pub const XCN_NCRYPT_PCP_STORAGE_KEY: X509HardwareKeyUsageFlags = 4i32;"),
                decoy(
                    "pub const FILTER_E_PASSWORD: windows_sys::core::HRESULT = 0x8004170B_u32 as _;",
                ),
                decoy("    pub PresentHistoryToken: D3DKMT_PRESENTHISTORYTOKEN,"),
                decoy("    generate_private_key: x25519_generate_private_key,"),
                decoy("use rpassword::{ConfigBuilder};"),
                decoy("/// use rpassword::{ConfigBuilder};"),
                decoy("            Token::RightBracket => break,"),
                decoy("use crate::decrypting_key::DecryptingKey;"),
                decoy("    b\"GET / HTTP/1.1\\r\\nx-secret: amended\\r\\nhost: q.test\\r\\n\""),
            ],
        },
        Case {
            file: "native/telemetry.c",
            lines: vec![
                secret(
                    format!("#define TELEMETRY_TOKEN \"{define}\""),
                    GENERIC,
                    &define,
                ),
                decoy("#define MAX_TOKEN_LENGTH 4096"),
                decoy("#define SECRET_KEY_BYTES (KEY_WORDS * 4)"),
                decoy("    P11_KIT_URI_FOR_OBJECT_ON_TOKEN ="),
                decoy("        P11_KIT_URI_FOR_OBJECT | P11_KIT_URI_FOR_TOKEN,"),
            ],
        },
        Case {
            file: "app/settings.py",
            lines: vec![
                secret(format!("API_TOKEN = \"{py_token}\""), GENERIC, &py_token),
                secret(format!("db_password: str = '{py_pw}'"), GENERIC, &py_pw),
                secret(
                    format!("SMTP_PASSWORD = \"{hash_pw}\"  # from the vault"),
                    GENERIC,
                    &hash_pw,
                ),
                decoy("SMTP_PASSWORD = \"$SMTP_PASS_FROM_ENV\""),
                decoy("SECRET_TOKEN = get_secret(\"smtp-token\")"),
                decoy("        token = line[start:pos]"),
                decoy("        crnt_token = self.token_list[self.token_pos]"),
                decoy("        current_key = split_value[0]"),
                decoy("            proxy_password=self._socks_options[\"password\"],"),
                decoy("    base_key = \"Software\\\\Python\\\\PythonCore\\\\{}.{}\".format("),
                decoy(
                    "    arn = f\"arn:aws:secretsmanager:{region}:{account}:secret:db/{name}-{suffix}\"",
                ),
            ],
        },
        Case {
            file: "web/util.js",
            lines: vec![decoy("  const token = policyHeader[i - 1].trim()")],
        },
        Case {
            // The form without `=`: the value is the rest of the line.
            file: "deploy/Dockerfile",
            lines: vec![
                secret(
                    format!("ENV REGISTRY_TOKEN {docker_env}"),
                    GENERIC,
                    &docker_env,
                ),
                secret(
                    format!("ENV DB_PASSWORD \"{docker_pw}\""),
                    GENERIC,
                    &docker_pw,
                ),
                decoy("ENV API_TOKEN ${API_TOKEN}"),
                decoy("ENV SECRET_KEY changeme-in-production"),
                decoy("ENV TOKEN_TTL 3600"),
                decoy("ENV PASSWORD_FILE /run/secrets/db_password"),
            ],
        },
        Case {
            file: "models/examples.json",
            lines: vec![
                secret(format!("  \"apiKey\": \"{api_key}\","), GENERIC, &api_key),
                secret(
                    format!("  \"SNYK_TOKEN\": \"{env_uuid}\","),
                    GENERIC,
                    &env_uuid,
                ),
                secret(
                    format!("  \"api_key\": \"{key_uuid}\","),
                    GENERIC,
                    &key_uuid,
                ),
                decoy(format!("  \"ChangeToken\": \"{}\",", uuid(20))),
                decoy(format!("  \"clientRequestToken\": \"{}\",", uuid(21))),
                decoy(
                    "  \"ARN\": \"arn:aws:secretsmanager:us-west-2:123456789012:secret:MyDatabaseSecret-a1b2c3\",",
                ),
                decoy(format!(
                    "  \"NextContinuationToken\": \"{}==\",",
                    random(B64, 54, 22)
                )),
                decoy("  \"result_key\": \"PublicIpv4Pools\","),
                decoy("  \"PurchaseToken\": \"eyJ2IjoiMSIsInMiOjEsImMiOi...\","),
                decoy("  \"output_token\": \"StreamDescription.Shards[-1].ShardId\","),
                decoy("  \"password\": \"bm90IG15IHJlYWwgcGFzc3dvcmQ=\","),
            ],
        },
        Case {
            file: "logs/api.log",
            lines: vec![
                secret(
                    format!("DEBUG outgoing headers={{'Authorization': 'Basic {basic}'}}"),
                    "basic-auth-header",
                    &basic,
                ),
                // RFC 7617's example; a word as the password; not user:password.
                decoy("curl -H 'Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=='"),
                decoy("authorization: Basic bWFydGluOnNlY3JldA=="),
                decoy(format!(
                    "Basic {} was sent",
                    b64("hello world, no colon here")
                )),
            ],
        },
        Case {
            file: ".docker/config.json",
            lines: vec![
                decoy("{\"auths\": {"),
                secret(
                    format!("  \"registry.example.org\": {{\"auth\": \"{docker}\"}},"),
                    "docker-config-auth",
                    &docker,
                ),
                decoy(format!(
                    "  \"other.example.org\": {{\"auth\": \"{}\"}}",
                    random(B64, 40, 23)
                )),
                decoy("}}"),
            ],
        },
        Case {
            file: "deploy/.netrc",
            lines: vec![
                secret(
                    format!("machine git.example.org login deploy password {netrc1}"),
                    "netrc-password",
                    &netrc1,
                ),
                decoy("machine api.example.org"),
                decoy("  login ops"),
                secret(format!("  password {netrc2}"), "netrc-password", &netrc2),
                decoy("machine docs.example.org login reader password changeme"),
            ],
        },
        Case {
            file: "scripts/notify.sh",
            lines: vec![
                secret(
                    format!(
                        "curl -s \"https://api.telegram.org/bot{telegram}/sendMessage\" -d chat_id=42"
                    ),
                    "telegram-bot-token",
                    &telegram,
                ),
                secret(
                    format!("curl -H \"X-Auth-Token: {header}\" https://api.example.org/"),
                    GENERIC,
                    &header,
                ),
                decoy("# a state machine login password flow, in prose"),
            ],
        },
    ]
}

#[test]
fn secrets_in_code_and_config_shapes_are_found_and_lookalikes_are_not() {
    let p = Project::new();
    let mut failures = Vec::new();
    for case in cases() {
        let text: String = case.lines.iter().map(|(l, _)| format!("{l}\n")).collect();
        p.write(case.file, &text);
        let r = p.run(&["scan", case.file, "--format", "json", "--reveal"]);
        let v: Value = serde_json::from_str(&r.stdout())
            .unwrap_or_else(|e| panic!("{}: not JSON ({e}): {}", case.file, r.stderr()));
        let mut found: Vec<(u64, String, String)> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let message = f["message"].as_str().unwrap();
                let value = message
                    .rsplit_once("` = ")
                    .map(|(_, v)| serde_json::from_str::<String>(v).unwrap())
                    .unwrap_or_default();
                (
                    f["location"]["line"].as_u64().unwrap(),
                    f["rule"].as_str().unwrap().to_string(),
                    value,
                )
            })
            .collect();
        found.sort();
        let want: Vec<(u64, String, String)> = case
            .lines
            .iter()
            .enumerate()
            .filter_map(|(i, (_, s))| {
                s.as_ref()
                    .map(|(rule, value)| (i as u64 + 1, format!("scan.{rule}"), value.clone()))
            })
            .collect();
        if found != want {
            failures.push(format!(
                "{}:\n  found {found:?}\n  wanted {want:?}\n{text}",
                case.file
            ));
        }
        let expected = if want.is_empty() { 0 } else { 1 };
        if r.code() != Some(expected) {
            failures.push(format!(
                "{}: exit {:?}, wanted {expected}",
                case.file,
                r.code()
            ));
        }
        // Without --reveal, no value is shown.
        let quiet = p.run(&["scan", case.file, "--format", "json"]);
        for (_, value) in case.lines.iter().filter_map(|(_, s)| s.as_ref()) {
            if quiet.stdout().contains(value.as_str()) || quiet.stderr().contains(value.as_str()) {
                failures.push(format!("{}: a value is shown without --reveal", case.file));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
