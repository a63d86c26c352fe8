//! `<extensions>`, `<extensionActivity>` and `<extensionAssignOperation>` against the
//! extension bundles the server runs with (see [`crate::runtime::extension`]): a mandatory extension
//! nobody registered refuses the process (SA00009); an element of a registered namespace
//! must name an operation of its bundle and pass that operation's validation; an element
//! of an optional, unknown extension is ignored.

use super::{ProcessCompiler, BPEL_NS};
use crate::model::ExtensionUse;
use crate::xml::{NodeId, QName};

impl ProcessCompiler<'_> {
    /// `<extensions>`: each mandatory extension needs a registered bundle.
    pub(super) fn extensions(&mut self, node: NodeId) {
        for extension in self
            .file
            .elements_named(node, BPEL_NS, "extension")
            .collect::<Vec<_>>()
        {
            let mandatory =
                self.file
                    .yes_no_attr(extension, "mustUnderstand", false, self.diagnostics);
            let namespace = self.file.attr(extension, "namespace").unwrap_or_default();
            let namespace = namespace.trim().to_owned();
            let built_in = namespace == crate::compiler::rest_light::NS;
            if mandatory && !built_in && !self.extensions.understands(&namespace) {
                let message = format!("extension '{namespace}' is not supported");
                self.error(extension, "SA00009", message);
                self.must_understand.insert(namespace);
            }
        }
    }

    /// The extension element inside `node` (an `<extensionActivity>` or
    /// `<extensionAssignOperation>`): `Some(Some(use))` when a bundle runs it, `Some(None)`
    /// when it is to be ignored, None when it cannot be compiled (reported).
    pub(super) fn extension_element(&mut self, node: NodeId) -> Option<Option<ExtensionUse>> {
        let wrapper = self.file.local_name(node).to_owned();
        let Some(child) = self
            .file
            .elements(node)
            .find(|&child| !self.file.is(child, BPEL_NS, "documentation"))
        else {
            let message = format!("<{wrapper}> needs an extension element");
            self.error(node, "BPEL", message);
            return None;
        };
        let name = QName::new(self.file.namespace(child), self.file.local_name(child));
        if !self.extensions.understands(&name.ns) {
            if self.must_understand.contains(&name.ns) {
                let message = format!(
                    "extension element <{}> of '{}' is not supported",
                    name.local, name.ns
                );
                self.error(child, "SA00009", message);
                return None;
            }
            return Some(None);
        }
        let Some(operation) = self.extensions.operation(&name).cloned() else {
            let message = format!(
                "the extension bundle of '{}' has no operation <{}>",
                name.ns, name.local
            );
            self.error(child, "EXTENSION", message);
            return None;
        };
        let element = crate::xml::parse(self.file.doc.to_xml(child).as_bytes())
            .expect("a serialised element parses");
        if let Err(reason) = operation.validate(&element) {
            let message = format!("<{}> of '{}': {reason}", name.local, name.ns);
            self.error(child, "EXTENSION", message);
            return None;
        }
        Some(Some(ExtensionUse { name, element }))
    }
}
