//! Endpoint reference files: the WS-Addressing `wsa:EndpointReference` documents that
//! deploy.xml's `<endpoint endpointReference="…">` (WSO2's vocabulary, namespace
//! `http://wso2.org/bps/bpel/endpoint/config`) names inside a `<provide>`'s or `<invoke>`'s
//! `<service>`.
//!
//! A reference is found, in order: `conf:PATH` under the server's configuration directory
//! (`[deploy] conf-dir`); an absolute path on the server's file system; otherwise a path
//! relative to the unit's root, inside the unit. The file is read and checked at deployment:
//! it must be a `wsa:EndpointReference` whose `wsa:Address` is a URL a transport reaches
//! (`http(s)://`, `amqp(s)://…/queue` or `local:`). Its `wsa:ReferenceParameters` are kept
//! as a forest, to be sent as SOAP headers; `wsa:Metadata` is not used, except that a
//! reference asking for WS-Security there (WSO2's `<enableSec policy="…"/>`, or a WS-Policy
//! `Policy`) is refused: Baton does not secure messages that way, and sending them plain
//! where the partner expects them signed or encrypted is not what the unit asked for.

use std::path::{Component, Path};

use baton_transports::soap::addressing::WSA_NS;
use baton_transports::Endpoint;

use super::diagnostics::Diagnostics;
use super::source::UnitSource;
use super::xmlutil::XmlFile;
use crate::model::{EndpointReference, Location};
use crate::xml::NodeId;

/// The scheme of references into the server's configuration directory.
const CONF_SCHEME: &str = "conf:";

const RULE: &str = "DD-ENDPOINT";

/// Where endpoint reference files are read from.
#[derive(Clone, Copy)]
pub(crate) struct EndpointFiles<'a> {
    /// The unit, for relative references.
    pub unit: &'a UnitSource,
    /// The server's configuration directory, for `conf:` references; None refuses them.
    pub conf_dir: Option<&'a Path>,
}

impl EndpointFiles<'_> {
    /// Reads and checks the endpoint reference `reference`, written at `at`; problems are
    /// reported there.
    pub(super) fn load(
        &self,
        reference: &str,
        at: &Location,
        diagnostics: &mut Diagnostics,
    ) -> Option<EndpointReference> {
        let bytes = match self.read(reference) {
            Ok(bytes) => bytes,
            Err(reason) => {
                let message = format!("endpoint reference '{reference}': {reason}");
                diagnostics.error(at, RULE, message);
                return None;
            }
        };
        let file = XmlFile::parse(reference, &bytes, diagnostics)?;
        let root = file.root();
        if !file.is(root, WSA_NS, "EndpointReference") {
            let found = file.doc.name(root).map(ToString::to_string);
            let message = format!(
                "endpoint reference '{reference}' is a {}, not a {{{WSA_NS}}}EndpointReference",
                found.unwrap_or_default()
            );
            diagnostics.error(at, RULE, message);
            return None;
        }
        let Some(address) = file.element_named(root, WSA_NS, "Address") else {
            let message = format!("endpoint reference '{reference}' has no wsa:Address");
            diagnostics.error(&file.location(root), RULE, message);
            return None;
        };
        let url = file.trimmed_text(address);
        if let Err(error) = Endpoint::parse(&url) {
            let message = format!("endpoint reference '{reference}': {error}");
            diagnostics.error(&file.location(address), RULE, message);
            return None;
        }
        if let Some(security) = security_request(&file, root) {
            let message = format!(
                "endpoint reference '{reference}' asks for WS-Security (<{security}>), which \
                 Baton does not implement: remove it to call the partner without WS-Security, \
                 or secure the messages in a proxy between them"
            );
            diagnostics.error(&file.location(root), RULE, message);
            return None;
        }
        let reference_parameters = file
            .element_named(root, WSA_NS, "ReferenceParameters")
            .map(|parameters| file.content_forest(parameters))
            .unwrap_or_default();
        Some(EndpointReference {
            file: reference.to_owned(),
            address: url,
            reference_parameters,
        })
    }
}

/// The namespaces of WS-Policy: the 2004/09 submission and the W3C recommendation.
const POLICY_NS: [&str; 2] = [
    "http://schemas.xmlsoap.org/ws/2004/09/policy",
    "http://www.w3.org/ns/ws-policy",
];

/// The name of the element by which the reference's `wsa:Metadata` asks for WS-Security, if
/// it does.
fn security_request(file: &XmlFile, root: NodeId) -> Option<String> {
    let metadata = file.element_named(root, WSA_NS, "Metadata")?;
    let doc = &file.doc;
    doc.descendants(metadata).find_map(|node| {
        let name = doc.name(node)?;
        let asks = name.local == "enableSec"
            || (name.local == "Policy" && POLICY_NS.contains(&name.ns.as_str()));
        asks.then(|| name.local.clone())
    })
}

impl EndpointFiles<'_> {
    /// The bytes of the file `reference` names, or why they cannot be had.
    fn read(&self, reference: &str) -> Result<Vec<u8>, String> {
        let unreadable =
            |path: &Path, error: std::io::Error| format!("cannot read {}: {error}", path.display());
        if let Some(relative) = reference.strip_prefix(CONF_SCHEME) {
            let Some(conf_dir) = self.conf_dir else {
                return Err("conf: references need the server's configuration directory".into());
            };
            let relative = Path::new(relative.trim_start_matches('/'));
            let inside = relative
                .components()
                .all(|component| matches!(component, Component::Normal(_)));
            if !inside || relative.as_os_str().is_empty() {
                return Err(format!(
                    "a conf: reference must name a file inside {}",
                    conf_dir.display()
                ));
            }
            let path = conf_dir.join(relative);
            return std::fs::read(&path).map_err(|error| unreadable(&path, error));
        }
        let path = Path::new(reference);
        if path.is_absolute() {
            return std::fs::read(path).map_err(|error| unreadable(path, error));
        }
        let Some(inside) = UnitSource::resolve(super::deploy::DEPLOY_XML, reference) else {
            return Err("a relative reference must name a file inside the unit".into());
        };
        self.unit
            .file(&inside)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| format!("the unit has no file {inside}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EPR: &str = r#"<wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing">
        <wsa:Address>http://partner.example/ws</wsa:Address>
        <wsa:ReferenceParameters><k:Key xmlns:k="urn:k">7</k:Key></wsa:ReferenceParameters>
        <wsa:Metadata/>
      </wsa:EndpointReference>"#;

    fn at() -> Location {
        Location {
            file: "deploy.xml".into(),
            line: 3,
        }
    }

    fn unit(files: &[(&str, &str)]) -> UnitSource {
        let files = files
            .iter()
            .map(|(path, text)| ((*path).to_owned(), text.as_bytes().to_vec()));
        UnitSource::new("unit", files).unwrap()
    }

    fn load(
        unit: &UnitSource,
        conf_dir: Option<&Path>,
        reference: &str,
    ) -> Result<EndpointReference, String> {
        let mut diagnostics = Diagnostics::default();
        let files = EndpointFiles { unit, conf_dir };
        files
            .load(reference, &at(), &mut diagnostics)
            .ok_or_else(|| diagnostics.to_string())
    }

    #[test]
    fn a_reference_inside_the_unit_is_read_with_its_parameters() {
        let unit = unit(&[("eprs/partner.epr", EPR)]);
        let epr = load(&unit, None, "eprs/partner.epr").unwrap();
        assert_eq!(epr.address, "http://partner.example/ws");
        assert_eq!(
            epr.reference_parameters,
            r#"<k:Key xmlns:k="urn:k">7</k:Key>"#
        );
        assert_eq!(epr.file, "eprs/partner.epr");
    }

    #[test]
    fn conf_and_absolute_references_are_read_from_the_file_system() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("endpoints")).unwrap();
        let file = dir.path().join("endpoints/partner.epr");
        std::fs::write(&file, EPR).unwrap();
        let unit = unit(&[]);
        let by_conf = load(&unit, Some(dir.path()), "conf:endpoints/partner.epr").unwrap();
        assert_eq!(by_conf.address, "http://partner.example/ws");
        let absolute = file.to_str().unwrap();
        assert_eq!(
            load(&unit, None, absolute).unwrap(),
            EndpointReference {
                file: absolute.to_owned(),
                ..by_conf
            }
        );
        let escaping = load(&unit, Some(dir.path()), "conf:../partner.epr").unwrap_err();
        assert!(escaping.contains("must name a file inside"), "{escaping}");
        let without = load(&unit, None, "conf:endpoints/partner.epr").unwrap_err();
        assert!(without.contains("configuration directory"), "{without}");
    }

    #[test]
    fn a_reference_asking_for_ws_security_is_refused_naming_it() {
        let wso2 = EPR.replace(
            "<wsa:Metadata/>",
            r#"<wsa:Metadata><id>SecureEPR</id><qos><enableSec policy="scenario1-policy.xml"/></qos></wsa:Metadata>"#,
        );
        let policy = EPR.replace(
            "<wsa:Metadata/>",
            r#"<wsa:Metadata><wsp:Policy xmlns:wsp="http://www.w3.org/ns/ws-policy"/></wsa:Metadata>"#,
        );
        let secured = unit(&[("wso2.epr", &wso2), ("policy.epr", &policy)]);
        for (file, element) in [("wso2.epr", "<enableSec>"), ("policy.epr", "<Policy>")] {
            let refused = load(&secured, None, file).unwrap_err();
            assert!(refused.contains("DD-ENDPOINT"), "{refused}");
            assert!(
                refused.contains(&format!("asks for WS-Security ({element})")),
                "{refused}"
            );
        }
        assert!(load(&unit(&[("plain.epr", EPR)]), None, "plain.epr").is_ok());
    }

    #[test]
    fn bad_references_are_refused_with_their_reason() {
        let unit = unit(&[
            ("wsdl.epr", "<definitions/>"),
            ("noaddress.epr", &EPR.replace("Address", "Addr")),
            ("ftp.epr", &EPR.replace("http://partner", "ftp://partner")),
            ("broken.epr", "<wsa:EndpointReference"),
        ]);
        let refused = |reference: &str| load(&unit, None, reference).unwrap_err();
        let missing = refused("missing.epr");
        assert!(missing.contains("[DD-ENDPOINT]") && missing.contains("no file missing.epr"));
        assert!(refused("wsdl.epr").contains("is a definitions, not a"));
        assert!(refused("noaddress.epr").contains("has no wsa:Address"));
        assert!(refused("ftp.epr").contains("ftp://partner.example/ws"));
        assert!(refused("broken.epr").contains("[XML]"));
        assert!(refused("../outside.epr").contains("inside the unit"));
        let unreadable = refused("/nonexistent/partner.epr");
        assert!(
            unreadable.contains("cannot read /nonexistent/partner.epr"),
            "{unreadable}"
        );
    }
}
