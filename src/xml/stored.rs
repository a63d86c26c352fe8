//! How a document's nodes are written when an instance state is stored (see
//! `runtime::encoding`): each node as a tuple of its kind and its links, without field names,
//! since most of a stored state is the nodes of its variables, and without its source line,
//! which only the documents of a unit report and those are never stored. A node written as a
//! map of named fields, as earlier versions stored it, reads too.

use std::fmt;

use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::document::{NodeId, NodeKind, NodeRecord};

/// A node's kind and links, in the order a stored node lists them.
type Stored<K> = (
    K,
    Option<NodeId>,
    Option<NodeId>,
    Option<NodeId>,
    Option<NodeId>,
    Option<NodeId>,
    u32,
);

impl Serialize for NodeRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let stored: Stored<&NodeKind> = (
            &self.kind,
            self.parent,
            self.first_child,
            self.last_child,
            self.prev_sibling,
            self.next_sibling,
            self.attr_base,
        );
        stored.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for NodeRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NodeVisitor)
    }
}

/// Reads a node as a tuple, or as the map of named fields of earlier versions.
struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = NodeRecord;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("a document node")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<NodeRecord, A::Error> {
        let stored = Stored::<NodeKind>::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        let (kind, parent, first_child, last_child, prev_sibling, next_sibling, attr_base) = stored;
        Ok(NodeRecord {
            kind,
            parent,
            first_child,
            last_child,
            prev_sibling,
            next_sibling,
            line: 0,
            attr_base,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<NodeRecord, A::Error> {
        /// A node as earlier versions stored it.
        #[derive(Deserialize)]
        struct Named {
            kind: NodeKind,
            parent: Option<NodeId>,
            first_child: Option<NodeId>,
            last_child: Option<NodeId>,
            prev_sibling: Option<NodeId>,
            next_sibling: Option<NodeId>,
            attr_base: u32,
        }
        let named = Named::deserialize(de::value::MapAccessDeserializer::new(map))?;
        Ok(NodeRecord {
            kind: named.kind,
            parent: named.parent,
            first_child: named.first_child,
            last_child: named.last_child,
            prev_sibling: named.prev_sibling,
            next_sibling: named.next_sibling,
            line: 0,
            attr_base: named.attr_base,
        })
    }
}
