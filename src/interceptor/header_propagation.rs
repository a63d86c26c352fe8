//! The built-in `header-propagation` interceptor: it carries chosen SOAP header blocks from
//! the messages an instance receives onto the calls the instance makes to its partners, as
//! a transaction id, a tenant or a security token travels along a chain of services.
//!
//! Configured by `[header-propagation] headers`, a list of header names in the form
//! `{namespace}local`. When a message reaches an instance (creating it or not), each of
//! those blocks it carries is kept with the instance, replacing the block of that name kept
//! before; every later partner call of the instance carries the kept blocks (in place of
//! blocks of the same names the call already has). The blocks are stored with the
//! instance's state, so they survive dehydration and restarts.

use super::context::{InboundContext, PartnerContext};
use super::{Interceptor, Verdict};
use crate::xml::QName;

/// The name the built-in is registered under.
pub const NAME: &str = "header-propagation";

/// Carries the header blocks named `headers`.
#[derive(Debug, Clone)]
pub struct HeaderPropagation {
    headers: Vec<QName>,
}

impl HeaderPropagation {
    pub fn new(headers: Vec<QName>) -> Self {
        Self { headers }
    }
}

impl Interceptor for HeaderPropagation {
    fn understood_headers(&self) -> &[QName] {
        &self.headers
    }

    fn on_process_invoked(&self, context: &mut InboundContext<'_>) -> Verdict {
        for name in &self.headers {
            if let Some(block) = context.message().header_xml(name) {
                context.keep(name.to_string(), block);
            }
        }
        Verdict::Continue
    }

    fn on_partner_invoked(&self, context: &mut PartnerContext<'_>) -> Verdict {
        for name in &self.headers {
            let Some(block) = context.kept(&name.to_string()).map(str::to_owned) else {
                continue;
            };
            if let Err(error) = context.message_mut().set_header_xml(&block) {
                return Verdict::Refuse(format!("the kept header {name} is unreadable: {error}"));
            }
        }
        Verdict::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interceptor::context::{Call, Target};
    use crate::interceptor::{Interceptors, Message};
    use crate::runtime::state::InterceptorValues;

    #[test]
    fn chosen_blocks_of_received_messages_go_on_partner_calls() {
        let trace = QName::new("urn:t", "Trace");
        let chain = Interceptors::none()
            .with(NAME, HeaderPropagation::new(vec![trace.clone()]))
            .chain(&[NAME.to_owned()])
            .unwrap();
        let (service, process) = (QName::new("urn:s", "S"), QName::new("urn:p", "P"));
        let target = Target {
            service: &service,
            port: "Port",
            address: "/p",
            partner_link: "client",
            operation: "run",
            pid: "{urn:p}P-1",
            process: &process,
        };
        let received = br#"<t:Trace xmlns:t="urn:t">abc</t:Trace><o:Other xmlns:o="urn:o"/>"#;
        let mut message =
            Message::with_header_forest(received, crate::runtime::message::empty()).unwrap();
        let mut kept = InterceptorValues::new();
        chain
            .process_invoked(&mut InboundContext::new(
                target,
                Some(3),
                &mut message,
                &mut kept,
            ))
            .unwrap();
        assert_eq!(kept[NAME].len(), 1, "{kept:?}");
        let call = Call {
            pid: "{urn:p}P-1",
            process: &process,
            instance: 3,
            partner_link: "partner",
            operation: "ask",
            one_way: true,
        };
        let mut outbound = Message::new(crate::runtime::message::empty());
        outbound
            .set_header_xml(r#"<t:Trace xmlns:t="urn:t">stale</t:Trace>"#)
            .unwrap();
        chain
            .partner(&mut PartnerContext::new(call, &mut outbound, &kept))
            .unwrap();
        let blocks: Vec<_> = outbound.header_blocks().collect();
        assert_eq!(blocks.len(), 1);
        assert_eq!(outbound.headers.name(blocks[0]), Some(&trace));
        assert_eq!(outbound.headers.string_value(blocks[0]), "abc");
    }
}
