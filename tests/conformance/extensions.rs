//! The extension bundle ODE's extensibility tests register (namespace
//! `urn:ode:test-extension-bundle`), written against Baton's extension API, and the server
//! that runs with it.
//!
//! ODE's tests deployed TestExtensionActivityMustUnderstand and TestExtensionAssignOperation
//! only with the bundle registered: they declare it mandatory, so without it they are
//! refused. Here such a case is first checked to be refused by a server without the bundle,
//! then run on a server with it: this runner's own executable, started with [`SERVE_VAR`]
//! set, which runs the `baton` command line with the bundle (see `main`). Every operation
//! of the bundle logs [`RAN`], which the case then expects in the server's log, as ODE
//! checked that the bundle was executed.

use baton::extension::{ExtensionBundle, ExtensionContext, ExtensionOperation, Extensions};
use baton::runtime::Fault;
use baton::xml::Document;

/// Set in the environment of this executable to make it a server with the bundle.
pub(crate) const SERVE_VAR: &str = "CONFORMANCE_EXTENSION_SERVER";

/// What the bundle's operations log when they run.
pub(crate) const RAN: &str = "Test extension operation ran";

/// The bpel-test cases that ODE ran with the bundle registered.
const WITH_BUNDLE: [&str; 2] = [
    "TestExtensionActivityMustUnderstand",
    "TestExtensionAssignOperation",
];

/// Whether the unit folder `dir` of the corpus runs with the bundle.
pub(crate) fn needs_bundle(dir: &str) -> bool {
    WITH_BUNDLE.contains(&dir)
}

/// The bundle: `doIt` and `doIt2` only record that they ran; `doAssign` writes `Small` to
/// the variable `tmpVar`, as a message whose part holds it, as ODE's did.
pub(crate) fn bundle() -> Extensions {
    Extensions::none().with(
        ExtensionBundle::new("urn:ode:test-extension-bundle")
            .with_operation("doIt", Record)
            .with_operation("doIt2", Record)
            .with_operation("doAssign", AssignSmall),
    )
}

struct Record;

impl ExtensionOperation for Record {
    fn run(&self, _: &mut ExtensionContext<'_>, element: &Document) -> Result<(), Fault> {
        ran(element);
        Ok(())
    }
}

struct AssignSmall;

impl ExtensionOperation for AssignSmall {
    fn run(&self, context: &mut ExtensionContext<'_>, element: &Document) -> Result<(), Fault> {
        ran(element);
        let value = baton::xml::parse(b"<message><TestPart>Small</TestPart></message>")
            .expect("a well-formed value");
        context.write_variable("tmpVar", value)
    }
}

fn ran(element: &Document) {
    let name = element
        .document_element()
        .and_then(|root| element.name(root))
        .map(|name| name.local.clone())
        .unwrap_or_default();
    tracing::warn!(operation = %name, "{RAN}");
}
