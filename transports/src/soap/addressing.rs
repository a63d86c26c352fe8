//! WS-Addressing 1.0 (namespace `http://www.w3.org/2005/08/addressing`) as SOAP headers:
//! [`Addressing::to_headers`] writes the message addressing properties of an outbound message
//! as a header forest, and [`message_id`] finds the `wsa:MessageID` of an inbound one, which
//! its reply names in `wsa:RelatesTo`.
//!
//! What the properties say (which address, which action, where replies go) is the caller's
//! business; this module only writes and reads them.

use quick_xml::events::Event;

use crate::soap::xml;
use crate::xml::Resolved;

/// The WS-Addressing 1.0 namespace.
pub const WSA_NS: &str = "http://www.w3.org/2005/08/addressing";

/// The message addressing properties of one outbound message; absent ones are not written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Addressing {
    /// `wsa:To`: the address the message is sent to.
    pub to: Option<String>,
    /// `wsa:Action`.
    pub action: Option<String>,
    /// `wsa:MessageID`: an absolute IRI unique to this message.
    pub message_id: Option<String>,
    /// `wsa:RelatesTo`: the MessageID of the message this one answers.
    pub relates_to: Option<String>,
    /// `wsa:ReplyTo/wsa:Address`: where answers to this message go.
    pub reply_to: Option<String>,
    /// The children of `wsa:ReplyTo/wsa:ReferenceParameters`, as a standalone forest (empty:
    /// none), which the partner sends back with its answers.
    pub reply_parameters: String,
    /// The children of the destination's `wsa:ReferenceParameters`, as a standalone forest;
    /// each is written as a header of its own, marked `wsa:IsReferenceParameter="true"`.
    pub reference_parameters: String,
}

impl Addressing {
    /// The headers, as a standalone forest (empty when there is nothing to write).
    pub fn to_headers(&self) -> String {
        let mut out = String::new();
        let mut property = |name: &str, value: &Option<String>| {
            if let Some(value) = value {
                out.push_str(&format!(
                    r#"<wsa:{name} xmlns:wsa="{WSA_NS}">{}</wsa:{name}>"#,
                    escape(value)
                ));
            }
        };
        property("To", &self.to);
        property("Action", &self.action);
        property("MessageID", &self.message_id);
        property("RelatesTo", &self.relates_to);
        if let Some(reply_to) = &self.reply_to {
            let parameters = match self.reply_parameters.is_empty() {
                true => String::new(),
                false => format!(
                    "<wsa:ReferenceParameters>{}</wsa:ReferenceParameters>",
                    self.reply_parameters
                ),
            };
            out.push_str(&format!(
                r#"<wsa:ReplyTo xmlns:wsa="{WSA_NS}"><wsa:Address>{}</wsa:Address>{parameters}</wsa:ReplyTo>"#,
                escape(reply_to)
            ));
        }
        out.push_str(&mark_reference_parameters(&self.reference_parameters));
        out
    }
}

/// The `wsa:MessageID` among the header forest `headers`, if there is one.
pub fn message_id(headers: &[u8]) -> Option<String> {
    if headers.is_empty() {
        return None;
    }
    let mut wrapped = Vec::with_capacity(headers.len() + 7);
    wrapped.extend_from_slice(b"<h>");
    wrapped.extend_from_slice(headers);
    wrapped.extend_from_slice(b"</h>");
    let mut reader = xml::reader(&wrapped).ok()?;
    let mut depth = 0usize;
    loop {
        let event = reader.read_event().ok()?;
        let is_message_id = match &event {
            Event::Start(start) => {
                depth == 1
                    && start.local_name().as_ref() == b"MessageID"
                    && reader.resolve_element(start.name()).0 == Resolved::Bound(WSA_NS.as_bytes())
            }
            _ => false,
        };
        match (is_message_id, event) {
            (true, _) => {
                let id = xml::read_text(&mut reader).ok()?;
                let id = id.trim();
                return (!id.is_empty()).then(|| id.to_owned());
            }
            (_, Event::Start(_)) => depth += 1,
            (_, Event::End(_)) => depth = depth.checked_sub(1)?,
            (_, Event::Eof) => return None,
            _ => {}
        }
    }
}

/// Adds `wsa:IsReferenceParameter="true"` to each top-level element of `forest`.
fn mark_reference_parameters(forest: &str) -> String {
    let mut out = String::with_capacity(forest.len());
    let mut depth = 0usize;
    let mut rest = forest;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        rest = &rest[open..];
        let Some(close) = tag_end(rest) else {
            out.push_str(rest);
            return out;
        };
        let tag = &rest[..=close];
        rest = &rest[close + 1..];
        if tag.starts_with("</") {
            depth = depth.saturating_sub(1);
            out.push_str(tag);
            continue;
        }
        if tag.starts_with("<?") || tag.starts_with("<!") {
            out.push_str(tag);
            continue;
        }
        let empty = tag.ends_with("/>");
        if depth == 0 {
            let body = tag.trim_end_matches('>').trim_end_matches('/');
            out.push_str(body);
            out.push_str(&format!(
                r#" xmlns:wsaref="{WSA_NS}" wsaref:IsReferenceParameter="true""#
            ));
            out.push_str(if empty { "/>" } else { ">" });
        } else {
            out.push_str(tag);
        }
        if !empty {
            depth += 1;
        }
    }
    out.push_str(rest);
    out
}

/// The index of the `>` closing the tag `text` starts with, quotes respected.
fn tag_end(text: &str) -> Option<usize> {
    let mut quote = None;
    for (index, c) in text.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, '>') => return Some(index),
            _ => {}
        }
    }
    None
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_are_written_in_order_and_escaped() {
        let addressing = Addressing {
            to: Some("http://partner/ws?a=1&b=2".into()),
            action: Some("urn:act".into()),
            message_id: Some("urn:baton:message:1".into()),
            relates_to: None,
            reply_to: Some("http://me/callback".into()),
            reply_parameters: String::new(),
            reference_parameters: String::new(),
        };
        let headers = addressing.to_headers();
        assert!(headers.starts_with(&format!(
            r#"<wsa:To xmlns:wsa="{WSA_NS}">http://partner/ws?a=1&amp;b=2</wsa:To>"#
        )));
        let action = headers.find("wsa:Action").unwrap();
        let id = headers.find("wsa:MessageID").unwrap();
        let reply_to = headers.find("<wsa:Address>http://me/callback</wsa:Address>");
        assert!(action < id && id < reply_to.unwrap());
        assert!(!headers.contains("RelatesTo"));
        assert_eq!(Addressing::default().to_headers(), "");
    }

    #[test]
    fn reply_parameters_are_written_inside_the_reply_to() {
        let addressing = Addressing {
            reply_to: Some("http://me/callback".into()),
            reply_parameters: r#"<s:session xmlns:s="urn:s">4.1</s:session>"#.into(),
            ..Addressing::default()
        };
        assert_eq!(
            addressing.to_headers(),
            format!(
                r#"<wsa:ReplyTo xmlns:wsa="{WSA_NS}"><wsa:Address>http://me/callback</wsa:Address><wsa:ReferenceParameters><s:session xmlns:s="urn:s">4.1</s:session></wsa:ReferenceParameters></wsa:ReplyTo>"#
            )
        );
    }

    #[test]
    fn reference_parameters_become_marked_headers() {
        let addressing = Addressing {
            reference_parameters:
                r#"<k:Key xmlns:k="urn:k"><k:v>1</k:v></k:Key><k:Flag xmlns:k="urn:k"/>"#.into(),
            ..Addressing::default()
        };
        assert_eq!(
            addressing.to_headers(),
            format!(
                r#"<k:Key xmlns:k="urn:k" xmlns:wsaref="{WSA_NS}" wsaref:IsReferenceParameter="true"><k:v>1</k:v></k:Key><k:Flag xmlns:k="urn:k" xmlns:wsaref="{WSA_NS}" wsaref:IsReferenceParameter="true"/>"#
            )
        );
    }

    #[test]
    fn the_message_id_of_inbound_headers_is_found() {
        let headers = format!(
            r#"<x:Other xmlns:x="urn:x"><a:MessageID xmlns:a="{WSA_NS}">nested</a:MessageID></x:Other><a:MessageID xmlns:a="{WSA_NS}"> urn:uuid:42 </a:MessageID>"#
        );
        assert_eq!(
            message_id(headers.as_bytes()).as_deref(),
            Some("urn:uuid:42")
        );
        assert_eq!(message_id(b"<MessageID>not wsa</MessageID>"), None);
        assert_eq!(message_id(b""), None);
        assert_eq!(message_id(b"<broken"), None);
    }
}
