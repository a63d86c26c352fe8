//! A process ready to run: the model of one process with every expression, property alias
//! query and XSLT stylesheet compiled once, and the lookups the machine needs on its hot path.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::model::{
    ActivityKind, AliasSource, AssignOperation, CorrelationSetId, Definitions, ExtensionUse,
    Location, Operation, PartnerLinkId, Process,
};
use crate::runtime::assign::Literal;
use crate::runtime::events::EventFilter;
use crate::runtime::extension::Extensions;
use crate::runtime::partner_failure::PartnerFailureMode;
use crate::xml::QName;
use crate::xpath::{Language, XPath};
use crate::xslt::Stylesheet;

/// An expression or query that did not compile.
#[derive(Debug, thiserror::Error)]
#[error("{location}: [XPATH] cannot compile '{source_text}': {message}")]
pub struct CompileError {
    pub location: Location,
    pub source_text: String,
    pub message: String,
}

/// An extension element of a process that no registered bundle runs.
#[derive(Debug, thiserror::Error)]
#[error("{location}: [EXTENSION] no registered extension bundle runs {name}")]
pub struct MissingExtension {
    pub location: Location,
    pub name: QName,
}

/// A property alias with its query compiled.
#[derive(Debug)]
pub struct CompiledAlias {
    pub property: QName,
    pub source: AliasSource,
    /// The query; an absolute path is read from the aliased node as its document's element.
    pub query: Option<XPath>,
    /// An absolute path read from the aliased node instead, tried when `query` selects
    /// nothing, as ODE found `/child` of the part's element.
    pub query_from_context: Option<XPath>,
}

/// A process with its expressions compiled.
#[derive(Debug)]
pub struct CompiledProcess {
    pub model: Process,
    pub definitions: Arc<Definitions>,
    /// Indexed by [`crate::model::ExprId`].
    pub expressions: Vec<XPath>,
    pub aliases: Vec<CompiledAlias>,
    /// The stylesheets of `bpel:doXslTransform`, by the URI written in the calls.
    pub stylesheets: HashMap<String, Stylesheet>,
    /// Each well-formed `<literal>` of the copies, parsed once, by its text.
    pub(crate) literals: HashMap<String, Literal>,
    /// The keys messages are routed to instances by (see [`super::routes`]).
    pub route_keys: Vec<Vec<CorrelationSetId>>,
    /// Per partner link: the address this server offers its myRole at, if provided.
    pub my_endpoints: Vec<Option<String>>,
    /// Per partner link: the partner role's deployed address, if known.
    pub partner_endpoints: Vec<Option<String>>,
    /// The deployment's process properties (`ode:process-property`).
    pub properties: Arc<[(QName, String)]>,
    /// What a failed invoke without `<failureHandling>` does.
    pub partner_failure: PartnerFailureMode,
    /// Whether a copy of an element onto an element keeps the target's attributes that the
    /// source lacks, as ODE's copies did (ODE mode); else the source's attributes replace
    /// them, as the specification says.
    pub keeps_target_attributes: bool,
    /// Whether a second instance may initiate correlation values another holds, as ODE
    /// allowed: messages for them still reach the first (its routes are shared).
    pub shares_correlation_values: bool,
    /// The extension bundles; every extension element of the model has its operation here.
    pub extensions: Extensions,
    /// The (partner link, operation) pairs routed to existing instances by session (see
    /// [`super::session::implicitly_correlated`]).
    pub implicitly_correlated: HashSet<(PartnerLinkId, String)>,
    /// Which BPEL events the process's instances emit, per scope.
    pub events: EventFilter,
}

impl CompiledProcess {
    /// Compiles `model`'s expressions; `my_endpoints` and `partner_endpoints` hold one
    /// optional address per partner link (see the fields of the same names).
    pub fn compile(
        model: Process,
        definitions: Arc<Definitions>,
        my_endpoints: Vec<Option<String>>,
        partner_endpoints: Vec<Option<String>>,
    ) -> Result<Self, Vec<CompileError>> {
        let mut errors = Vec::new();
        let mut expressions = Vec::with_capacity(model.expressions.len());
        for expression in &model.expressions {
            let language = Language::from_uri(&expression.language);
            match XPath::compile_in(&expression.source, &expression.namespaces, language) {
                Ok(xpath) => expressions.push(xpath),
                Err(error) => errors.push(CompileError {
                    location: expression.location.clone(),
                    source_text: expression.source.clone(),
                    message: error.to_string(),
                }),
            }
        }
        let mut aliases = Vec::with_capacity(definitions.property_aliases.len());
        for alias in &definitions.property_aliases {
            let query = match &alias.query {
                Some(query) => match XPath::compile(&query.source, &query.namespaces) {
                    Ok(xpath) => Some(xpath),
                    Err(error) => {
                        errors.push(CompileError {
                            location: alias.location.clone(),
                            source_text: query.source.clone(),
                            message: error.to_string(),
                        });
                        continue;
                    }
                },
                None => None,
            };
            aliases.push(CompiledAlias {
                property: alias.property.clone(),
                source: alias.source.clone(),
                query_from_context: query.as_ref().and_then(XPath::from_context),
                query: query.map(XPath::rooted_at_context),
            });
        }
        let mut stylesheets = HashMap::new();
        for (uri, text) in &model.stylesheets {
            match Stylesheet::compile(text) {
                Ok(stylesheet) => {
                    stylesheets.insert(uri.clone(), stylesheet);
                }
                Err(error) => errors.push(CompileError {
                    location: Location {
                        file: model.file.clone(),
                        line: 0,
                    },
                    source_text: uri.clone(),
                    message: error.to_string(),
                }),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            implicitly_correlated: super::session::implicitly_correlated(&model),
            route_keys: super::routes::keys(&model),
            literals: super::assign::literals(&model),
            model,
            definitions,
            expressions,
            aliases,
            stylesheets,
            my_endpoints,
            partner_endpoints,
            properties: Arc::from([]),
            partner_failure: PartnerFailureMode::default(),
            keeps_target_attributes: false,
            shares_correlation_values: false,
            extensions: Extensions::none(),
            events: EventFilter::none(),
        })
    }

    /// The same process running `extensions`; fails naming each extension element of the
    /// model that no operation of theirs runs (the bundle was unregistered since the process
    /// was deployed).
    pub fn with_extensions(
        mut self,
        extensions: &Extensions,
    ) -> Result<Self, Vec<MissingExtension>> {
        let missing: Vec<MissingExtension> = self
            .model
            .activities
            .iter()
            .flat_map(|activity| {
                let uses: Vec<&ExtensionUse> = match &activity.kind {
                    ActivityKind::Extension(extension) => vec![extension],
                    ActivityKind::Assign(assign) => assign
                        .operations
                        .iter()
                        .filter_map(|operation| match operation {
                            AssignOperation::Extension(extension) => Some(extension),
                            AssignOperation::Copy(_) => None,
                        })
                        .collect(),
                    _ => Vec::new(),
                };
                uses.into_iter()
                    .filter(|extension| extensions.operation(&extension.name).is_none())
                    .map(|extension| MissingExtension {
                        location: activity.location.clone(),
                        name: extension.name.clone(),
                    })
            })
            .collect();
        if !missing.is_empty() {
            return Err(missing);
        }
        self.extensions = extensions.clone();
        Ok(self)
    }

    /// The same process with the deployment's process properties.
    pub fn with_properties(mut self, properties: &[(QName, String)]) -> Self {
        self.properties = Arc::from(properties);
        self
    }

    /// The process, emitting the BPEL events `events` lets through.
    pub fn with_events(mut self, events: EventFilter) -> Self {
        self.events = events;
        self
    }

    /// The process, its failed invokes without `<failureHandling>` doing as `mode` says.
    pub fn with_partner_failure(mut self, mode: PartnerFailureMode) -> Self {
        self.partner_failure = mode;
        self
    }

    /// Whether callbacks on `partner_link` are routed by the invoking instance's session.
    pub fn has_session(&self, partner_link: PartnerLinkId) -> bool {
        self.implicitly_correlated
            .iter()
            .any(|(link, _)| *link == partner_link)
    }

    /// The process, its element copies keeping the target's attributes or not (see
    /// [`CompiledProcess::keeps_target_attributes`]).
    pub fn with_target_attributes_kept(mut self, kept: bool) -> Self {
        self.keeps_target_attributes = kept;
        self
    }

    /// The process, its instances sharing correlation values or not (see
    /// [`CompiledProcess::shares_correlation_values`]).
    pub fn with_correlation_values_shared(mut self, shared: bool) -> Self {
        self.shares_correlation_values = shared;
        self
    }

    /// The alias giving `property` for values of `source`.
    pub fn alias(&self, property: &QName, source: &AliasSource) -> Option<&CompiledAlias> {
        self.aliases
            .iter()
            .find(|alias| &alias.property == property && &alias.source == source)
    }

    fn my_role_operation(
        &self,
        partner_link: PartnerLinkId,
        operation: &str,
    ) -> Option<&Operation> {
        let role = self.model.partner_link(partner_link).my_role.as_ref()?;
        self.definitions.operation(&role.port_type, operation)
    }

    fn partner_role_operation(
        &self,
        partner_link: PartnerLinkId,
        operation: &str,
    ) -> Option<&Operation> {
        let role = self
            .model
            .partner_link(partner_link)
            .partner_role
            .as_ref()?;
        self.definitions.operation(&role.port_type, operation)
    }

    /// The input message type of an operation this process provides.
    pub fn input_message(&self, partner_link: PartnerLinkId, operation: &str) -> Option<QName> {
        self.my_role_operation(partner_link, operation)?
            .input
            .clone()
    }

    /// The output message type of an operation this process provides.
    pub fn output_message(&self, partner_link: PartnerLinkId, operation: &str) -> Option<QName> {
        self.my_role_operation(partner_link, operation)?
            .output
            .clone()
    }

    /// The input message type of a partner's operation.
    pub fn input_message_of_partner(
        &self,
        partner_link: PartnerLinkId,
        operation: &str,
    ) -> Option<QName> {
        self.partner_role_operation(partner_link, operation)?
            .input
            .clone()
    }

    /// The output message type of a partner's operation.
    pub fn output_message_of_partner(
        &self,
        partner_link: PartnerLinkId,
        operation: &str,
    ) -> Option<QName> {
        self.partner_role_operation(partner_link, operation)?
            .output
            .clone()
    }

    /// Whether a partner's operation is one-way.
    pub fn is_one_way_partner(&self, partner_link: PartnerLinkId, operation: &str) -> bool {
        self.partner_role_operation(partner_link, operation)
            .is_none_or(Operation::is_one_way)
    }
}
