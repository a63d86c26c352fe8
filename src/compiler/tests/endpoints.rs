//! deploy.xml's routing of partner links: WSO2's `<endpoint endpointReference>` with its
//! `<mex-timeout>`, and Baton's `<link>`, read into the model or refused with their reason.

use super::{compile_err, compile_ok, read_unit};
use crate::compiler::UnitSource;
use crate::model::{LinkSettings, LinkTransport};

const PARTNER_EPR: &str = r#"<wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing">
  <wsa:Address>ADDRESS</wsa:Address>
</wsa:EndpointReference>"#;

/// The Relay test unit with `service` as the content of its invoke's `<service>`,
/// `invoke_attributes` on the `<invoke>`, and `partner.epr` addressed at `address`.
fn relay(invoke_attributes: &str, service: &str, address: &str) -> UnitSource {
    let mut source = read_unit("Relay");
    let deploy = String::from_utf8(source.files["deploy.xml"].clone()).unwrap();
    let deploy = deploy
        .replace(
            r#"<invoke partnerLink="partner">"#,
            &format!(r#"<invoke partnerLink="partner" {invoke_attributes}>"#),
        )
        .replace(
            r#"port="PartnerPort"/>"#,
            &format!(r#"port="PartnerPort">{service}</service>"#),
        );
    source
        .files
        .insert("deploy.xml".into(), deploy.into_bytes());
    let epr = PARTNER_EPR.replace("ADDRESS", address);
    source.files.insert("partner.epr".into(), epr.into_bytes());
    source
}

const ENDPOINT: &str = r#"<e:endpoint xmlns:e="http://wso2.org/bps/bpel/endpoint/config" endpointReference="partner.epr"><e:mex-timeout value="5000"/></e:endpoint>"#;

fn link(attributes: &str) -> String {
    format!(r#"<b:link xmlns:b="urn:baton:deploy" {attributes}/>"#)
}

#[test]
fn endpoint_references_and_link_settings_are_read() {
    let service = format!(
        "{ENDPOINT}{}",
        link(r#"transport="http" retries="3" max-concurrent-calls="4""#)
    );
    let unit = compile_ok(&relay("", &service, "https://partner.example/ws"));
    let invoke = &unit.descriptor.processes[0].invokes[0];
    let endpoint = invoke.endpoint.as_ref().expect("the reference is loaded");
    assert_eq!(endpoint.address, "https://partner.example/ws");
    assert_eq!(endpoint.file, "partner.epr");
    assert_eq!(
        invoke.link,
        LinkSettings {
            transport: Some(LinkTransport::Http),
            timeout_ms: Some(5000),
            retries: 3,
            max_concurrent_calls: Some(4),
            credentials: None,
            default_headers: Vec::new(),
        }
    );
    let plain = compile_ok(&read_unit("Relay"));
    let invoke = &plain.descriptor.processes[0].invokes[0];
    assert_eq!(
        (&invoke.endpoint, &invoke.link),
        (&None, &LinkSettings::default())
    );
}

#[test]
fn contradictory_or_malformed_routing_is_refused() {
    let cases = [
        (
            "",
            format!("{ENDPOINT}{}", link(r#"timeout-ms="10""#)),
            "http://h/x",
            "the time-out is given twice",
        ),
        (
            r#"usePeer2Peer="false""#,
            link(r#"transport="peer""#),
            "http://h/x",
            r#"transport="peer" contradicts usePeer2Peer="false""#,
        ),
        (
            r#"usePeer2Peer="false""#,
            ENDPOINT.to_owned(),
            "local:/ode/processes/Other",
            "reached only peer-to-peer",
        ),
        (
            "",
            format!("{ENDPOINT}{}", link(r#"transport="amqp""#)),
            "http://h/x",
            r#"which transport="amqp" cannot reach"#,
        ),
        (
            "",
            link(r#"transport="ftp""#),
            "http://h/x",
            "must be peer, http or amqp",
        ),
        (
            "",
            link(r#"retries="-1""#),
            "http://h/x",
            "retries must be a non-negative integer",
        ),
        (
            "",
            link(r#"timeout-ms="soon""#),
            "http://h/x",
            "timeout-ms must be a positive integer",
        ),
        (
            "",
            ENDPOINT.replace("5000", "0"),
            "http://h/x",
            "value must be a positive integer",
        ),
    ];
    for (attributes, service, address, reason) in cases {
        let diagnostics = compile_err(&relay(attributes, &service, address));
        let text = diagnostics.to_string();
        assert!(
            text.contains(reason),
            "{service}: expected {reason:?} in:\n{text}"
        );
    }
}

#[test]
fn a_link_belongs_to_an_invoke() {
    let mut source = read_unit("Relay");
    let deploy = String::from_utf8(source.files["deploy.xml"].clone()).unwrap();
    let deploy = deploy.replace(
        r#"port="RelayPort"/>"#,
        &format!(r#"port="RelayPort">{}</service>"#, link(r#"retries="1""#)),
    );
    source
        .files
        .insert("deploy.xml".into(), deploy.into_bytes());
    let text = compile_err(&source).to_string();
    assert!(
        text.contains("[DD-LINK]") && text.contains("belongs in an <invoke>"),
        "{text}"
    );
}

/// The Relay test unit with `credentials` inside its provided `<service>`.
fn relay_requiring(credentials: &str) -> UnitSource {
    let mut source = read_unit("Relay");
    let deploy = String::from_utf8(source.files["deploy.xml"].clone()).unwrap();
    let deploy = deploy.replace(
        r#"port="RelayPort"/>"#,
        &format!(r#"port="RelayPort">{credentials}</service>"#),
    );
    source
        .files
        .insert("deploy.xml".into(), deploy.into_bytes());
    source
}

#[test]
fn a_provided_service_reads_the_credentials_its_callers_must_present() {
    use crate::auth::{hash_password, token_hash, ServiceCredential};
    let hash = hash_password("secret").unwrap();
    let token = token_hash("baton_partner");
    let credentials = format!(
        r#"<b:credentials xmlns:b="urn:baton:deploy" user="partner" password-hash="{hash}"/><b:credentials xmlns:b="urn:baton:deploy" token-hash="{token}"/>"#
    );
    let unit = compile_ok(&relay_requiring(&credentials));
    assert_eq!(
        unit.descriptor.processes[0].provides[0].credentials,
        [
            ServiceCredential::User {
                name: "partner".into(),
                password_hash: hash,
            },
            ServiceCredential::Token { hash: token },
        ]
    );
    for bad in [
        r#"user="partner" password-hash="secret""#,
        r#"token-hash="sha256:beef""#,
        r#"user="partner""#,
    ] {
        let credentials = format!(r#"<b:credentials xmlns:b="urn:baton:deploy" {bad}/>"#);
        let text = compile_err(&relay_requiring(&credentials)).to_string();
        assert!(
            text.contains("[DD-CREDENTIALS]") && text.contains("password-hash"),
            "{bad}: {text}"
        );
    }
    let on_invoke = format!(
        r#"<b:credentials xmlns:b="urn:baton:deploy" token-hash="{}"/>"#,
        token_hash("x")
    );
    let text = compile_err(&relay("", &on_invoke, "https://partner.example/ws")).to_string();
    assert!(
        text.contains("[DD-CREDENTIALS]") && text.contains("belongs in a <provide>"),
        "{text}"
    );
}

#[test]
fn a_link_reads_the_credentials_its_calls_present() {
    use crate::auth::Presented;
    let cases = [
        (
            r#"user="relay" password="p:w""#,
            Presented::Basic {
                user: "relay".into(),
                password: "p:w".into(),
            },
        ),
        (
            r#"token="baton_abc""#,
            Presented::Bearer("baton_abc".into()),
        ),
    ];
    for (attributes, presented) in cases {
        let unit = compile_ok(&relay("", &link(attributes), "https://partner.example/ws"));
        let settings = &unit.descriptor.processes[0].invokes[0].link;
        assert_eq!(settings.credentials.as_ref(), Some(&presented));
    }
    for bad in [r#"user="relay""#, r#"user="relay" password="p" token="t""#] {
        let text = compile_err(&relay("", &link(bad), "https://partner.example/ws")).to_string();
        assert!(
            text.contains("[DD-LINK]") && text.contains("not both"),
            "{bad}: {text}"
        );
    }
}
