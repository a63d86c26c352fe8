//! The SOAP headers of ODE's implicit correlation (see [`crate::runtime::session`]), as ODE
//! writes and reads them, in its two namespaces (`odesession`, and `intalio` of the engines
//! before it):
//! - a call names its partner's session in a `session` header block;
//! - a call whose partner may call back names where, and under which session, in a
//!   `callback` header block (`wsa:Address` and `session`), and in its `wsa:ReplyTo`'s
//!   reference parameters;
//! - an inbound message is routed by its `session` header block (the reference parameter of
//!   a WS-Addressing reply is one), and its `callback` block, or the `wsa:ReplyTo` of a
//!   one-way message that carries a session, becomes the partner role of the partner link
//!   that takes it.

use baton_transports::soap::addressing::WSA_NS;

use crate::runtime::session::{Callback, Sessions};
use quick_xml::escape::escape as escape_text;

use crate::xml::{Document, NodeId};

/// ODE's session namespace.
pub const ODE_SESSION_NS: &str = "http://www.apache.org/ode/type/session";
/// The session namespace of ODE's predecessors, which ODE also writes and reads.
pub const INTALIO_SESSION_NS: &str = "http://www.intalio.com/type/session";

const NAMESPACES: [(&str, &str); 2] = [
    ("odesession", ODE_SESSION_NS),
    ("intalio", INTALIO_SESSION_NS),
];

/// Whether a header block named `{namespace}local` is one of these.
pub fn understands(namespace: &str) -> bool {
    NAMESPACES.iter().any(|(_, ns)| *ns == namespace)
}

/// The header blocks naming `sessions`, as a forest, in both namespaces.
pub fn header_blocks(sessions: &Sessions) -> String {
    let mut out = String::new();
    for (prefix, namespace) in NAMESPACES {
        if let Some(partner) = &sessions.partner {
            out.push_str(&format!(
                r#"<{prefix}:session xmlns:{prefix}="{namespace}">{}</{prefix}:session>"#,
                escape_text(partner)
            ));
        }
        if let Some(mine) = &sessions.mine {
            let session = mine.session.as_deref().map_or(String::new(), |session| {
                format!(
                    "<{prefix}:session>{}</{prefix}:session>",
                    escape_text(session)
                )
            });
            out.push_str(&format!(
                r#"<{prefix}:callback xmlns:{prefix}="{namespace}" xmlns:wsa="{WSA_NS}"><wsa:Address>{}</wsa:Address>{session}</{prefix}:callback>"#,
                escape_text(&mine.address)
            ));
        }
    }
    out
}

/// The reference parameters of the `wsa:ReplyTo` of a call naming `sessions`: the caller's
/// session, which a WS-Addressing partner sends back as a header block.
pub fn reply_parameters(sessions: &Sessions) -> String {
    let Some(session) = sessions
        .mine
        .as_ref()
        .and_then(|mine| mine.session.as_ref())
    else {
        return String::new();
    };
    let (prefix, namespace) = NAMESPACES[0];
    format!(
        r#"<{prefix}:session xmlns:{prefix}="{namespace}">{}</{prefix}:session>"#,
        escape_text(session)
    )
}

/// What the header blocks `headers` (a forest) of an inbound message say of sessions.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Inbound {
    /// The session of the instance the message is for.
    pub session: Option<String>,
    /// Where and how to call the sender back.
    pub callback: Option<Callback>,
}

impl Inbound {
    /// Reads `headers`; the `wsa:ReplyTo` of a message that expects no reply counts as a
    /// callback when it carries a session.
    pub fn read(headers: &Document, one_way: bool) -> Self {
        let blocks: Vec<NodeId> = headers.child_elements(headers.root()).collect();
        let named = |namespace: &str, local: &str| {
            blocks.iter().copied().find(|&block| {
                headers
                    .name(block)
                    .is_some_and(|name| name.ns == namespace && name.local == local)
            })
        };
        let session_in = |parent: NodeId| -> Option<String> {
            headers.child_elements(parent).find_map(|child| {
                let name = headers.name(child)?;
                (name.local == "session" && understands(&name.ns))
                    .then(|| headers.string_value(child).trim().to_owned())
            })
        };
        let address_in = |parent: NodeId| -> Option<String> {
            headers.child_elements(parent).find_map(|child| {
                let name = headers.name(child)?;
                (name.ns == WSA_NS && name.local == "Address")
                    .then(|| headers.string_value(child).trim().to_owned())
            })
        };
        let session = NAMESPACES
            .iter()
            .find_map(|(_, namespace)| named(namespace, "session"))
            .map(|block| headers.string_value(block).trim().to_owned());
        let session_callback = NAMESPACES
            .iter()
            .find_map(|(_, namespace)| named(namespace, "callback"))
            .and_then(|block| {
                Some(Callback {
                    address: address_in(block)?,
                    session: session_in(block),
                })
            });
        let reply_to = || {
            let reply_to = named(WSA_NS, "ReplyTo")?;
            let address = address_in(reply_to)?;
            let parameters = headers.child_elements(reply_to).find(|&child| {
                headers
                    .name(child)
                    .is_some_and(|name| name.ns == WSA_NS && name.local == "ReferenceParameters")
            })?;
            let session = session_in(parameters)?;
            let anonymous = address.starts_with(WSA_NS);
            (one_way && !anonymous).then_some(Callback {
                address,
                session: Some(session),
            })
        };
        let callback = session_callback.or_else(reply_to);
        Self {
            session: session.filter(|session| !session.is_empty()),
            callback: callback.filter(|callback| !callback.address.is_empty()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml;

    fn inbound(forest: &str, one_way: bool) -> Inbound {
        Inbound::read(&xml::parse_fragment(forest.as_bytes()).unwrap(), one_way)
    }

    #[test]
    fn the_blocks_written_for_a_call_are_read_back_by_its_partner() {
        let sessions = Sessions {
            partner: Some("7.1".into()),
            mine: Some(Callback {
                address: "http://h/processes/A?x=1&y=2".into(),
                session: Some("42.0".into()),
            }),
        };
        let read = inbound(&header_blocks(&sessions), false);
        assert_eq!(read.session.as_deref(), Some("7.1"));
        assert_eq!(read.callback, sessions.mine);
    }

    #[test]
    fn the_predecessors_namespace_is_read_too() {
        let forest = format!(
            r#"<i:session xmlns:i="{INTALIO_SESSION_NS}"> 9.2 </i:session>
               <i:callback xmlns:i="{INTALIO_SESSION_NS}" xmlns:a="{WSA_NS}"><a:Address>http://c/cb</a:Address></i:callback>"#
        );
        let read = inbound(&forest, false);
        assert_eq!(read.session.as_deref(), Some("9.2"));
        assert_eq!(
            read.callback,
            Some(Callback {
                address: "http://c/cb".into(),
                session: None
            })
        );
    }

    #[test]
    fn a_reply_to_is_a_callback_only_for_a_one_way_message_carrying_a_session() {
        let reply_to = |address: &str, parameters: &str| {
            format!(
                r#"<wsa:ReplyTo xmlns:wsa="{WSA_NS}"><wsa:Address>{address}</wsa:Address>{parameters}</wsa:ReplyTo>"#
            )
        };
        let session = format!(
            r#"<wsa:ReferenceParameters xmlns:wsa="{WSA_NS}"><s:session xmlns:s="{ODE_SESSION_NS}">3.0</s:session></wsa:ReferenceParameters>"#
        );
        let expected = Some(Callback {
            address: "http://c/cb".into(),
            session: Some("3.0".into()),
        });
        assert_eq!(
            inbound(&reply_to("http://c/cb", &session), true).callback,
            expected
        );
        assert_eq!(
            inbound(&reply_to("http://c/cb", &session), false).callback,
            None
        );
        assert_eq!(inbound(&reply_to("http://c/cb", ""), true).callback, None);
        let anonymous = format!("{WSA_NS}/anonymous");
        assert_eq!(
            inbound(&reply_to(&anonymous, &session), true).callback,
            None
        );
    }
}
