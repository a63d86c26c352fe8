//! Interceptors by name, and the chains that run them.
//!
//! [`Interceptors`] is every interceptor a server can use, by the name configuration and
//! deploy.xml give. [`ServerInterceptors`] adds the [`Chain`] the configuration's
//! `[engine] interceptors` names, which runs for every process; each process version runs
//! that chain followed by the interceptors its deploy.xml names. A chain runs its
//! interceptors in order, each seeing the message as the previous one left it, and stops at
//! the first refusal.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::context::{InboundContext, PartnerContext};
use super::header_propagation::{self, HeaderPropagation};
use super::{Interceptor, Verdict};
use crate::config::{Configuration, HeaderPropagationConfig};

/// The interceptors a server can use, by name. Cheap to clone.
#[derive(Clone, Default)]
pub struct Interceptors {
    by_name: Arc<BTreeMap<String, Arc<dyn Interceptor>>>,
}

impl Interceptors {
    /// No interceptors.
    pub fn none() -> Self {
        Self::default()
    }

    /// The built-in interceptors, as configured: `header-propagation` when its settings name
    /// at least one header.
    pub fn built_in(header_propagation: &HeaderPropagationConfig) -> Self {
        let headers = header_propagation.header_names();
        if headers.is_empty() {
            return Self::none();
        }
        Self::none().with(header_propagation::NAME, HeaderPropagation::new(headers))
    }

    /// These interceptors and `interceptor` as `name`, which replaces one of the same name.
    pub fn with(self, name: impl Into<String>, interceptor: impl Interceptor) -> Self {
        let mut by_name = Arc::unwrap_or_clone(self.by_name);
        by_name.insert(name.into(), Arc::new(interceptor));
        Self {
            by_name: Arc::new(by_name),
        }
    }

    /// These interceptors and those of `others`, which replace those of the same names.
    pub fn and(self, others: &Interceptors) -> Self {
        let mut by_name = Arc::unwrap_or_clone(self.by_name);
        by_name.extend(
            others
                .by_name
                .iter()
                .map(|(name, interceptor)| (name.clone(), interceptor.clone())),
        );
        Self {
            by_name: Arc::new(by_name),
        }
    }

    /// The chain of the interceptors named `names`, in that order (a name given twice runs
    /// once, at its first place).
    pub fn chain(&self, names: &[String]) -> Result<Chain, UnknownInterceptor> {
        let mut chain = Chain::default();
        for name in names {
            let interceptor = self.by_name.get(name).ok_or_else(|| UnknownInterceptor {
                name: name.clone(),
                registered: self.by_name.keys().cloned().collect(),
            })?;
            chain.push(name, interceptor);
        }
        Ok(chain)
    }
}

impl fmt::Debug for Interceptors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.by_name.keys()).finish()
    }
}

/// A name that no registered interceptor has.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct UnknownInterceptor {
    pub name: String,
    /// The names that are registered.
    pub registered: Vec<String>,
}

impl fmt::Display for UnknownInterceptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "no interceptor named '{}' is registered", self.name)?;
        match self.registered.as_slice() {
            [] => f.write_str(" (none is)")?,
            names => write!(f, " (registered: {})", names.join(", "))?,
        }
        if self.name == header_propagation::NAME {
            write!(
                f,
                "; the built-in {} is registered when [{}] headers names at least one header",
                header_propagation::NAME,
                header_propagation::NAME
            )?;
        }
        Ok(())
    }
}

/// The interceptors a server runs with: every one it can use, and the chain that runs for
/// every process.
#[derive(Clone, Debug, Default)]
pub struct ServerInterceptors {
    pub registered: Interceptors,
    pub global: Chain,
}

impl ServerInterceptors {
    /// `registered`, with the chain of those named `global` running for every process.
    pub fn new(registered: Interceptors, global: &[String]) -> Result<Self, UnknownInterceptor> {
        let global = registered.chain(global)?;
        Ok(Self { registered, global })
    }

    /// The interceptors of a server configured by `config`: the built-in ones and `added`;
    /// the chain `[engine] interceptors` names runs for every process.
    pub fn configure(
        config: &Configuration,
        added: &Interceptors,
    ) -> Result<Self, UnknownInterceptor> {
        let registered = Interceptors::built_in(&config.header_propagation).and(added);
        Self::new(registered, &config.engine.interceptors)
    }

    /// The chain of a process whose deploy.xml names `own`: the global chain, then those.
    pub fn for_process(&self, own: &[String]) -> Result<Chain, UnknownInterceptor> {
        let own = self.registered.chain(own)?;
        let mut chain = self.global.clone();
        for (name, interceptor) in &own.entries {
            chain.push(name, interceptor);
        }
        Ok(chain)
    }
}

/// The four hook points, for messages and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Point {
    ServerInvoked,
    ProcessInvoked,
    NewInstanceInvoked,
    PartnerInvoked,
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::ServerInvoked => "server invoked",
            Self::ProcessInvoked => "process invoked",
            Self::NewInstanceInvoked => "new instance invoked",
            Self::PartnerInvoked => "partner invoked",
        })
    }
}

/// An interceptor refused the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the message was refused by interceptor '{interceptor}' ({point}): {reason}")]
pub struct Refusal {
    pub interceptor: String,
    pub point: Point,
    pub reason: String,
}

/// Interceptors in the order they run.
#[derive(Clone, Default)]
pub struct Chain {
    entries: Vec<(String, Arc<dyn Interceptor>)>,
}

impl Chain {
    fn push(&mut self, name: &str, interceptor: &Arc<dyn Interceptor>) {
        if !self.entries.iter().any(|(known, _)| known == name) {
            self.entries.push((name.to_owned(), interceptor.clone()));
        }
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Whether one of the interceptors understands the header block `name`.
    pub fn understands_header(&self, name: &crate::xml::QName) -> bool {
        self.entries
            .iter()
            .any(|(_, interceptor)| interceptor.understood_headers().contains(name))
    }

    /// The names of the interceptors, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(name, _)| name.as_str())
    }

    /// Runs `on_server_invoked` of every interceptor.
    pub fn server_invoked(&self, context: &mut InboundContext<'_>) -> Result<(), Refusal> {
        self.inbound(
            context,
            Point::ServerInvoked,
            Interceptor::on_server_invoked,
        )
    }

    /// Runs `on_process_invoked` of every interceptor.
    pub fn process_invoked(&self, context: &mut InboundContext<'_>) -> Result<(), Refusal> {
        self.inbound(
            context,
            Point::ProcessInvoked,
            Interceptor::on_process_invoked,
        )
    }

    /// Runs `on_new_instance_invoked` of every interceptor.
    pub fn new_instance_invoked(&self, context: &mut InboundContext<'_>) -> Result<(), Refusal> {
        self.inbound(
            context,
            Point::NewInstanceInvoked,
            Interceptor::on_new_instance_invoked,
        )
    }

    fn inbound(
        &self,
        context: &mut InboundContext<'_>,
        point: Point,
        hook: fn(&dyn Interceptor, &mut InboundContext<'_>) -> Verdict,
    ) -> Result<(), Refusal> {
        for (name, interceptor) in &self.entries {
            context.interceptor.clone_from(name);
            refused(hook(interceptor.as_ref(), context), name, point)?;
        }
        Ok(())
    }

    /// Runs `on_partner_invoked` of every interceptor.
    pub fn partner(&self, context: &mut PartnerContext<'_>) -> Result<(), Refusal> {
        for (name, interceptor) in &self.entries {
            context.interceptor.clone_from(name);
            refused(
                interceptor.on_partner_invoked(context),
                name,
                Point::PartnerInvoked,
            )?;
        }
        Ok(())
    }
}

fn refused(verdict: Verdict, interceptor: &str, point: Point) -> Result<(), Refusal> {
    match verdict {
        Verdict::Continue => Ok(()),
        Verdict::Refuse(reason) => Err(Refusal {
            interceptor: interceptor.to_owned(),
            point,
            reason,
        }),
    }
}

impl fmt::Debug for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::interceptor::context::{Call, Target};
    use crate::interceptor::Message;
    use crate::runtime::state::InterceptorValues;
    use crate::xml::QName;

    /// Records each hook it runs in a shared log; adds a header named after itself; refuses
    /// at `refuse_at`.
    struct Recorder {
        name: &'static str,
        log: Arc<Mutex<Vec<String>>>,
        refuse_at: Option<Point>,
    }

    impl Recorder {
        fn hook(&self, point: Point, message: &mut Message) -> Verdict {
            let seen: Vec<String> = message
                .header_blocks()
                .filter_map(|block| message.headers.name(block))
                .map(|name| name.local.clone())
                .collect();
            self.log.lock().unwrap().push(format!(
                "{} {point} after [{}]",
                self.name,
                seen.join(",")
            ));
            message
                .set_header_xml(&format!("<{}/>", self.name))
                .unwrap();
            match self.refuse_at {
                Some(refused) if refused == point => {
                    Verdict::Refuse(format!("{} says no", self.name))
                }
                _ => Verdict::Continue,
            }
        }
    }

    impl Interceptor for Recorder {
        fn on_server_invoked(&self, context: &mut InboundContext<'_>) -> Verdict {
            self.hook(Point::ServerInvoked, context.message_mut())
        }

        fn on_process_invoked(&self, context: &mut InboundContext<'_>) -> Verdict {
            context.keep("seen", self.name);
            self.hook(Point::ProcessInvoked, context.message_mut())
        }

        fn on_new_instance_invoked(&self, context: &mut InboundContext<'_>) -> Verdict {
            self.hook(Point::NewInstanceInvoked, context.message_mut())
        }

        fn on_partner_invoked(&self, context: &mut PartnerContext<'_>) -> Verdict {
            let kept = context.kept("seen").unwrap_or("nothing").to_owned();
            self.log
                .lock()
                .unwrap()
                .push(format!("{} kept {kept}", self.name));
            self.hook(Point::PartnerInvoked, context.message_mut())
        }
    }

    fn registered(
        log: &Arc<Mutex<Vec<String>>>,
        refuse: Option<(&'static str, Point)>,
    ) -> Interceptors {
        ["a", "b", "c"]
            .into_iter()
            .fold(Interceptors::none(), |all, name| {
                all.with(
                    name,
                    Recorder {
                        name,
                        log: log.clone(),
                        refuse_at: refuse
                            .filter(|(who, _)| *who == name)
                            .map(|(_, point)| point),
                    },
                )
            })
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| (*name).to_owned()).collect()
    }

    /// Runs the inbound hooks as the engine does for a message creating instance 7.
    fn receive(
        chain: &Chain,
        message: &mut Message,
        kept: &mut InterceptorValues,
    ) -> Result<(), Refusal> {
        let (service, process) = (QName::new("urn:s", "Service"), QName::new("urn:p", "P"));
        let target = Target {
            service: &service,
            port: "Port",
            address: "/p",
            partner_link: "client",
            operation: "run",
            pid: "{urn:p}P-1",
            process: &process,
        };
        chain.server_invoked(&mut InboundContext::new(target, None, message, kept))?;
        chain.process_invoked(&mut InboundContext::new(target, None, message, kept))?;
        chain.new_instance_invoked(&mut InboundContext::new(target, Some(7), message, kept))
    }

    #[test]
    fn global_interceptors_run_first_each_seeing_what_the_previous_left() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let server = ServerInterceptors::new(registered(&log, None), &names(&["b"])).unwrap();
        let chain = server.for_process(&names(&["a", "b"])).unwrap();
        assert_eq!(chain.names().collect::<Vec<_>>(), ["b", "a"]);
        let mut message = Message::new(crate::runtime::message::empty());
        let mut kept = InterceptorValues::new();
        receive(&chain, &mut message, &mut kept).unwrap();
        assert_eq!(
            *log.lock().unwrap(),
            [
                "b server invoked after []",
                "a server invoked after [b]",
                "b process invoked after [b,a]",
                "a process invoked after [a,b]",
                "b new instance invoked after [b,a]",
                "a new instance invoked after [a,b]",
            ]
        );
        assert_eq!(kept["a"]["seen"], "a");
        assert_eq!(kept["b"]["seen"], "b");
        log.lock().unwrap().clear();
        let process = QName::new("urn:p", "P");
        let call = Call {
            pid: "{urn:p}P-1",
            process: &process,
            instance: 7,
            partner_link: "partner",
            operation: "ask",
            one_way: false,
        };
        let mut outbound = Message::new(crate::runtime::message::empty());
        chain
            .partner(&mut PartnerContext::new(call, &mut outbound, &kept))
            .unwrap();
        assert_eq!(
            *log.lock().unwrap(),
            [
                "b kept b",
                "b partner invoked after []",
                "a kept a",
                "a partner invoked after [b]",
            ]
        );
    }

    #[test]
    fn a_refusal_stops_the_chain_and_names_the_interceptor() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let interceptors = registered(&log, Some(("a", Point::ProcessInvoked)));
        let chain = interceptors.chain(&names(&["a", "b"])).unwrap();
        let mut message = Message::new(crate::runtime::message::empty());
        let refusal = receive(&chain, &mut message, &mut InterceptorValues::new()).unwrap_err();
        assert_eq!(
            refusal,
            Refusal {
                interceptor: "a".into(),
                point: Point::ProcessInvoked,
                reason: "a says no".into(),
            }
        );
        assert_eq!(
            refusal.to_string(),
            "the message was refused by interceptor 'a' (process invoked): a says no"
        );
        assert_eq!(
            *log.lock().unwrap(),
            [
                "a server invoked after []",
                "b server invoked after [a]",
                "a process invoked after [a,b]",
            ]
        );
    }

    #[test]
    fn unknown_names_are_refused_with_what_is_registered() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let error =
            ServerInterceptors::new(registered(&log, None), &names(&["a", "audit"])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "no interceptor named 'audit' is registered (registered: a, b, c)"
        );
        let built_in = Interceptors::built_in(&HeaderPropagationConfig::default());
        let error = built_in.chain(&names(&["header-propagation"])).unwrap_err();
        assert!(
            error.to_string().starts_with(
                "no interceptor named 'header-propagation' is registered (none is); the built-in"
            ),
            "{error}"
        );
        let configured = HeaderPropagationConfig {
            headers: names(&["{urn:t}Trace"]),
        };
        let chain = Interceptors::built_in(&configured)
            .chain(&names(&["header-propagation"]))
            .unwrap();
        assert_eq!(chain.names().collect::<Vec<_>>(), ["header-propagation"]);
    }
}
