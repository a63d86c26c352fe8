//! The activity tree: one match arm per activity element, structured activities compiling
//! their children recursively into the process's activity arena. Supporting a new activity
//! means one arm here and one [`ActivityKind`] variant in the model.

use super::links::LinkLevel;
use super::{ProcessCompiler, BPEL_NS};
use crate::model::{
    Activity, ActivityId, ActivityKind, CompletionCondition, Deadline, ExpressionUse,
    FailureHandling, ForEach,
};
use crate::xml::NodeId;

/// ODE's activity recovery namespace, of `<failureHandling>`.
const ACTIVITY_RECOVERY_NS: &str = "http://ode.apache.org/activityRecovery";

/// Elements of an activity that are not child activities.
const NOT_ACTIVITIES: [&str; 24] = [
    "documentation",
    "then",
    "targets",
    "sources",
    "condition",
    "elseif",
    "else",
    "for",
    "until",
    "repeatEvery",
    "correlations",
    "links",
    "startCounterValue",
    "finalCounterValue",
    "completionCondition",
    "onMessage",
    "onAlarm",
    "catch",
    "catchAll",
    "compensationHandler",
    "toParts",
    "fromParts",
    "copy",
    "extensionAssignOperation",
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
        let id = self.push(node, ActivityKind::Empty);
        let saved = (self.suppress_join_failure, self.failure_handling.clone());
        self.suppress_join_failure = self.file.yes_no_attr(
            node,
            "suppressJoinFailure",
            self.suppress_join_failure,
            self.diagnostics,
        );
        self.activities[id.index()].suppress_join_failure = self.suppress_join_failure;
        if let Some(handling) =
            self.file
                .element_named(node, ACTIVITY_RECOVERY_NS, "failureHandling")
        {
            self.failure_handling = Some(self.failure_handling(handling));
        }
        self.link_ends(node, id);
        let kind = match self.file.local_name(node) {
            "receive" => self.receive(node).map(ActivityKind::Receive),
            "reply" => self.reply(node).map(ActivityKind::Reply),
            "invoke" => self.invoke_activity(node, id),
            "assign" => self.assign(node).map(ActivityKind::Assign),
            "empty" => Some(ActivityKind::Empty),
            "exit" => Some(ActivityKind::Exit),
            "terminate" => {
                self.draft_form(node, "<exit>");
                Some(ActivityKind::Exit)
            }
            "sequence" => self.sequence(node),
            "if" => self.if_activity(node),
            "while" => self.loop_body(|this| this.while_activity(node)),
            "repeatUntil" => self.loop_body(|this| this.repeat_until(node)),
            "wait" => self.wait(node),
            "throw" => self.throw(node),
            "rethrow" => self.rethrow(node),
            "flow" => self.flow(node, id),
            "pick" => self.pick(node),
            "scope" => self.scope_activity(node, id, None),
            "forEach" => self.loop_body(|this| this.for_each(node)),
            "compensate" if self.file.attr(node, "scope").is_some() => {
                self.draft_form(node, "<compensateScope target>");
                self.compensate_scope(node, id)
            }
            "compensate" => self.compensate(node),
            "compensateScope" => self.compensate_scope(node, id),
            "validate" => self.validate(node),
            "extensionActivity" => self.extension_activity(node),
            other => {
                self.error(node, "BPEL", format!("<{other}> is not a BPEL activity"));
                None
            }
        };
        (self.suppress_join_failure, self.failure_handling) = saved;
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
    pub(super) fn activity_children(&self, node: NodeId) -> Vec<NodeId> {
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

    /// Compiles a loop (while, repeatUntil, forEach), whose boundary no link crosses.
    fn loop_body(
        &mut self,
        compile: impl FnOnce(&mut Self) -> Option<ActivityKind>,
    ) -> Option<ActivityKind> {
        self.link_levels.push(LinkLevel::Closed);
        let kind = compile(self);
        self.link_levels.pop();
        kind
    }

    /// ODE's `<failureHandling>`: retries and whether to fault when they are exhausted.
    fn failure_handling(&mut self, node: NodeId) -> FailureHandling {
        let mut number = |name: &str| {
            let child = self.file.element_named(node, ACTIVITY_RECOVERY_NS, name)?;
            let text = self.file.trimmed_text(child);
            match text.parse() {
                Ok(value) => Some(value),
                Err(_) => {
                    let message = format!("<{name}> must be a non-negative integer, not '{text}'");
                    self.error(child, "BPEL", message);
                    None
                }
            }
        };
        let retry_for = number("retryFor").unwrap_or(0);
        let retry_delay = number("retryDelay").unwrap_or(0);
        let fault_on_failure = self
            .file
            .element_named(node, ACTIVITY_RECOVERY_NS, "faultOnFailure")
            .is_some_and(|child| self.file.trimmed_text(child) == "true");
        FailureHandling {
            retry_for,
            retry_delay,
            fault_on_failure,
        }
    }

    /// `<invoke>` (activity `id`): with inline catches or a compensation handler, an
    /// implicit scope holding them wraps the invoke.
    fn invoke_activity(&mut self, node: NodeId, id: ActivityId) -> Option<ActivityKind> {
        let handlers: Vec<NodeId> = self
            .file
            .elements(node)
            .filter(|&child| {
                self.file.namespace(child) == BPEL_NS
                    && matches!(
                        self.file.local_name(child),
                        "catch" | "catchAll" | "compensationHandler"
                    )
            })
            .collect();
        if handlers.is_empty() {
            return self.invoke(node).map(ActivityKind::Invoke);
        }
        let scope = self.open_scope(Some(id));
        let inner = self.push(node, ActivityKind::Empty);
        let invoke = self.invoke(node);
        self.scopes[scope.index()].body = inner;
        self.scopes[scope.index()].fault_handlers = self.fault_handlers(node, scope);
        if let Some(&handler) = handlers
            .iter()
            .find(|&&child| self.file.local_name(child) == "compensationHandler")
        {
            self.scopes[scope.index()].compensation_handler =
                self.handler_activity(handler, scope, super::scopes::Handler::Compensation);
        }
        self.close_scope();
        self.activities[inner.index()].kind = ActivityKind::Invoke(invoke?);
        Some(ActivityKind::Scope(scope))
    }

    /// `<forEach>`: its counter is declared by its child `<scope>`.
    fn for_each(&mut self, node: NodeId) -> Option<ActivityKind> {
        let counter = self
            .file
            .required_attr(node, "counterName", "BPEL", self.diagnostics)
            .map(|name| name.trim().to_owned());
        let parallel = self
            .file
            .yes_no_attr(node, "parallel", false, self.diagnostics);
        let start = self.expression_child(node, "startCounterValue", ExpressionUse::Unsigned);
        let end = self.expression_child(node, "finalCounterValue", ExpressionUse::Unsigned);
        let completion = match self
            .file
            .element_named(node, BPEL_NS, "completionCondition")
        {
            None => Some(None),
            Some(condition) => self
                .file
                .element_named(condition, BPEL_NS, "branches")
                .map(|branches| {
                    let successful_only = self.file.yes_no_attr(
                        branches,
                        "successfulBranchesOnly",
                        false,
                        self.diagnostics,
                    );
                    Some(CompletionCondition {
                        branches: self.expression(branches, ExpressionUse::Unsigned),
                        successful_only,
                    })
                })
                .or(Some(None)),
        };
        let Some(child) = self.file.element_named(node, BPEL_NS, "scope") else {
            self.error(node, "BPEL", "<forEach> needs a <scope>".to_owned());
            return None;
        };
        let counter_name = counter?;
        let scope = self.push(child, ActivityKind::Empty);
        let kind = self.scope_body_of_for_each(child, scope, node, &counter_name);
        let ActivityKind::Scope(scope_id) = kind? else {
            return None;
        };
        let counter = *self.scopes[scope_id.index()].variables.first()?;
        if self.variables[counter.index()].name != counter_name {
            return None;
        }
        Some(ActivityKind::ForEach(ForEach {
            counter,
            parallel,
            start: start?,
            end: end?,
            completion: completion?,
            scope,
        }))
    }

    /// Compiles the child `<scope>` of a forEach as an activity declaring the counter.
    fn scope_body_of_for_each(
        &mut self,
        child: NodeId,
        id: ActivityId,
        for_each: NodeId,
        counter: &str,
    ) -> Option<ActivityKind> {
        let saved = self.suppress_join_failure;
        self.suppress_join_failure = self.file.yes_no_attr(
            child,
            "suppressJoinFailure",
            self.suppress_join_failure,
            self.diagnostics,
        );
        self.activities[id.index()].suppress_join_failure = self.suppress_join_failure;
        self.link_ends(child, id);
        let kind = self.scope_activity(child, id, Some((for_each, counter.to_owned())));
        self.suppress_join_failure = saved;
        match kind {
            Some(kind) => {
                self.activities[id.index()].kind = kind.clone();
                Some(kind)
            }
            None => {
                self.incomplete = true;
                None
            }
        }
    }

    /// `<validate variables>`.
    fn validate(&mut self, node: NodeId) -> Option<ActivityKind> {
        let names = self
            .file
            .required_attr(node, "variables", "BPEL", self.diagnostics)?
            .to_owned();
        let mut variables = Some(Vec::new());
        for name in names.split_whitespace() {
            let found = self.lookup_variable(name);
            if found.is_none() {
                self.error(node, "BPEL-VARIABLE", format!("unknown variable '{name}'"));
            }
            variables = variables.zip(found).map(|(mut all, one)| {
                all.push(one);
                all
            });
        }
        variables.map(ActivityKind::Validate)
    }

    /// `<extensionActivity>`: run by its bundle, or an `<empty>` when its extension is
    /// optional and unknown.
    fn extension_activity(&mut self, node: NodeId) -> Option<ActivityKind> {
        let rest_light = self
            .file
            .elements(node)
            .find(|&child| self.file.namespace(child) == crate::compiler::rest_light::NS);
        if let Some(element) = rest_light {
            return self.rest_light(element);
        }
        Some(match self.extension_element(node)? {
            Some(extension) => ActivityKind::Extension(extension),
            None => ActivityKind::Empty,
        })
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
        let then = self.branch_activity(node);
        let mut branches = vec![condition.zip(then)];
        let mut otherwise = Some(None);
        for child in self.file.elements(node) {
            if self.file.is(child, BPEL_NS, "elseif") {
                let condition = self.expression_child(child, "condition", ExpressionUse::Condition);
                let body = self.branch_activity(child);
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

    /// The activity of an `<if>` or `<elseif>` branch, written directly or, as in the 2004
    /// draft, inside `<then>`.
    fn branch_activity(&mut self, node: NodeId) -> Option<ActivityId> {
        match self.file.element_named(node, BPEL_NS, "then") {
            Some(then) => {
                self.draft_form(then, "the activity directly");
                self.single_activity(then)
            }
            None => self.single_activity(node),
        }
    }

    /// Accepts an element of the 2004 draft that WS-BPEL 2.0 writes as `standard`: silently
    /// in a process written in the draft, with a warning in a WS-BPEL 2.0 process.
    fn draft_form(&mut self, node: NodeId, standard: &str) {
        if !self.file.draft {
            let element = self.file.local_name(node);
            let message =
                format!("<{element}> is the 2004 draft's form: WS-BPEL 2.0 writes {standard}");
            self.warning(node, "BPEL-DRAFT", message);
        }
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
        self.file
            .required_attr(node, "faultName", "BPEL", self.diagnostics)?;
        let fault = self.qname_attr(node, "faultName");
        let variable = match self.file.attr(node, "faultVariable") {
            Some(_) => Some(self.variable_attr(node, "faultVariable")?),
            None => None,
        };
        Some(ActivityKind::Throw {
            fault: fault?,
            variable,
        })
    }
}
