//! What the runner needs to know about a staged unit before Baton compiles it: the partner
//! links its processes declare with the port types of their roles, and the operations of a
//! port type. Read straight from the unit's .bpel and .wsdl files, WS-BPEL 2.0 or its 2004
//! draft alike, so that the runner can bind the links (see `stage` and `endpoints`).

use std::path::Path;

use baton::xml::{parse, Document, NodeId};

/// The partner link type namespaces: WS-BPEL 2.0's and the 2004 draft's.
const PLNK_NAMESPACES: [&str; 2] = [
    "http://docs.oasis-open.org/wsbpel/2.0/plnktype",
    "http://schemas.xmlsoap.org/ws/2004/03/partner-link/",
];

const WSDL_NS: &str = "http://schemas.xmlsoap.org/wsdl/";

/// A namespace and a local name.
pub(crate) type Name = (String, String);

/// A partner link of a process with the port types of its roles.
#[derive(Debug, Clone)]
pub(crate) struct LinkRoles {
    pub link: String,
    pub my_role: Option<Name>,
    pub partner_role: Option<Name>,
}

/// One operation of a port type.
#[derive(Debug, Clone)]
pub(crate) struct PortTypeOperation {
    pub name: String,
    /// Whether it is request-response (has an `<output>`).
    pub two_way: bool,
}

/// The parsed documents of a unit folder.
pub(crate) struct UnitDocuments {
    wsdls: Vec<Document>,
    processes: Vec<Document>,
}

impl UnitDocuments {
    /// Parses the .wsdl and .bpel files under `dir`.
    pub(crate) fn read(dir: &Path) -> Self {
        let mut documents = UnitDocuments {
            wsdls: Vec::new(),
            processes: Vec::new(),
        };
        documents.collect(dir);
        documents
    }

    fn collect(&mut self, dir: &Path) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                self.collect(&path);
                continue;
            }
            let extension = path
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default();
            let list = match extension.to_ascii_lowercase().as_str() {
                "wsdl" => &mut self.wsdls,
                "bpel" => &mut self.processes,
                _ => continue,
            };
            if let Some(doc) = std::fs::read(&path).ok().and_then(|b| parse(&b).ok()) {
                list.push(doc);
            }
        }
    }

    /// The partner links the processes declare, with their roles' port types.
    pub(crate) fn partner_links(&self) -> Vec<LinkRoles> {
        let roles = self.partner_link_type_roles();
        let role_port_type = |plt: &Option<Name>, role: Option<&str>| -> Option<Name> {
            let (plt, role) = (plt.as_ref()?, role?);
            roles
                .iter()
                .find(|(key, _)| key.0 == plt.0 && key.1 == plt.1 && key.2 == role)
                .map(|(_, port_type)| port_type.clone())
        };
        let mut links = Vec::new();
        for doc in &self.processes {
            let Some(root) = doc.document_element() else {
                continue;
            };
            for link in doc.descendants(root) {
                if doc.name(link).is_none_or(|n| n.local != "partnerLink") {
                    continue;
                }
                let Some(name) = doc.attribute(link, "", "name") else {
                    continue;
                };
                let plt = doc
                    .attribute(link, "", "partnerLinkType")
                    .map(|v| resolve(doc, link, v));
                links.push(LinkRoles {
                    link: name.to_owned(),
                    my_role: role_port_type(&plt, doc.attribute(link, "", "myRole")),
                    partner_role: role_port_type(&plt, doc.attribute(link, "", "partnerRole")),
                });
            }
        }
        links
    }

    /// Every role of every partner link type: ((namespace, type name, role name), port type).
    fn partner_link_type_roles(&self) -> Vec<((String, String, String), Name)> {
        let mut roles = Vec::new();
        for doc in &self.wsdls {
            let Some(root) = doc.document_element() else {
                continue;
            };
            let tns = doc
                .attribute(root, "", "targetNamespace")
                .unwrap_or_default();
            for plt in doc.descendants(root) {
                let is_plt = doc
                    .name(plt)
                    .is_some_and(|n| PLNK_NAMESPACES.iter().any(|ns| n.is(ns, "partnerLinkType")));
                if !is_plt {
                    continue;
                }
                let plt_name = doc.attribute(plt, "", "name").unwrap_or_default();
                for role in doc.child_elements(plt) {
                    let role_name = doc.attribute(role, "", "name").unwrap_or_default();
                    // WS-BPEL names the port type in an attribute, BPEL4WS in a child.
                    let port_type = doc
                        .attribute(role, "", "portType")
                        .map(|v| (role, v))
                        .or_else(|| {
                            let child = doc.child_elements(role).next()?;
                            Some((child, doc.attribute(child, "", "name")?))
                        });
                    if let Some((node, value)) = port_type {
                        roles.push((
                            (tns.to_owned(), plt_name.to_owned(), role_name.to_owned()),
                            resolve(doc, node, value),
                        ));
                    }
                }
            }
        }
        roles
    }

    /// The operations of port type `name`, in document order.
    pub(crate) fn operations(&self, name: &Name) -> Vec<PortTypeOperation> {
        for doc in &self.wsdls {
            let Some(root) = doc.document_element() else {
                continue;
            };
            if doc
                .attribute(root, "", "targetNamespace")
                .unwrap_or_default()
                != name.0
            {
                continue;
            }
            let port_type = doc.child_elements(root).find(|&node| {
                doc.name(node).is_some_and(|n| n.is(WSDL_NS, "portType"))
                    && doc.attribute(node, "", "name") == Some(name.1.as_str())
            });
            let Some(port_type) = port_type else {
                continue;
            };
            return doc
                .child_elements(port_type)
                .filter(|&op| doc.name(op).is_some_and(|n| n.is(WSDL_NS, "operation")))
                .filter_map(|op| {
                    Some(PortTypeOperation {
                        name: doc.attribute(op, "", "name")?.to_owned(),
                        two_way: doc
                            .child_elements(op)
                            .any(|c| doc.name(c).is_some_and(|n| n.is(WSDL_NS, "output"))),
                    })
                })
                .collect();
        }
        Vec::new()
    }
}

/// The (namespace, local name) a QName-valued attribute of `node` denotes.
fn resolve(doc: &Document, node: NodeId, value: &str) -> Name {
    let (prefix, local) = match value.split_once(':') {
        Some((prefix, local)) => (Some(prefix), local),
        None => (None, value),
    };
    let ns = doc.lookup_namespace(node, prefix).unwrap_or_default();
    (ns.to_owned(), local.to_owned())
}
