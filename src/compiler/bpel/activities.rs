//! The activity tree: one match arm per activity element, structured activities compiling
//! their children recursively into the process's activity arena. Supporting a new activity
//! means one arm here and one [`ActivityKind`] variant in the model.

use super::{ProcessCompiler, BPEL_NS};
use crate::model::{Activity, ActivityId, ActivityKind, Deadline, ExpressionUse};
use crate::xml::NodeId;

/// Elements of an activity that are not child activities.
const NOT_ACTIVITIES: [&str; 9] = [
    "documentation",
    "targets",
    "sources",
    "condition",
    "elseif",
    "else",
    "for",
    "until",
    "correlations",
];

impl ProcessCompiler<'_> {
    /// Compiles the activity element `node` and its children; None when it cannot be
    /// compiled (reported).
    pub(super) fn activity(&mut self, node: NodeId) -> Option<ActivityId> {
        if self.file.namespace(node) != BPEL_NS {
            let name = self
                .file
                .doc
                .name(node)
                .map(ToString::to_string)
                .unwrap_or_default();
            self.error(node, "BPEL", format!("{name} is not a BPEL activity"));
            self.incomplete = true;
            return None;
        }
        for links in ["targets", "sources"] {
            if let Some(child) = self.file.element_named(node, BPEL_NS, links) {
                self.unsupported(child);
            }
        }
        let id = self.push(node, ActivityKind::Empty);
        let kind = match self.file.local_name(node) {
            "receive" => self.receive(node).map(ActivityKind::Receive),
            "reply" => self.reply(node).map(ActivityKind::Reply),
            "invoke" => self.invoke(node).map(ActivityKind::Invoke),
            "assign" => self.assign(node).map(ActivityKind::Assign),
            "empty" => Some(ActivityKind::Empty),
            "exit" => Some(ActivityKind::Exit),
            "sequence" => self.sequence(node),
            "if" => self.if_activity(node),
            "while" => self.while_activity(node),
            "repeatUntil" => self.repeat_until(node),
            "wait" => self.wait(node),
            "throw" => self.throw(node),
            "flow" | "pick" | "scope" | "forEach" | "compensate" | "compensateScope"
            | "validate" | "rethrow" | "extensionActivity" => {
                self.unsupported(node);
                None
            }
            other => {
                self.error(node, "BPEL", format!("<{other}> is not a BPEL activity"));
                None
            }
        };
        match kind {
            Some(kind) => {
                self.activities[id.index()].kind = kind;
                Some(id)
            }
            None => {
                self.incomplete = true;
                None
            }
        }
    }

    /// Adds an activity for the element `node` to the arena.
    pub(super) fn push(&mut self, node: NodeId, kind: ActivityKind) -> ActivityId {
        let id = ActivityId(self.activities.len() as u32);
        self.activities.push(Activity {
            name: self.file.attr(node, "name").map(str::to_owned),
            location: self.file.location(node),
            kind,
            targets: None,
            sources: Vec::new(),
            suppress_join_failure: false,
        });
        id
    }

    /// The child elements of `node` that are activities.
    fn activity_children(&self, node: NodeId) -> Vec<NodeId> {
        self.file
            .elements(node)
            .filter(|&child| {
                self.file.namespace(child) == BPEL_NS
                    && !NOT_ACTIVITIES.contains(&self.file.local_name(child))
            })
            .collect()
    }

    /// The one child activity of `node` (a loop, branch or handler body).
    pub(super) fn single_activity(&mut self, node: NodeId) -> Option<ActivityId> {
        match self.activity_children(node).as_slice() {
            [child] => self.activity(*child),
            _ => {
                let element = self.file.local_name(node);
                self.error(
                    node,
                    "BPEL",
                    format!("<{element}> needs exactly one activity"),
                );
                self.incomplete = true;
                None
            }
        }
    }

    /// The required `{BPEL}name` child holding an expression.
    fn expression_child(
        &mut self,
        node: NodeId,
        name: &str,
        usage: ExpressionUse,
    ) -> Option<crate::model::ExprId> {
        match self.file.element_named(node, BPEL_NS, name) {
            Some(child) => Some(self.expression(child, usage)),
            None => {
                let element = self.file.local_name(node);
                self.error(node, "BPEL", format!("<{element}> needs a <{name}>"));
                None
            }
        }
    }

    fn sequence(&mut self, node: NodeId) -> Option<ActivityKind> {
        let children = self.activity_children(node);
        if children.is_empty() {
            self.error(
                node,
                "BPEL",
                "<sequence> needs at least one activity".to_owned(),
            );
        }
        let compiled: Vec<_> = children
            .into_iter()
            .map(|child| self.activity(child))
            .collect();
        compiled
            .into_iter()
            .collect::<Option<_>>()
            .map(ActivityKind::Sequence)
    }

    fn if_activity(&mut self, node: NodeId) -> Option<ActivityKind> {
        let condition = self.expression_child(node, "condition", ExpressionUse::Condition);
        let then = self.single_activity(node);
        let mut branches = vec![condition.zip(then)];
        let mut otherwise = Some(None);
        for child in self.file.elements(node) {
            if self.file.is(child, BPEL_NS, "elseif") {
                let condition = self.expression_child(child, "condition", ExpressionUse::Condition);
                let body = self.single_activity(child);
                branches.push(condition.zip(body));
            } else if self.file.is(child, BPEL_NS, "else") {
                otherwise = self.single_activity(child).map(Some);
            }
        }
        Some(ActivityKind::If {
            branches: branches.into_iter().collect::<Option<_>>()?,
            otherwise: otherwise?,
        })
    }

    fn while_activity(&mut self, node: NodeId) -> Option<ActivityKind> {
        let condition = self.expression_child(node, "condition", ExpressionUse::Condition);
        let body = self.single_activity(node);
        Some(ActivityKind::While {
            condition: condition?,
            body: body?,
        })
    }

    fn repeat_until(&mut self, node: NodeId) -> Option<ActivityKind> {
        let body = self.single_activity(node);
        let condition = self.expression_child(node, "condition", ExpressionUse::Condition);
        Some(ActivityKind::RepeatUntil {
            body: body?,
            condition: condition?,
        })
    }

    fn wait(&mut self, node: NodeId) -> Option<ActivityKind> {
        let duration = self.file.element_named(node, BPEL_NS, "for");
        let deadline = self.file.element_named(node, BPEL_NS, "until");
        match (duration, deadline) {
            (Some(duration), None) => {
                let expression = self.expression(duration, ExpressionUse::Duration);
                Some(ActivityKind::Wait(Deadline::For(expression)))
            }
            (None, Some(deadline)) => {
                let expression = self.expression(deadline, ExpressionUse::Deadline);
                Some(ActivityKind::Wait(Deadline::Until(expression)))
            }
            _ => {
                self.error(
                    node,
                    "BPEL",
                    "<wait> needs exactly one of <for>, <until>".to_owned(),
                );
                None
            }
        }
    }

    fn throw(&mut self, node: NodeId) -> Option<ActivityKind> {
        let fault = self
            .file
            .required_attr(node, "faultName", "BPEL", self.diagnostics)?;
        let fault = self.file.resolve_qname(node, fault);
        let variable = match self.file.attr(node, "faultVariable") {
            Some(_) => Some(self.variable_attr(node, "faultVariable")?),
            None => None,
        };
        match fault {
            Ok(fault) => Some(ActivityKind::Throw { fault, variable }),
            Err(message) => {
                self.error(node, "XML-NAMESPACE", format!("faultName: {message}"));
                None
            }
        }
    }
}
