//! Extension operations (see [`crate::extension`]) inside an instance's step: an
//! [`ExtensionContext`] gives the operation the variables visible where its activity or
//! assign operation stands; what it writes goes through the assign's replacement rules and
//! is committed with the step.

use super::assign;
use super::compiled::CompiledProcess;
use super::evaluate::Visible;
use super::fault::Fault;
use super::state::{InstanceState, ScopeRef};
use crate::model::{ExtensionUse, VariableId};
use crate::xml::{Document, QName};

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
