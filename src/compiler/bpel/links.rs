//! `<flow>` and its `<links>`, and the `<targets>`/`<sources>` of every activity: link
//! names resolve to the innermost enclosing flow declaring them, through the boundaries a
//! link may not cross, and the static rules on links (SA00064..SA00073) are checked here.

use std::collections::{HashMap, HashSet};

use super::{ProcessCompiler, BPEL_NS};
use crate::model::{
    ActivityId, ActivityKind, ExpressionUse, Link, LinkId, Location, Source, Targets,
};
use crate::xml::NodeId;

/// A link while its flow is compiled: its ends are found as activities are met.
pub(super) struct LinkDraft {
    name: String,
    flow: ActivityId,
    source: Option<ActivityId>,
    target: Option<ActivityId>,
    location: Location,
}

/// What lies between an activity and the links it may use, innermost last.
pub(super) enum LinkLevel {
    /// A flow and the links it declares.
    Flow(HashMap<String, LinkId>),
    /// A loop, forEach, event handler or compensation handler: no link crosses it.
    Closed,
    /// A catch, catchAll or termination handler: links may only leave it.
    OutboundOnly,
}

/// Whether an activity uses a link as its target (inbound) or its source.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Source,
    Target,
}

impl ProcessCompiler<'_> {
    /// `<flow>` (activity `id`): its links are visible to its children.
    pub(super) fn flow(&mut self, node: NodeId, id: ActivityId) -> Option<ActivityKind> {
        let mut names = HashMap::new();
        let mut declared = Vec::new();
        if let Some(list) = self.file.element_named(node, BPEL_NS, "links") {
            for link in self
                .file
                .elements_named(list, BPEL_NS, "link")
                .collect::<Vec<_>>()
            {
                let Some(name) = self
                    .file
                    .required_attr(link, "name", "BPEL", self.diagnostics)
                else {
                    continue;
                };
                let name = name.trim().to_owned();
                if names.contains_key(&name) {
                    let message = format!("link '{name}' is declared twice in this flow");
                    self.error(link, "SA00064", message);
                    continue;
                }
                let link_id = LinkId(self.links.len() as u32);
                self.links.push(LinkDraft {
                    name: name.clone(),
                    flow: id,
                    source: None,
                    target: None,
                    location: self.file.location(link),
                });
                names.insert(name, link_id);
                declared.push(link_id);
            }
        }
        self.link_levels.push(LinkLevel::Flow(names));
        let children: Vec<_> = self
            .activity_children(node)
            .into_iter()
            .map(|child| self.activity(child))
            .collect();
        self.link_levels.pop();
        if children.is_empty() {
            self.error(
                node,
                "BPEL",
                "<flow> needs at least one activity".to_owned(),
            );
        }
        for &link in &declared {
            let draft = &self.links[link.index()];
            let missing = match (draft.source, draft.target) {
                (None, _) => "source",
                (_, None) => "target",
                _ => continue,
            };
            let message = format!("link '{}' has no {missing} activity", draft.name);
            let at = draft.location.clone();
            self.diagnostics.error(&at, "SA00066", message);
        }
        Some(ActivityKind::Flow {
            links: declared,
            children: children.into_iter().collect::<Option<_>>()?,
        })
    }

    /// The `<targets>` and `<sources>` of the activity element `node` (activity `id`).
    pub(super) fn link_ends(&mut self, node: NodeId, id: ActivityId) {
        if let Some(targets) = self.file.element_named(node, BPEL_NS, "targets") {
            let links = self.ends(targets, "target", id, End::Target);
            let join_condition = self
                .file
                .element_named(targets, BPEL_NS, "joinCondition")
                .map(|condition| {
                    let names: Vec<String> = links
                        .iter()
                        .map(|(link, _)| self.links[link.index()].name.clone())
                        .collect();
                    let text = self.file.trimmed_text(condition);
                    if let Some(unknown) = variable_references(&text)
                        .into_iter()
                        .find(|name| !names.contains(name))
                    {
                        let message =
                            format!("joinCondition refers to '{unknown}', not an incoming link");
                        self.error(condition, "SA00073", message);
                    }
                    self.expression(condition, ExpressionUse::JoinCondition)
                });
            self.activities[id.index()].targets = Some(Targets {
                links: links.iter().map(|&(link, _)| link).collect(),
                join_condition,
            });
        }
        if let Some(sources) = self.file.element_named(node, BPEL_NS, "sources") {
            let links = self.ends(sources, "source", id, End::Source);
            self.activities[id.index()].sources = links
                .into_iter()
                .map(|(link, source)| Source {
                    link,
                    transition_condition: self
                        .file
                        .element_named(source, BPEL_NS, "transitionCondition")
                        .map(|condition| self.expression(condition, ExpressionUse::Condition)),
                })
                .collect();
        }
    }

    /// The `<target>` or `<source>` children of `list`, each a link `id` is an end of.
    fn ends(
        &mut self,
        list: NodeId,
        element: &str,
        id: ActivityId,
        end: End,
    ) -> Vec<(LinkId, NodeId)> {
        let mut found: Vec<(LinkId, NodeId)> = Vec::new();
        for node in self
            .file
            .elements_named(list, BPEL_NS, element)
            .collect::<Vec<_>>()
        {
            let Some(name) = self
                .file
                .required_attr(node, "linkName", "BPEL", self.diagnostics)
            else {
                continue;
            };
            let name = name.trim().to_owned();
            let Some(link) = self.resolve_link(node, &name, end) else {
                continue;
            };
            if found.iter().any(|&(seen, _)| seen == link) {
                let rule = match end {
                    End::Source => "SA00068",
                    End::Target => "SA00069",
                };
                let message = format!("link '{name}' is named twice in <{element}s>");
                self.error(node, rule, message);
                continue;
            }
            let draft = &mut self.links[link.index()];
            let slot = match end {
                End::Source => &mut draft.source,
                End::Target => &mut draft.target,
            };
            if slot.is_some() {
                let message = format!("link '{name}' has a second {element} activity");
                self.error(node, "SA00066", message);
                continue;
            }
            *slot = Some(id);
            found.push((link, node));
        }
        found
    }

    /// The link `name` as seen from the current point, reporting a link not declared by an
    /// enclosing flow (SA00065) or crossing a boundary it may not cross (SA00070, SA00071).
    fn resolve_link(&mut self, node: NodeId, name: &str, end: End) -> Option<LinkId> {
        let mut closed = false;
        let mut outbound_only = false;
        let mut found = None;
        for level in self.link_levels.iter().rev() {
            match level {
                LinkLevel::Flow(names) => {
                    if let Some(&link) = names.get(name) {
                        found = Some(link);
                        break;
                    }
                }
                LinkLevel::Closed => closed = true,
                LinkLevel::OutboundOnly => outbound_only = true,
            }
        }
        let Some(link) = found else {
            let message = format!("link '{name}' is not declared by an enclosing <flow>");
            self.error(node, "SA00065", message);
            return None;
        };
        if closed {
            let message = format!(
                "link '{name}' crosses the boundary of a loop, forEach, event handler or \
                 compensation handler"
            );
            self.error(node, "SA00070", message);
            return None;
        }
        if outbound_only && end == End::Target {
            let message = format!(
                "link '{name}' enters a catch, catchAll or termination handler: links may \
                 only leave them"
            );
            self.error(node, "SA00071", message);
            return None;
        }
        Some(link)
    }

    /// The process's links, checking that no two connect the same activities (SA00067).
    pub(super) fn finish_links(&mut self) -> Vec<Link> {
        let mut pairs = HashSet::new();
        let mut links = Vec::new();
        for draft in std::mem::take(&mut self.links) {
            // A missing end was reported: the placeholder never runs.
            let source = draft.source.unwrap_or(draft.flow);
            let target = draft.target.unwrap_or(draft.flow);
            if draft.source.is_some() && draft.target.is_some() && !pairs.insert((source, target)) {
                let message = format!(
                    "link '{}' connects the same activities as another link",
                    draft.name
                );
                self.diagnostics.error(&draft.location, "SA00067", message);
            }
            links.push(Link {
                name: draft.name,
                flow: draft.flow,
                source,
                target,
            });
        }
        links
    }

    /// SA00072: links must not create a control cycle. Each activity has a start and an end
    /// event; a parent starts before its children and ends after them, a sequence's child
    /// ends before the next starts, a link's source ends before its target starts. A link
    /// closes a cycle when its target's start reaches its source's end.
    pub(super) fn check_control_cycles(&mut self, root: ActivityId, links: &[Link]) {
        let count = self.activities.len();
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); 2 * count];
        let (start, end) = (
            |a: ActivityId| 2 * a.index(),
            |a: ActivityId| 2 * a.index() + 1,
        );
        let mut pending = vec![root];
        let mut seen = HashSet::new();
        while let Some(activity) = pending.pop() {
            if !seen.insert(activity) {
                continue;
            }
            edges[start(activity)].push(end(activity));
            let children = self.children(activity);
            if let ActivityKind::Sequence(sequence) = &self.activities[activity.index()].kind {
                for pair in sequence.windows(2) {
                    edges[end(pair[0])].push(start(pair[1]));
                }
            }
            for child in children {
                edges[start(activity)].push(start(child));
                edges[end(child)].push(end(activity));
                pending.push(child);
            }
        }
        for link in links {
            edges[end(link.source)].push(start(link.target));
        }
        for link in links {
            if reaches(&edges, start(link.target), end(link.source)) {
                let message = format!("link '{}' creates a control cycle", link.name);
                let at = self.activities[link.source.index()].location.clone();
                self.diagnostics.error(&at, "SA00072", message);
                return;
            }
        }
    }

    /// The activities directly nested in `id`, handlers included.
    fn children(&self, id: ActivityId) -> Vec<ActivityId> {
        match &self.activities[id.index()].kind {
            ActivityKind::Sequence(children) | ActivityKind::Flow { children, .. } => {
                children.clone()
            }
            ActivityKind::If {
                branches,
                otherwise,
            } => branches
                .iter()
                .map(|&(_, branch)| branch)
                .chain(*otherwise)
                .collect(),
            ActivityKind::While { body, .. } | ActivityKind::RepeatUntil { body, .. } => {
                vec![*body]
            }
            ActivityKind::ForEach(for_each) => vec![for_each.scope],
            ActivityKind::Pick(pick) => pick
                .on_messages
                .iter()
                .map(|on| on.activity)
                .chain(pick.on_alarms.iter().map(|on| on.activity))
                .collect(),
            ActivityKind::Scope(scope) => {
                let scope = &self.scopes[scope.index()];
                let handlers = &scope.fault_handlers;
                std::iter::once(scope.body)
                    .chain(handlers.catches.iter().map(|catch| catch.activity))
                    .chain(handlers.catch_all)
                    .chain(scope.compensation_handler)
                    .chain(scope.termination_handler)
                    .chain(scope.event_handlers.on_events.iter().map(|on| on.activity))
                    .chain(scope.event_handlers.on_alarms.iter().map(|on| on.activity))
                    .collect()
            }
            _ => Vec::new(),
        }
    }
}

/// Whether `to` is reachable from `from`.
fn reaches(edges: &[Vec<usize>], from: usize, to: usize) -> bool {
    let mut seen = vec![false; edges.len()];
    let mut pending = vec![from];
    while let Some(node) = pending.pop() {
        if node == to {
            return true;
        }
        if !std::mem::replace(&mut seen[node], true) {
            pending.extend(&edges[node]);
        }
    }
    false
}

/// The names of the variables an XPath expression refers to (`$name`), outside string
/// literals.
fn variable_references(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut chars = text.chars().peekable();
    let mut quote = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(open), _) if c == open => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '$') => {
                let mut name = String::new();
                while let Some(&next) = chars.peek() {
                    if next.is_alphanumeric() || matches!(next, '_' | '-' | '.' | ':') {
                        name.push(next);
                        chars.next();
                    } else {
                        break;
                    }
                }
                names.push(name);
            }
            (None, _) => {}
        }
    }
    names
}
