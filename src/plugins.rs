//! What a program running Baton adds to it in Rust: extension bundles (see
//! [`crate::runtime::extension`]), message-exchange interceptors (see [`crate::interceptor`])
//! and event listeners (see [`crate::events`]).
//! The `baton` binary adds none; a program with plug-ins of its own is a `main` calling
//! [`crate::cli::run`] with them.

use crate::events::{EventListener, EventListeners};
use crate::interceptor::{Interceptor, Interceptors};
use crate::runtime::extension::Extensions;

/// The plug-ins a server runs with. Cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct PlugIns {
    pub extensions: Extensions,
    /// Interceptors registered beside the built-in ones (replacing a built-in of the same
    /// name); configuration and deploy.xml name those that run.
    pub interceptors: Interceptors,
    /// Event listeners registered beside the built-in ones (replacing a built-in of the same
    /// name); `[events] listeners` names those that run.
    pub listeners: EventListeners,
}

impl PlugIns {
    /// No plug-ins.
    pub fn none() -> Self {
        Self::default()
    }

    /// These plug-ins with the extension bundles `extensions`.
    pub fn with_extensions(self, extensions: Extensions) -> Self {
        Self { extensions, ..self }
    }

    /// These plug-ins and `interceptor` registered as `name`.
    pub fn with_interceptor(self, name: impl Into<String>, interceptor: impl Interceptor) -> Self {
        Self {
            interceptors: self.interceptors.with(name, interceptor),
            ..self
        }
    }
}

impl PlugIns {
    /// These plug-ins and `listener` registered as `name`.
    pub fn with_listener(self, name: impl Into<String>, listener: impl EventListener) -> Self {
        Self {
            listeners: self.listeners.with(name, listener),
            ..self
        }
    }
}

impl From<Extensions> for PlugIns {
    fn from(extensions: Extensions) -> Self {
        Self::none().with_extensions(extensions)
    }
}
