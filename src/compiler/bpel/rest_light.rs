//! ODE's REST extension activities in a process (see [`crate::compiler::rest_light`]): the
//! element is checked and compiled to an invoke on the process's REST partner link, which is
//! added to the process scope at its first use.

use super::ProcessCompiler;
use crate::compiler::rest_light::{self, METHODS, PARTNER_LINK};
use crate::model::{
    ActivityKind, Invoke, PartnerLink, PartnerLinkId, RestLight, Role, ScopeId, UriPiece,
};
use crate::xml::{NodeId, QName};

impl ProcessCompiler<'_> {
    /// The REST extension element `element` as an invoke; None when it is not valid
    /// (reported).
    pub(super) fn rest_light(&mut self, element: NodeId) -> Option<ActivityKind> {
        let method = self.file.local_name(element).to_owned();
        if !METHODS.contains(&method.as_str()) {
            let message = format!("ODE's REST extension has no activity <{method}>");
            self.error(element, "EXTENSION", message);
            return None;
        }
        let uri = self
            .file
            .required_attr(element, "uri", "EXTENSION", self.diagnostics)?
            .trim()
            .to_owned();
        let uri = self.uri_pieces(element, &uri)?;
        let request = self.optional_variable(element, "request")?;
        let response = self.optional_variable(element, "response")?;
        let status_code = self.optional_variable(element, "statusCode")?;
        let accept = self.file.attr(element, "accept").map(str::to_owned);
        let written: String = self
            .file
            .elements(element)
            .map(|child| self.file.doc.to_xml(child))
            .collect();
        let body = (!written.is_empty()).then_some(written);
        Some(ActivityKind::Invoke(Invoke {
            partner_link: self.rest_light_link(),
            operation: method,
            input: None,
            output: None,
            to_parts: Vec::new(),
            from_parts: Vec::new(),
            correlations: Vec::new(),
            failure_handling: self.failure_handling.clone(),
            rest: Some(Box::new(RestLight {
                uri,
                accept,
                request,
                body,
                response,
                status_code,
            })),
        }))
    }

    /// The pieces of a URI in which `$bpelvar[name]` stands for the variable's value.
    fn uri_pieces(&mut self, element: NodeId, uri: &str) -> Option<Vec<UriPiece>> {
        const MARK: &str = "$bpelvar[";
        let mut pieces = Vec::new();
        let mut rest = uri;
        while let Some(start) = rest.find(MARK) {
            if start > 0 {
                pieces.push(UriPiece::Text(rest[..start].to_owned()));
            }
            let after = &rest[start + MARK.len()..];
            let Some(end) = after.find(']') else {
                let message = format!("uri '{uri}': a {MARK} is not closed by ']'");
                self.error(element, "EXTENSION", message);
                return None;
            };
            let name = after[..end].trim();
            let Some(variable) = self.lookup_variable(name) else {
                let message = format!("uri '{uri}': unknown variable '{name}'");
                self.error(element, "BPEL-VARIABLE", message);
                return None;
            };
            pieces.push(UriPiece::Variable(variable));
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            pieces.push(UriPiece::Text(rest.to_owned()));
        }
        Some(pieces)
    }

    /// The process's REST partner link, added to the process scope at its first use.
    fn rest_light_link(&mut self) -> PartnerLinkId {
        if let Some(found) = self
            .partner_links
            .iter()
            .position(|p| p.name == PARTNER_LINK)
        {
            return PartnerLinkId(found as u32);
        }
        let id = PartnerLinkId(self.partner_links.len() as u32);
        let scope = ScopeId(0);
        let slot = self.scopes[scope.index()].partner_links.len() as u32;
        self.scopes[scope.index()].partner_links.push(id);
        self.partner_links.push(PartnerLink {
            name: PARTNER_LINK.to_owned(),
            scope,
            slot,
            partner_link_type: QName::default(),
            my_role: None,
            partner_role: Some(Role {
                name: "server".to_owned(),
                port_type: rest_light::port_type(),
            }),
            initialize_partner_role: false,
        });
        id
    }
}
