//! Compiles stylesheet text into templates and instruction trees. XPath expressions are
//! compiled with the namespace declarations in scope at their element; stylesheets declaring
//! `version="2.0"` get XPath 2.0 syntax, others XPath 1.0.

use crate::xml::{self, Document, NodeId, NodeKind, QName};
use crate::xpath::{InScopeNamespaces, Language, XPath};

use super::pattern::Pattern;
use super::{Error, XSL_NS};

/// A compiled stylesheet.
#[derive(Debug)]
pub struct Stylesheet {
    pub(super) templates: Vec<Template>,
    /// Global `xsl:variable`s and `xsl:param`s in document order.
    pub(super) globals: Vec<Variable>,
}

#[derive(Debug)]
pub(super) struct Template {
    pub(super) pattern: Option<Pattern>,
    pub(super) name: Option<QName>,
    pub(super) mode: Option<QName>,
    pub(super) priority: Option<f64>,
    pub(super) params: Vec<Variable>,
    pub(super) body: Vec<Instruction>,
}

/// `xsl:variable`, `xsl:param` or `xsl:with-param`.
#[derive(Debug)]
pub(super) struct Variable {
    pub(super) name: QName,
    pub(super) is_param: bool,
    pub(super) value: VariableValue,
}

#[derive(Debug)]
pub(super) enum VariableValue {
    Select(XPath),
    /// A result tree fragment built by the content.
    Content(Vec<Instruction>),
    /// No select and no content: the empty string.
    Empty,
}

/// An attribute value template: literal text and `{expression}`s.
#[derive(Debug)]
pub(super) struct Avt(pub(super) Vec<AvtPart>);

#[derive(Debug)]
pub(super) enum AvtPart {
    Text(String),
    Expression(XPath),
}

#[derive(Debug)]
pub(super) struct Sort {
    pub(super) select: XPath,
    pub(super) numeric: bool,
    pub(super) descending: bool,
}

/// The `xsl:sort`s, `xsl:with-param`s and remaining children of an instruction.
type SortsAndParams = (Vec<Sort>, Vec<Variable>, Vec<NodeId>);

/// Namespace bindings in scope at an instruction, for QNames computed at run time.
pub(super) type Bindings = Vec<(Option<String>, String)>;

#[derive(Debug)]
pub(super) enum Instruction {
    LiteralElement {
        name: QName,
        attributes: Vec<(QName, Avt)>,
        body: Vec<Instruction>,
    },
    Text(String),
    ValueOf(XPath),
    CopyOf(XPath),
    Copy(Vec<Instruction>),
    Element {
        name: Avt,
        namespace: Option<Avt>,
        bindings: Bindings,
        body: Vec<Instruction>,
    },
    Attribute {
        name: Avt,
        namespace: Option<Avt>,
        bindings: Bindings,
        body: Vec<Instruction>,
    },
    Comment(Vec<Instruction>),
    ApplyTemplates {
        select: Option<XPath>,
        mode: Option<QName>,
        sorts: Vec<Sort>,
        params: Vec<Variable>,
    },
    CallTemplate {
        name: QName,
        params: Vec<Variable>,
    },
    ForEach {
        select: XPath,
        sorts: Vec<Sort>,
        body: Vec<Instruction>,
    },
    If {
        test: XPath,
        body: Vec<Instruction>,
    },
    Choose {
        branches: Vec<(XPath, Vec<Instruction>)>,
        otherwise: Vec<Instruction>,
    },
    Variable(Variable),
    Message {
        body: Vec<Instruction>,
        terminate: bool,
    },
}

impl Stylesheet {
    /// Compiles a stylesheet from its text.
    pub fn compile(text: &str) -> Result<Stylesheet, Error> {
        let doc = xml::parse_text(text, &xml::ParseOptions::default())?;
        let root = doc
            .document_element()
            .ok_or_else(|| error(&doc, doc.root(), "the stylesheet has no element"))?;
        let language = match doc.attribute(root, "", "version") {
            Some(v) if v.trim().starts_with('1') => Language::XPath1,
            _ => Language::XPath2,
        };
        let compiler = Compiler {
            doc: &doc,
            language,
        };
        if !is_xsl(&doc, root, "stylesheet") && !is_xsl(&doc, root, "transform") {
            return compiler.simplified(root);
        }
        let mut templates = Vec::new();
        let mut globals = Vec::new();
        for child in doc.child_elements(root) {
            let name = doc.name(child).expect("an element has a name");
            if name.ns != XSL_NS {
                continue;
            }
            match name.local.as_str() {
                "template" => templates.push(compiler.template(child)?),
                "variable" | "param" => globals.push(compiler.variable(child)?),
                "output" | "strip-space" | "preserve-space" | "namespace-alias"
                | "attribute-set" | "decimal-format" => {}
                other => {
                    return Err(error(&doc, child, &format!("xsl:{other} is not supported")));
                }
            }
        }
        Ok(Stylesheet { templates, globals })
    }
}

fn is_xsl(doc: &Document, node: NodeId, local: &str) -> bool {
    doc.name(node).is_some_and(|n| n.is(XSL_NS, local))
}

fn error(doc: &Document, node: NodeId, message: &str) -> Error {
    Error::Stylesheet {
        line: doc.line(node),
        message: message.to_owned(),
    }
}

struct Compiler<'d> {
    doc: &'d Document,
    language: Language,
}

impl Compiler<'_> {
    /// A literal result element as the whole stylesheet: one template matching `/`.
    fn simplified(&self, root: NodeId) -> Result<Stylesheet, Error> {
        let body = vec![self
            .instruction(root)?
            .expect("an element is an instruction")];
        Ok(Stylesheet {
            templates: vec![Template {
                pattern: Some(
                    Pattern::compile("/", &self.namespaces(root), self.language)
                        .map_err(|e| error(self.doc, root, &e.to_string()))?,
                ),
                name: None,
                mode: None,
                priority: None,
                params: Vec::new(),
                body,
            }],
            globals: Vec::new(),
        })
    }

    fn namespaces(&self, node: NodeId) -> InScopeNamespaces<'_> {
        InScopeNamespaces {
            doc: self.doc,
            node,
        }
    }

    fn attr(&self, node: NodeId, name: &str) -> Option<&str> {
        self.doc.attribute(node, "", name)
    }

    fn required(&self, node: NodeId, name: &str) -> Result<&str, Error> {
        self.attr(node, name).ok_or_else(|| {
            let element = &self.doc.name(node).expect("an element").local;
            error(
                self.doc,
                node,
                &format!("xsl:{element} needs a '{name}' attribute"),
            )
        })
    }

    fn xpath(&self, node: NodeId, text: &str) -> Result<XPath, Error> {
        XPath::compile_in(text, &self.namespaces(node), self.language)
            .map_err(|e| error(self.doc, node, &format!("'{text}': {e}")))
    }

    fn qname(&self, node: NodeId, text: &str) -> Result<QName, Error> {
        let text = text.trim();
        match text.split_once(':') {
            Some((prefix, local)) => match self.doc.lookup_namespace(node, Some(prefix)) {
                Some(ns) => Ok(QName::new(ns, local)),
                None => Err(error(
                    self.doc,
                    node,
                    &format!("prefix '{prefix}' is not declared"),
                )),
            },
            None => Ok(QName::local(text)),
        }
    }

    fn avt(&self, node: NodeId, text: &str) -> Result<Avt, Error> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            match c {
                '{' if chars.peek().map(|p| p.1) == Some('{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek().map(|p| p.1) == Some('}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let end = text[i..].find('}').ok_or_else(|| {
                        error(self.doc, node, &format!("unclosed '{{' in '{text}'"))
                    })?;
                    if !literal.is_empty() {
                        parts.push(AvtPart::Text(std::mem::take(&mut literal)));
                    }
                    parts.push(AvtPart::Expression(
                        self.xpath(node, &text[i + 1..i + end])?,
                    ));
                    while chars.peek().is_some_and(|(j, _)| *j <= i + end) {
                        chars.next();
                    }
                }
                other => literal.push(other),
            }
        }
        if !literal.is_empty() {
            parts.push(AvtPart::Text(literal));
        }
        Ok(Avt(parts))
    }

    fn template(&self, node: NodeId) -> Result<Template, Error> {
        let pattern = match self.attr(node, "match") {
            Some(text) => Some(
                Pattern::compile(text, &self.namespaces(node), self.language)
                    .map_err(|e| error(self.doc, node, &format!("pattern '{text}': {e}")))?,
            ),
            None => None,
        };
        let name = self
            .attr(node, "name")
            .map(|n| self.qname(node, n))
            .transpose()?;
        if pattern.is_none() && name.is_none() {
            return Err(error(
                self.doc,
                node,
                "xsl:template needs 'match' or 'name'",
            ));
        }
        let priority =
            match self.attr(node, "priority") {
                Some(p) => Some(p.trim().parse().map_err(|_| {
                    error(self.doc, node, &format!("priority '{p}' is not a number"))
                })?),
                None => None,
            };
        let mut params = Vec::new();
        let mut rest = Vec::new();
        for child in self.doc.children(node) {
            if is_xsl(self.doc, child, "param") {
                params.push(self.variable(child)?);
            } else {
                rest.push(child);
            }
        }
        Ok(Template {
            pattern,
            name,
            mode: self
                .attr(node, "mode")
                .map(|m| self.qname(node, m))
                .transpose()?,
            priority,
            params,
            body: self.sequence(rest)?,
        })
    }

    fn variable(&self, node: NodeId) -> Result<Variable, Error> {
        let name = self.qname(node, self.required(node, "name")?)?;
        let value = match self.attr(node, "select") {
            Some(select) => VariableValue::Select(self.xpath(node, select)?),
            None if self.doc.first_child(node).is_some() => {
                VariableValue::Content(self.body(node)?)
            }
            None => VariableValue::Empty,
        };
        Ok(Variable {
            name,
            is_param: !is_xsl(self.doc, node, "variable"),
            value,
        })
    }

    fn body(&self, node: NodeId) -> Result<Vec<Instruction>, Error> {
        self.sequence(self.doc.children(node).collect())
    }

    fn sequence(&self, nodes: Vec<NodeId>) -> Result<Vec<Instruction>, Error> {
        let mut out = Vec::new();
        for node in nodes {
            if let Some(instruction) = self.instruction(node)? {
                out.push(instruction);
            }
        }
        Ok(out)
    }

    fn sorts_and_params(&self, node: NodeId) -> Result<SortsAndParams, Error> {
        let mut sorts = Vec::new();
        let mut params = Vec::new();
        let mut rest = Vec::new();
        for child in self.doc.children(node) {
            if is_xsl(self.doc, child, "sort") {
                sorts.push(Sort {
                    select: self.xpath(child, self.attr(child, "select").unwrap_or("."))?,
                    numeric: self.attr(child, "data-type") == Some("number"),
                    descending: self.attr(child, "order") == Some("descending"),
                });
            } else if is_xsl(self.doc, child, "with-param") {
                params.push(self.variable(child)?);
            } else {
                rest.push(child);
            }
        }
        Ok((sorts, params, rest))
    }

    fn bindings(&self, node: NodeId) -> Bindings {
        self.doc.in_scope_namespaces(node)
    }

    fn instruction(&self, node: NodeId) -> Result<Option<Instruction>, Error> {
        let doc = self.doc;
        let name = match doc.kind(node) {
            NodeKind::Text(text) => {
                let whitespace = text.chars().all(char::is_whitespace);
                return Ok((!whitespace).then(|| Instruction::Text(text.clone())));
            }
            NodeKind::Element { name, .. } => name,
            _ => return Ok(None),
        };
        if name.ns != XSL_NS {
            let mut attributes = Vec::new();
            for attribute in doc.attributes(node) {
                if attribute.name.ns != XSL_NS {
                    attributes.push((attribute.name.clone(), self.avt(node, &attribute.value)?));
                }
            }
            return Ok(Some(Instruction::LiteralElement {
                name: name.clone(),
                attributes,
                body: self.body(node)?,
            }));
        }
        let optional_avt = |attribute: &str| {
            self.attr(node, attribute)
                .map(|text| self.avt(node, text))
                .transpose()
        };
        Ok(Some(match name.local.as_str() {
            "text" => Instruction::Text(doc.string_value(node)),
            "value-of" => Instruction::ValueOf(self.xpath(node, self.required(node, "select")?)?),
            "copy-of" => Instruction::CopyOf(self.xpath(node, self.required(node, "select")?)?),
            "copy" => Instruction::Copy(self.body(node)?),
            "element" | "attribute" => {
                let name = self.avt(node, self.required(node, "name")?)?;
                let namespace = optional_avt("namespace")?;
                let bindings = self.bindings(node);
                let body = self.body(node)?;
                if is_xsl(doc, node, "element") {
                    Instruction::Element {
                        name,
                        namespace,
                        bindings,
                        body,
                    }
                } else {
                    Instruction::Attribute {
                        name,
                        namespace,
                        bindings,
                        body,
                    }
                }
            }
            "comment" => Instruction::Comment(self.body(node)?),
            "apply-templates" => {
                let (sorts, params, _) = self.sorts_and_params(node)?;
                Instruction::ApplyTemplates {
                    select: self
                        .attr(node, "select")
                        .map(|s| self.xpath(node, s))
                        .transpose()?,
                    mode: self
                        .attr(node, "mode")
                        .map(|m| self.qname(node, m))
                        .transpose()?,
                    sorts,
                    params,
                }
            }
            "call-template" => {
                let (_, params, _) = self.sorts_and_params(node)?;
                Instruction::CallTemplate {
                    name: self.qname(node, self.required(node, "name")?)?,
                    params,
                }
            }
            "for-each" => {
                let (sorts, _, rest) = self.sorts_and_params(node)?;
                Instruction::ForEach {
                    select: self.xpath(node, self.required(node, "select")?)?,
                    sorts,
                    body: self.sequence(rest)?,
                }
            }
            "if" => Instruction::If {
                test: self.xpath(node, self.required(node, "test")?)?,
                body: self.body(node)?,
            },
            "choose" => {
                let mut branches = Vec::new();
                let mut otherwise = Vec::new();
                for child in doc.child_elements(node) {
                    if is_xsl(doc, child, "when") {
                        let test = self.xpath(child, self.required(child, "test")?)?;
                        branches.push((test, self.body(child)?));
                    } else if is_xsl(doc, child, "otherwise") {
                        otherwise = self.body(child)?;
                    } else {
                        return Err(error(
                            doc,
                            child,
                            "xsl:choose holds only xsl:when and xsl:otherwise",
                        ));
                    }
                }
                Instruction::Choose {
                    branches,
                    otherwise,
                }
            }
            "variable" | "param" => Instruction::Variable(self.variable(node)?),
            "message" => Instruction::Message {
                body: self.body(node)?,
                terminate: self.attr(node, "terminate") == Some("yes"),
            },
            other => return Err(error(doc, node, &format!("xsl:{other} is not supported"))),
        }))
    }
}
