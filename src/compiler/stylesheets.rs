//! Loads the XSLT stylesheets of `bpel:doXslTransform` calls at deployment. The first
//! argument of every call must be a string literal naming a file of the unit (relative to the
//! .bpel file); a missing file is the static error the spec calls
//! `bpel:xsltStylesheetNotFound`, and a stylesheet that does not compile is reported too. The
//! text of each stylesheet is kept in the process model, keyed by the URI as written.

use super::bpel::BPEL_NS;
use super::diagnostics::Diagnostics;
use super::source::UnitSource;
use crate::model::{Process, XPATH_1_0, XPATH_2_0};
use crate::xml::QName;
use crate::xpath::{Language, XPath};
use crate::xslt::Stylesheet;

/// Rule of the diagnostics this step reports.
const RULE: &str = "XSLT";

/// Finds, loads and checks every stylesheet `process` names.
pub(super) fn load(process: &mut Process, source: &UnitSource, diagnostics: &mut Diagnostics) {
    let function = QName::new(BPEL_NS, "doXslTransform");
    for expression in &process.expressions {
        if expression.language != XPATH_1_0 && expression.language != XPATH_2_0 {
            continue;
        }
        let language = Language::from_uri(&expression.language);
        let Ok(xpath) = XPath::compile_in(&expression.source, &expression.namespaces, language)
        else {
            continue;
        };
        for uri in xpath.literal_first_arguments(&function) {
            let Some(uri) = uri else {
                let message = "the first argument of bpel:doXslTransform must be a string literal";
                diagnostics.error(&expression.location, "SA00039", message);
                continue;
            };
            if process.stylesheets.contains_key(&uri) {
                continue;
            }
            let text = UnitSource::resolve(&process.file, &uri)
                .and_then(|path| source.file(&path))
                .map(|bytes| crate::xml::decode(bytes).map(|text| text.into_owned()));
            match text {
                None => diagnostics.error(
                    &expression.location,
                    RULE,
                    format!("bpel:xsltStylesheetNotFound: the unit has no stylesheet '{uri}'"),
                ),
                Some(Err(error)) => diagnostics.error(
                    &expression.location,
                    RULE,
                    format!("stylesheet '{uri}': {error}"),
                ),
                Some(Ok(text)) => match Stylesheet::compile(&text) {
                    Ok(_) => {
                        process.stylesheets.insert(uri, text);
                    }
                    Err(error) => diagnostics.error(
                        &expression.location,
                        RULE,
                        format!("stylesheet '{uri}': {error}"),
                    ),
                },
            }
        }
    }
}
