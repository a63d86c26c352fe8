//! ODE's REST extension activities, run as the invokes they are compiled to (see
//! [`crate::compiler`]'s `rest_light`): the request is the body written inside the element,
//! else the `request` variable's value, as the one part [`RestLight::BODY`], with the
//! `Accept` header; it goes to the URI the activity builds from its variables; the answer's
//! body goes to the `response` variable, its status code (read from the reply's
//! `Status-Line` header) to the `statusCode` variable.

use super::Machine;
use crate::model::{RestLight, UriPiece, VariableId};
use crate::runtime::fault::Fault;
use crate::runtime::{message, parts};
use crate::xml::Document;

const BODY: &str = RestLight::BODY;

impl Machine<'_> {
    /// The request of the REST call `rest` and the URI it goes to.
    pub(super) fn rest_request(&self, rest: &RestLight) -> Result<(Document, String), Fault> {
        let mut request = message::empty();
        match (&rest.body, rest.request) {
            (Some(written), _) => {
                let forest = crate::xml::parse_fragment(written.as_bytes()).map_err(|error| {
                    Fault::selection_failure(format!("the request body written inline: {error}"))
                })?;
                let accessor = message::ensure_part(&mut request, BODY);
                for child in forest.children(forest.root()) {
                    let copy = request.import(&forest, child);
                    request.append_child(accessor, copy);
                }
            }
            (None, Some(variable)) => {
                let kind = &self.model.variable(variable).kind;
                parts::write_part(&mut request, BODY, kind, self.read_variable(variable)?);
            }
            (None, None) => {}
        }
        if let Some(accept) = &rest.accept {
            let header = message::ensure_header_node(&mut request, "Accept");
            request.set_text_content(header, accept);
        }
        let mut uri = String::new();
        for piece in &rest.uri {
            match piece {
                UriPiece::Text(text) => uri.push_str(text),
                UriPiece::Variable(variable) => {
                    let value = self.read_variable(*variable)?;
                    uri.push_str(value.string_value(value.root()).trim());
                }
            }
        }
        Ok((request, uri))
    }

    /// Writes the answer `answer` of the REST call `rest` to its variables. An answer
    /// without a body leaves the response variable as it was.
    pub(super) fn rest_answer(&mut self, rest: &RestLight, answer: &Document) -> Result<(), Fault> {
        if let Some(variable) = rest.response {
            let has_body = message::part_element(answer, BODY).is_some_and(|body| {
                !answer.string_value(body).trim().is_empty()
                    || answer.child_elements(body).next().is_some()
            });
            if has_body {
                self.write_answer(variable, answer, BODY)?;
            }
        }
        if let Some(variable) = rest.status_code {
            let status = message::header_node(answer, "Status-Line")
                .and_then(|line| {
                    answer.child_elements(line).find(|child| {
                        answer
                            .name(*child)
                            .is_some_and(|n| n.local == "Status-Code")
                    })
                })
                .map(|code| answer.string_value(code))
                .unwrap_or_default();
            let mut holder = message::empty();
            let accessor = message::ensure_part(&mut holder, "status");
            holder.set_text_content(accessor, &status);
            self.write_answer(variable, &holder, "status")?;
        }
        Ok(())
    }

    /// Sets `variable` to what `part` of `message` gives a variable of its kind.
    fn write_answer(
        &mut self,
        variable: VariableId,
        message: &Document,
        part: &str,
    ) -> Result<(), Fault> {
        let kind = &self.model.variable(variable).kind;
        let value = parts::read_part(message, part, kind)?;
        let scope = self.scope_ref();
        *self.state.variable_mut(self.model, scope, variable) = Some(value);
        Ok(())
    }
}
