//! Start activities: the activities a process instance may begin with. Instantiating
//! receives and picks must be start activities (SA00056: a later receive that joins a
//! correlation is only warned about and receives into the running instance; one that only
//! assigns and empties precede, as ODE accepted, runs them first in ODE mode), there must
//! be one (SA00015), and when there are several they must share a correlation set (SA00057).

use std::collections::HashSet;

use super::ProcessCompiler;
use crate::model::{ActivityId, ActivityKind, CorrelationSetId, Initiate, Receive};

impl ProcessCompiler<'_> {
    /// The start activities of `id`: looking through sequences (their first child),
    /// scopes (their body) and flows (every child).
    fn start_activities(&self, id: ActivityId, found: &mut Vec<ActivityId>) {
        match &self.activities[id.index()].kind {
            ActivityKind::Sequence(children) => {
                if let Some(&first) = children.first() {
                    self.start_activities(first, found);
                }
            }
            ActivityKind::Flow { children, .. } => {
                for &child in children {
                    self.start_activities(child, found);
                }
            }
            ActivityKind::Scope(scope) => {
                self.start_activities(self.scopes[scope.index()].body, found);
            }
            _ => found.push(id),
        }
    }

    /// The messages an activity instantiates the process with, if it does.
    fn instantiating_messages(&self, id: ActivityId) -> Vec<&Receive> {
        match &self.activities[id.index()].kind {
            ActivityKind::Receive(receive) if receive.create_instance => vec![receive],
            ActivityKind::Pick(pick) if pick.create_instance => {
                pick.on_messages.iter().map(|on| &on.message).collect()
            }
            _ => Vec::new(),
        }
    }

    /// Whether `target` is reached from `id` through sequences and scopes after activities
    /// that take no message and wait for nothing (assigns and empties) only.
    fn reached_after_setup(&self, id: ActivityId, target: ActivityId) -> bool {
        if id == target {
            return true;
        }
        match &self.activities[id.index()].kind {
            ActivityKind::Sequence(children) => {
                for &child in children {
                    if self.reached_after_setup(child, target) {
                        return true;
                    }
                    let setup = matches!(
                        self.activities[child.index()].kind,
                        ActivityKind::Assign(_) | ActivityKind::Empty
                    );
                    if !setup {
                        return false;
                    }
                }
                false
            }
            ActivityKind::Scope(scope) => {
                self.reached_after_setup(self.scopes[scope.index()].body, target)
            }
            _ => false,
        }
    }

    /// SA00056 for the instantiating activity `index`.
    fn not_a_start_activity(&mut self, index: usize) {
        let element = match self.activities[index].kind {
            ActivityKind::Pick(_) => "pick",
            _ => "receive",
        };
        let message = format!("a <{element} createInstance=\"yes\"> must be a start activity");
        let at = self.activities[index].location.clone();
        self.diagnostics.error(&at, "SA00056", message);
    }

    /// SA00015, SA00056, SA00057.
    pub(super) fn check_start_activities(&mut self, root: ActivityId) {
        let mut starts = Vec::new();
        self.start_activities(root, &mut starts);
        let mut instantiating = Vec::new();
        for index in 0..self.activities.len() {
            let id = ActivityId(index as u32);
            if self.instantiating_messages(id).is_empty() {
                continue;
            }
            if starts.contains(&id) {
                instantiating.push(id);
            } else if self.reached_after_setup(root, id) {
                let message = "activities precede this instantiating activity: they run when \
                               its message creates the instance, as ODE ran them";
                let at = self.activities[index].location.clone();
                self.diagnostics.lenient(&at, "SA00056", message);
                instantiating.push(id);
            } else if let ActivityKind::Receive(receive) = &mut self.activities[index].kind {
                if receive
                    .correlations
                    .iter()
                    .any(|usage| usage.initiate == Initiate::Join)
                {
                    // Deployed processes mark later receives that join a correlation as
                    // instantiating: they receive into the running instance.
                    receive.create_instance = false;
                    let message = "a <receive createInstance=\"yes\"> that is not a start \
                                   activity but joins a correlation: it receives into the \
                                   running instance";
                    let at = self.activities[index].location.clone();
                    self.diagnostics.lenient(&at, "SA00056", message);
                    continue;
                }
                self.not_a_start_activity(index);
            } else {
                self.not_a_start_activity(index);
            }
        }
        if instantiating.is_empty() {
            if !self.incomplete {
                let at = self.activities[starts.first().unwrap_or(&root).index()]
                    .location
                    .clone();
                let message =
                    "the process needs a <receive> or <pick> with createInstance=\"yes\" \
                               as a start activity";
                self.diagnostics.error(&at, "SA00015", message);
            }
            return;
        }
        let messages: Vec<&Receive> = instantiating
            .iter()
            .flat_map(|&id| self.instantiating_messages(id))
            .collect();
        if instantiating.len() < 2 {
            return;
        }
        let sets = |receive: &Receive| -> HashSet<CorrelationSetId> {
            receive.correlations.iter().map(|usage| usage.set).collect()
        };
        let shared = messages
            .iter()
            .map(|receive| sets(receive))
            .reduce(|all, one| all.intersection(&one).copied().collect())
            .unwrap_or_default();
        if shared.is_empty() {
            let at = self.activities[instantiating[1].index()].location.clone();
            let message =
                "the start activities of a process with several must share a correlation set";
            self.diagnostics.error(&at, "SA00057", message);
        }
    }
}
