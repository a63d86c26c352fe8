//! The interceptors of these tests, registered as a program running Baton registers its own,
//! and the server that runs with them.

use baton::interceptor::{InboundContext, Interceptor, PartnerContext, Verdict};
use baton::plugins::PlugIns;
use baton::xml::QName;

/// Set in the environment of this executable to make it a server with the interceptors.
pub(crate) const SERVE_VAR: &str = "INTERCEPTOR_TEST_SERVER";

/// Refuses messages without a `ticket` header block, before they are routed.
pub(crate) const REQUIRE_TICKET: &str = "require-ticket";
pub(crate) const TICKET_NS: &str = "urn:baton:test:ticket";
/// The reason [`REQUIRE_TICKET`] gives.
pub(crate) const NO_TICKET: &str = "the message carries no ticket";

/// Upper-cases the text of every part of the messages processes receive.
pub(crate) const SHOUT: &str = "shout";

/// Refuses every partner call.
pub(crate) const NO_CALLS: &str = "no-calls";

/// Runs the `baton` command line with the interceptors.
pub(crate) fn serve() {
    let plugins = PlugIns::none()
        .with_interceptor(REQUIRE_TICKET, RequireTicket)
        .with_interceptor(SHOUT, Shout)
        .with_interceptor(NO_CALLS, NoCalls);
    if let Err(error) = baton::cli::run(plugins) {
        eprintln!("{error:#}");
        std::process::exit(1);
    }
}

struct RequireTicket;

impl Interceptor for RequireTicket {
    fn on_server_invoked(&self, context: &mut InboundContext<'_>) -> Verdict {
        match context.message().header(&QName::new(TICKET_NS, "ticket")) {
            Some(_) => Verdict::Continue,
            None => Verdict::Refuse(NO_TICKET.into()),
        }
    }
}

struct Shout;

impl Interceptor for Shout {
    fn on_process_invoked(&self, context: &mut InboundContext<'_>) -> Verdict {
        let parts = &mut context.message_mut().parts;
        let texts: Vec<_> = parts
            .descendants(parts.root())
            .filter(|&node| parts.text(node).is_some())
            .collect();
        for node in texts {
            let loud = parts.string_value(node).to_uppercase();
            let loud = parts.new_text(&loud);
            parts.insert_before(node, loud);
            parts.detach(node);
        }
        Verdict::Continue
    }
}

struct NoCalls;

impl Interceptor for NoCalls {
    fn on_partner_invoked(&self, context: &mut PartnerContext<'_>) -> Verdict {
        Verdict::Refuse(format!(
            "instance {} may not call {}",
            context.instance(),
            context.partner_link()
        ))
    }
}
