//! A process's `<import>`s: WSDL imports are loaded into the unit's definitions and their
//! namespace checked (SA00010..SA00013; a namespace mismatch is only a warning); XML Schema
//! imports are recorded.

use super::BPEL_NS;
use crate::compiler::diagnostics::Diagnostics;
use crate::compiler::source::UnitSource;
use crate::compiler::wsdl::{WsdlLoader, WSDL_NS, XSD_NS};
use crate::compiler::xmlutil::XmlFile;
use crate::model::SchemaImport;

/// Loads the WSDL documents `file` imports and records its schema imports.
pub(crate) fn load(
    file: &XmlFile,
    source: &UnitSource,
    loader: &mut WsdlLoader,
    diagnostics: &mut Diagnostics,
) {
    let root = file.root();
    for import in file.elements_named(root, BPEL_NS, "import") {
        let at = file.location(import);
        let namespace = file.attr(import, "namespace").map(str::to_owned);
        let location = file.attr(import, "location").map(str::to_owned);
        let import_type = file.attr(import, "importType").unwrap_or_default();
        if import_type != WSDL_NS && import_type != XSD_NS {
            let message = format!("import type '{import_type}' is not supported");
            diagnostics.error(&at, "SA00013", message);
            continue;
        }
        let Some(written) = location.as_deref() else {
            if import_type == XSD_NS {
                loader.record_schema_import(SchemaImport {
                    namespace,
                    location,
                    file: None,
                    at,
                });
            }
            continue;
        };
        let resolved =
            UnitSource::resolve(&file.path, written).filter(|path| source.file(path).is_some());
        let Some(path) = resolved else {
            let message = format!("imported file '{written}' is not in the unit");
            diagnostics.error(&at, "SA00010", message);
            continue;
        };
        if import_type == XSD_NS {
            loader.record_schema_import(SchemaImport {
                namespace,
                location,
                file: Some(path),
                at,
            });
            continue;
        }
        // A file that is not a readable WSDL document has been reported by the loader.
        let Some(target) = loader.load(&path, diagnostics) else {
            continue;
        };
        // Deployed processes import documents under another namespace than theirs; the
        // definitions keep their own namespace, so the mismatch only misleads the reader.
        match namespace {
            Some(namespace) if namespace != target => {
                let message = format!(
                    "{path} has targetNamespace '{target}', not the imported '{namespace}'"
                );
                diagnostics.lenient(&at, "SA00011", message);
            }
            None if !target.is_empty() => {
                let message =
                    format!("{path} has targetNamespace '{target}' but the import names none");
                diagnostics.lenient(&at, "SA00012", message);
            }
            _ => {}
        }
    }
}
