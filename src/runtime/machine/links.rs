//! Flow links: an activity with targets waits until all its incoming links are determined,
//! then runs if its join condition holds; when it completes its outgoing links are
//! determined by their transition conditions. An activity that will not run (a branch not
//! taken, a join condition that failed with suppressJoinFailure) has its outgoing links,
//! and those of everything inside it, set false: dead-path elimination.

use super::Machine;
use crate::model::{ActivityId, ActivityKind, LinkId};
use crate::runtime::evaluate;
use crate::runtime::events::EventType;
use crate::runtime::fault::Fault;
use crate::runtime::state::{FlowRef, Waiting};

impl Machine<'_> {
    /// The value of `activity`'s join condition once all its incoming links are determined;
    /// None while one is not.
    pub(super) fn join(&mut self, activity: ActivityId) -> Result<Option<bool>, Fault> {
        let Some(targets) = &self.model.activity(activity).targets else {
            return Ok(Some(true));
        };
        let mut statuses = Vec::with_capacity(targets.links.len());
        for &link in &targets.links {
            match self.link_status(link) {
                Some(Some(status)) => statuses.push((self.model.link(link).name.as_str(), status)),
                Some(None) => return Ok(None),
                None => statuses.push((self.model.link(link).name.as_str(), false)),
            }
        }
        match targets.join_condition {
            Some(condition) => {
                evaluate::join_condition(self.process, condition, &statuses).map(Some)
            }
            None => Ok(Some(statuses.iter().any(|&(_, status)| status))),
        }
    }

    /// `Completed(activity)`: sets its outgoing links by their transition conditions.
    pub(super) fn determine_sources(&mut self, activity: ActivityId) -> Result<(), Fault> {
        for source in &self.model.activity(activity).sources {
            let status = match source.transition_condition {
                Some(condition) => self.condition(condition)?,
                None => true,
            };
            self.set_link(source.link, status);
        }
        Ok(())
    }

    /// Dead-path elimination: `activity` will not run, so its outgoing links and those of
    /// every activity inside it are false.
    pub(super) fn skip(&mut self, activity: ActivityId) {
        self.activity_event(EventType::ActivityDisabled, activity);
        let flow = self.current_flow();
        self.skip_in(flow, activity);
    }

    /// [`Self::skip`] for links seen from flow instance `flow`.
    pub(super) fn skip_in(&mut self, flow: Option<FlowRef>, activity: ActivityId) {
        let mut pending = vec![activity];
        while let Some(next) = pending.pop() {
            let definition = self.model.activity(next);
            for source in &definition.sources {
                self.set_link_in(flow, source.link, false);
            }
            pending.extend(self.children(next));
        }
    }

    /// The activities directly inside `activity` that links may leave.
    fn children(&self, activity: ActivityId) -> Vec<ActivityId> {
        match &self.model.activity(activity).kind {
            ActivityKind::Sequence(children) | ActivityKind::Flow { children, .. } => {
                children.clone()
            }
            ActivityKind::If {
                branches,
                otherwise,
            } => branches
                .iter()
                .map(|(_, branch)| *branch)
                .chain(*otherwise)
                .collect(),
            ActivityKind::While { body, .. } | ActivityKind::RepeatUntil { body, .. } => {
                vec![*body]
            }
            ActivityKind::ForEach(for_each) => vec![for_each.scope],
            ActivityKind::Pick(pick) => pick
                .on_messages
                .iter()
                .map(|m| m.activity)
                .chain(pick.on_alarms.iter().map(|a| a.activity))
                .collect(),
            ActivityKind::Scope(scope) => vec![self.model.scope(*scope).body],
            _ => Vec::new(),
        }
    }

    fn current_flow(&self) -> Option<FlowRef> {
        self.state.threads[self.current as usize].as_ref()?.flow
    }

    /// The flow instance, seen from flow instance `from`, that declares `link`, and the
    /// link's position in it.
    fn link_slot(&self, from: Option<FlowRef>, link: LinkId) -> Option<(FlowRef, usize)> {
        let declaring = self.model.link(link).flow;
        let ActivityKind::Flow { links, .. } = &self.model.activity(declaring).kind else {
            return None;
        };
        let position = links.iter().position(|&l| l == link)?;
        let mut current = from;
        while let Some(id) = current {
            let flow = self.state.flows[id as usize].as_ref()?;
            if flow.activity == declaring {
                return Some((id, position));
            }
            current = flow.parent;
        }
        None
    }

    /// The status of `link`: None when no instance of its flow is visible.
    fn link_status(&self, link: LinkId) -> Option<Option<bool>> {
        let (flow, position) = self.link_slot(self.current_flow(), link)?;
        Some(self.state.flows[flow as usize].as_ref()?.links[position])
    }

    /// Determines a link (once) and wakes the threads waiting for links.
    fn set_link(&mut self, link: LinkId, status: bool) {
        let flow = self.current_flow();
        self.set_link_in(flow, link, status);
    }

    fn set_link_in(&mut self, from: Option<FlowRef>, link: LinkId, status: bool) {
        let Some((flow, position)) = self.link_slot(from, link) else {
            return;
        };
        let Some(instance) = self.state.flows[flow as usize].as_mut() else {
            return;
        };
        if instance.links[position].is_some() {
            return;
        }
        instance.links[position] = Some(status);
        for thread in self.state.threads.iter_mut().flatten() {
            if matches!(thread.waiting, Some(Waiting::Links(_))) {
                thread.waiting = None;
            }
        }
    }
}
