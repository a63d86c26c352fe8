//! Extension bundles: what WS-BPEL 2.0's `<extensionActivity>` and
//! `<extensionAssignOperation>` run when their element belongs to a namespace this server
//! knows.
//!
//! A bundle is written in Rust: an [`ExtensionBundle`] names a namespace and holds one
//! [`ExtensionOperation`] per element local name. Bundles are registered in [`Extensions`],
//! which the program running Baton hands to the server (see [`crate::cli::run`]); the
//! `baton` binary registers none.
//!
//! - At deployment, the compiler accepts `<extension mustUnderstand="yes">` for a registered
//!   namespace, refuses an element of a registered namespace that its bundle has no
//!   operation for, and lets each operation [`validate`](ExtensionOperation::validate) its
//!   element. Elements of namespaces nobody registered are ignored (an `<empty>` activity,
//!   an assign operation that does nothing) unless their extension is mandatory (SA00009).
//! - At run time, the operation reads and writes the variables visible where it stands
//!   through an [`ExtensionContext`], synchronously, inside the instance's step: what it
//!   writes goes through the assign's replacement rules and is committed with the step, and
//!   a fault it returns is the activity's fault (an assign is then undone as a whole).

use std::collections::HashMap;
use std::sync::Arc;

use super::assign;
use super::compiled::CompiledProcess;
use super::evaluate::Visible;
use super::fault::Fault;
use super::state::{InstanceState, ScopeRef};
use crate::model::{ExtensionUse, VariableId};
use crate::xml::{Document, QName};

/// One operation of a bundle: the behaviour of one extension element.
pub trait ExtensionOperation: Send + Sync + 'static {
    /// Checks the element where a process uses it, at deployment; an `Err` refuses the unit
    /// with its message.
    fn validate(&self, element: &Document) -> Result<(), String> {
        let _ = element;
        Ok(())
    }

    /// Runs the operation on `element` (the extension element as written, with its
    /// children), in the context of the activity.
    fn run(&self, context: &mut ExtensionContext<'_>, element: &Document) -> Result<(), Fault>;
}

/// The operations of one extension namespace, by element local name.
#[derive(Clone)]
pub struct ExtensionBundle {
    namespace: String,
    operations: HashMap<String, Arc<dyn ExtensionOperation>>,
}

impl ExtensionBundle {
    /// A bundle of `namespace` without operations.
    pub fn new(namespace: impl Into<String>) -> Self {
        Self {
            namespace: namespace.into(),
            operations: HashMap::new(),
        }
    }

    /// The bundle with `operation` run for elements named `local_name`.
    pub fn with_operation(
        mut self,
        local_name: impl Into<String>,
        operation: impl ExtensionOperation,
    ) -> Self {
        self.operations
            .insert(local_name.into(), Arc::new(operation));
        self
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }
}

/// The bundles a server runs with, by namespace. Cheap to clone.
#[derive(Clone, Default)]
pub struct Extensions {
    bundles: Arc<HashMap<String, ExtensionBundle>>,
}

impl Extensions {
    /// No bundles: every extension is unknown.
    pub fn none() -> Self {
        Self::default()
    }

    /// These extensions and `bundle`, which replaces a bundle of the same namespace.
    pub fn with(self, bundle: ExtensionBundle) -> Self {
        let mut bundles = Arc::unwrap_or_clone(self.bundles);
        bundles.insert(bundle.namespace.clone(), bundle);
        Self {
            bundles: Arc::new(bundles),
        }
    }

    /// Whether a bundle of `namespace` is registered.
    pub fn understands(&self, namespace: &str) -> bool {
        self.bundles.contains_key(namespace)
    }

    /// The operation for elements named `name`, if its namespace's bundle has one.
    pub fn operation(&self, name: &QName) -> Option<&Arc<dyn ExtensionOperation>> {
        self.bundles.get(&name.ns)?.operations.get(&name.local)
    }
}

impl std::fmt::Debug for Extensions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.bundles.keys()).finish()
    }
}

/// What an extension operation sees of the instance it runs in.
pub struct ExtensionContext<'a> {
    process: &'a CompiledProcess,
    state: &'a mut InstanceState,
    scope: ScopeRef,
}

impl ExtensionContext<'_> {
    /// The process's name.
    pub fn process_name(&self) -> &QName {
        &self.process.model.name
    }

    /// The value of the variable called `name` here (the innermost declaration), None while
    /// it is uninitialised; `bpel:selectionFailure` when no such variable is visible.
    pub fn read_variable(&self, name: &str) -> Result<Option<&Document>, Fault> {
        let variable = self.visible(name)?;
        Ok(self
            .state
            .variable(&self.process.model, self.scope, variable))
    }

    /// Replaces the value of the variable called `name` with `value`'s document element,
    /// as a `<copy>` of that element to the variable would; `bpel:selectionFailure` when no
    /// such variable is visible or `value` has no element.
    pub fn write_variable(&mut self, name: &str, value: Document) -> Result<(), Fault> {
        let variable = self.visible(name)?;
        assign::write_variable(self.process, self.state, self.scope, variable, value)
    }

    fn visible(&self, name: &str) -> Result<VariableId, Fault> {
        Visible::new(self.state, self.scope, None)
            .named(self.process, name)
            .ok_or_else(|| Fault::selection_failure(format!("no variable '{name}' is visible")))
    }
}

/// Runs `extension` in scope instance `scope`.
pub(crate) fn run(
    process: &CompiledProcess,
    state: &mut InstanceState,
    scope: ScopeRef,
    extension: &ExtensionUse,
) -> Result<(), Fault> {
    let operation = process
        .extensions
        .operation(&extension.name)
        .expect("extension operations are resolved when the process is installed")
        .clone();
    let mut context = ExtensionContext {
        process,
        state,
        scope,
    };
    operation.run(&mut context, &extension.element)
}
