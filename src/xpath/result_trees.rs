//! Documents built while an expression is evaluated, by extension functions that return new
//! nodes (ODE's tree mutators, `doXslTransform`, process properties). [`Value`]s borrow the
//! documents they point into, so such documents live in a [`ResultTrees`] arena owned by
//! whoever owns the evaluation (it must outlive the values): adopting a document hands back
//! a shared reference valid for the arena's lifetime, and further adoptions never move it.
//!
//! [`Value`]: super::Value

use typed_arena::Arena;

use crate::xml::Document;

/// An append-only arena of result documents.
#[derive(Default)]
pub struct ResultTrees {
    documents: Arena<Document>,
}

impl ResultTrees {
    /// An empty arena.
    pub fn new() -> Self {
        ResultTrees::default()
    }

    /// Takes ownership of `document` and returns a reference that lives as long as the arena.
    pub fn adopt(&self, document: Document) -> &Document {
        self.documents.alloc(document)
    }

    /// How many documents the arena holds.
    pub fn len(&self) -> usize {
        self.documents.len()
    }

    /// True when no document was adopted.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for ResultTrees {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultTrees")
            .field("documents", &self.len())
            .finish()
    }
}
