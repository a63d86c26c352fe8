//! `<pick>`: its onMessages compile as receives do, its onAlarms as waits; an
//! instantiating pick waits for messages only (SA00062).

use super::{ProcessCompiler, BPEL_NS};
use crate::model::{ActivityKind, OnMessage, Pick};
use crate::xml::NodeId;

impl ProcessCompiler<'_> {
    pub(super) fn pick(&mut self, node: NodeId) -> Option<ActivityKind> {
        let create_instance =
            self.file
                .yes_no_attr(node, "createInstance", false, self.diagnostics);
        let mut on_messages = Some(Vec::new());
        let mut on_alarms = Some(Vec::new());
        for child in self.file.elements(node).collect::<Vec<_>>() {
            if self.file.is(child, BPEL_NS, "onMessage") {
                let message = self.receive(child).map(|mut message| {
                    message.create_instance = create_instance;
                    message
                });
                let activity = self.single_activity(child);
                let compiled = message
                    .zip(activity)
                    .map(|(message, activity)| OnMessage { message, activity });
                on_messages = on_messages.zip(compiled).map(|(mut all, one)| {
                    all.push(one);
                    all
                });
            } else if self.file.is(child, BPEL_NS, "onAlarm") {
                if create_instance {
                    let message = "a <pick createInstance=\"yes\"> cannot have an <onAlarm>";
                    self.error(child, "SA00062", message.to_owned());
                }
                let alarm = self.on_alarm(child, false);
                on_alarms = on_alarms.zip(alarm).map(|(mut all, one)| {
                    all.push(one);
                    all
                });
            }
        }
        if on_messages.as_ref().is_some_and(Vec::is_empty) {
            self.error(node, "BPEL", "<pick> needs an <onMessage>".to_owned());
            return None;
        }
        Some(ActivityKind::Pick(Pick {
            create_instance,
            on_messages: on_messages?,
            on_alarms: on_alarms?,
        }))
    }
}
