//! Runs a compiled stylesheet: template selection by pattern, priority, mode and position
//! (later templates win ties), the built-in rules, variables and parameters, and the
//! instructions that build the result tree in a new [`Document`]. Every template invoked and
//! instruction run is charged to the running step's budget ([`crate::budget`]).

use std::cell::Cell;
use std::cmp::Ordering;

use crate::budget;
use crate::xml::{Document, NodeId, NodeKind, QName};
use crate::xpath::{self, parse_number, Node, ResultTrees, Value, XPath};

use super::compile::{
    Avt, AvtPart, Bindings, Instruction, Sort, Stylesheet, Template, Variable, VariableValue,
};
use super::Error;

/// Deepest nesting of template calls, to stop runaway recursion.
const MAX_DEPTH: usize = 128;

type Locals<'a> = Vec<(QName, Value<'a>)>;

pub(super) fn run<'a>(
    sheet: &Stylesheet,
    source: Node<'a>,
    params: &[(QName, Value<'a>)],
    trees: &'a ResultTrees,
) -> Result<Document, Error> {
    let root = Node::new(source.doc, source.doc.root());
    let mut exec = Exec {
        sheet,
        trees,
        globals: Vec::new(),
        depth: Cell::new(0),
    };
    let focus = Focus {
        node: root,
        position: 1,
        size: 1,
    };
    for global in &sheet.globals {
        let passed = params.iter().find(|(n, _)| *n == global.name);
        let value = match passed {
            Some((_, value)) if global.is_param => value.clone(),
            _ => exec.variable_value(global, &focus, &Vec::new())?,
        };
        exec.globals.push((global.name.clone(), value));
    }
    let mut out = Document::new();
    let out_root = out.root();
    exec.apply(&[root], None, &[], &mut out, out_root)?;
    Ok(out)
}

#[derive(Clone, Copy)]
struct Focus<'a> {
    node: Node<'a>,
    position: usize,
    size: usize,
}

struct Exec<'s, 'a> {
    sheet: &'s Stylesheet,
    trees: &'a ResultTrees,
    globals: Locals<'a>,
    depth: Cell<usize>,
}

/// The XPath context of an instruction: variables in scope and `current()`.
struct Scope<'v, 'a> {
    globals: &'v [(QName, Value<'a>)],
    locals: &'v [(QName, Value<'a>)],
    current: Node<'a>,
}

impl<'a> xpath::Context<'a> for Scope<'_, 'a> {
    fn variable(&self, name: &QName) -> Result<Value<'a>, xpath::Error> {
        self.locals
            .iter()
            .rev()
            .chain(self.globals.iter().rev())
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| xpath::Error::UnknownVariable(name.clone()))
    }

    fn function(
        &self,
        name: &QName,
        args: &[Value<'a>],
    ) -> Option<Result<Value<'a>, xpath::Error>> {
        match (name.ns.as_str(), name.local.as_str(), args) {
            ("", "current", []) => Some(Ok(Value::NodeSet(vec![self.current]))),
            _ => None,
        }
    }
}

fn runtime(error: impl std::fmt::Display) -> Error {
    Error::Runtime(error.to_string())
}

impl<'a> Exec<'_, 'a> {
    fn eval(
        &self,
        xpath: &XPath,
        focus: &Focus<'a>,
        locals: &Locals<'a>,
    ) -> Result<Value<'a>, Error> {
        let scope = Scope {
            globals: &self.globals,
            locals,
            current: focus.node,
        };
        xpath
            .evaluate_at(&scope, Some(focus.node), focus.position, focus.size)
            .map_err(runtime)
    }

    fn nodes(
        &self,
        xpath: &XPath,
        focus: &Focus<'a>,
        locals: &Locals<'a>,
    ) -> Result<Vec<Node<'a>>, Error> {
        match self.eval(xpath, focus, locals)? {
            Value::NodeSet(nodes) => Ok(nodes),
            other => Err(Error::Runtime(format!(
                "'{}' yields a {}, not a node-set",
                xpath.source(),
                other.type_name()
            ))),
        }
    }

    fn avt(&self, avt: &Avt, focus: &Focus<'a>, locals: &Locals<'a>) -> Result<String, Error> {
        let mut out = String::new();
        for part in &avt.0 {
            match part {
                AvtPart::Text(text) => out.push_str(text),
                AvtPart::Expression(xpath) => {
                    out.push_str(&self.eval(xpath, focus, locals)?.to_xpath_string())
                }
            }
        }
        Ok(out)
    }

    fn variable_value(
        &self,
        variable: &Variable,
        focus: &Focus<'a>,
        locals: &Locals<'a>,
    ) -> Result<Value<'a>, Error> {
        Ok(match &variable.value {
            VariableValue::Select(xpath) => self.eval(xpath, focus, locals)?,
            VariableValue::Empty => Value::String(String::new()),
            VariableValue::Content(body) => {
                let mut fragment = Document::new();
                let root = fragment.root();
                self.exec(body, focus, &mut locals.clone(), &mut fragment, root)?;
                let fragment = self.trees.adopt(fragment);
                Value::NodeSet(vec![Node::new(fragment, fragment.root())])
            }
        })
    }

    /// Sorts `nodes` by the `xsl:sort` keys (stable, so document order breaks ties).
    fn sort(
        &self,
        nodes: Vec<Node<'a>>,
        sorts: &[Sort],
        locals: &Locals<'a>,
    ) -> Result<Vec<Node<'a>>, Error> {
        if sorts.is_empty() {
            return Ok(nodes);
        }
        let size = nodes.len();
        let mut keyed = Vec::with_capacity(size);
        for (i, node) in nodes.into_iter().enumerate() {
            let focus = Focus {
                node,
                position: i + 1,
                size,
            };
            let keys = sorts
                .iter()
                .map(|s| Ok(self.eval(&s.select, &focus, locals)?.to_xpath_string()))
                .collect::<Result<Vec<_>, Error>>()?;
            keyed.push((keys, node));
        }
        keyed.sort_by(|(a, _), (b, _)| {
            sorts
                .iter()
                .zip(a.iter().zip(b))
                .map(|(sort, (x, y))| {
                    let order = if sort.numeric {
                        let (x, y) = (parse_number(x), parse_number(y));
                        match (x.is_nan(), y.is_nan()) {
                            (true, true) => Ordering::Equal,
                            (true, false) => Ordering::Less,
                            (false, true) => Ordering::Greater,
                            _ => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
                        }
                    } else {
                        x.cmp(y)
                    };
                    if sort.descending {
                        order.reverse()
                    } else {
                        order
                    }
                })
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
        Ok(keyed.into_iter().map(|(_, node)| node).collect())
    }

    /// The template rule for `node` in `mode`: highest priority, then the last one.
    fn find_template(
        &self,
        focus: &Focus<'a>,
        mode: Option<&QName>,
    ) -> Result<Option<&Template>, Error> {
        let scope = Scope {
            globals: &self.globals,
            locals: &[],
            current: focus.node,
        };
        let mut best: Option<(f64, &Template)> = None;
        for template in &self.sheet.templates {
            let Some(pattern) = &template.pattern else {
                continue;
            };
            if template.mode.as_ref() != mode {
                continue;
            }
            if let Some(default) = pattern.matches(focus.node, &scope).map_err(runtime)? {
                let priority = template.priority.unwrap_or(default);
                if best.is_none_or(|(b, _)| priority >= b) {
                    best = Some((priority, template));
                }
            }
        }
        Ok(best.map(|(_, t)| t))
    }

    fn apply(
        &self,
        nodes: &[Node<'a>],
        mode: Option<&QName>,
        params: &[(QName, Value<'a>)],
        out: &mut Document,
        parent: NodeId,
    ) -> Result<(), Error> {
        let size = nodes.len();
        for (i, node) in nodes.iter().enumerate() {
            let focus = Focus {
                node: *node,
                position: i + 1,
                size,
            };
            match self.find_template(&focus, mode)? {
                Some(template) => self.invoke(template, params, &focus, out, parent)?,
                None => self.built_in(&focus, mode, out, parent)?,
            }
        }
        Ok(())
    }

    fn invoke(
        &self,
        template: &Template,
        params: &[(QName, Value<'a>)],
        focus: &Focus<'a>,
        out: &mut Document,
        parent: NodeId,
    ) -> Result<(), Error> {
        budget::charge_evaluation(1).map_err(runtime)?;
        let depth = self.depth.get() + 1;
        if depth > MAX_DEPTH {
            return Err(Error::Runtime("templates nest too deeply".into()));
        }
        self.depth.set(depth);
        let result = (|| {
            let mut locals = Vec::new();
            for param in &template.params {
                let value = match params.iter().find(|(n, _)| *n == param.name) {
                    Some((_, value)) => value.clone(),
                    None => self.variable_value(param, focus, &locals)?,
                };
                locals.push((param.name.clone(), value));
            }
            self.exec(&template.body, focus, &mut locals, out, parent)
        })();
        self.depth.set(depth - 1);
        result
    }

    fn built_in(
        &self,
        focus: &Focus<'a>,
        mode: Option<&QName>,
        out: &mut Document,
        parent: NodeId,
    ) -> Result<(), Error> {
        let node = focus.node;
        match node.doc.kind(node.id) {
            NodeKind::Root | NodeKind::Element { .. } => {
                let children: Vec<Node<'a>> = node
                    .doc
                    .children(node.id)
                    .map(|c| Node::new(node.doc, c))
                    .collect();
                self.apply(&children, mode, &[], out, parent)
            }
            NodeKind::Text(_) | NodeKind::Attribute => {
                add_text(out, parent, &node.string_value());
                Ok(())
            }
            NodeKind::Comment(_) | NodeKind::ProcessingInstruction { .. } => Ok(()),
        }
    }

    fn with_params(
        &self,
        params: &[Variable],
        focus: &Focus<'a>,
        locals: &Locals<'a>,
    ) -> Result<Locals<'a>, Error> {
        params
            .iter()
            .map(|p| Ok((p.name.clone(), self.variable_value(p, focus, locals)?)))
            .collect()
    }

    fn exec(
        &self,
        body: &[Instruction],
        focus: &Focus<'a>,
        locals: &mut Locals<'a>,
        out: &mut Document,
        parent: NodeId,
    ) -> Result<(), Error> {
        let scope_start = locals.len();
        for instruction in body {
            self.instruction(instruction, focus, locals, out, parent)?;
        }
        locals.truncate(scope_start);
        Ok(())
    }

    fn text_of(
        &self,
        body: &[Instruction],
        focus: &Focus<'a>,
        locals: &Locals<'a>,
    ) -> Result<String, Error> {
        let mut fragment = Document::new();
        let root = fragment.root();
        self.exec(body, focus, &mut locals.clone(), &mut fragment, root)?;
        Ok(fragment.string_value(root))
    }

    fn instruction(
        &self,
        instruction: &Instruction,
        focus: &Focus<'a>,
        locals: &mut Locals<'a>,
        out: &mut Document,
        parent: NodeId,
    ) -> Result<(), Error> {
        budget::charge_evaluation(1).map_err(runtime)?;
        match instruction {
            Instruction::Text(text) => add_text(out, parent, text),
            Instruction::ValueOf(xpath) => add_text(
                out,
                parent,
                &self.eval(xpath, focus, locals)?.to_xpath_string(),
            ),
            Instruction::CopyOf(xpath) => match self.eval(xpath, focus, locals)? {
                Value::NodeSet(nodes) => {
                    for node in nodes {
                        copy_node(out, parent, node);
                    }
                }
                other => add_text(out, parent, &other.to_xpath_string()),
            },
            Instruction::LiteralElement {
                name,
                attributes,
                body,
            } => {
                let element = out.new_element(name.clone());
                out.append_child(parent, element);
                for (attribute, value) in attributes {
                    let value = self.avt(value, focus, locals)?;
                    out.set_attribute(element, attribute.clone(), value);
                }
                self.exec(body, focus, locals, out, element)?;
            }
            Instruction::Copy(body) => {
                let node = focus.node;
                match node.doc.kind(node.id) {
                    NodeKind::Element { name, .. } => {
                        let element = out.new_element(name.clone());
                        out.append_child(parent, element);
                        self.exec(body, focus, locals, out, element)?;
                    }
                    NodeKind::Root => self.exec(body, focus, locals, out, parent)?,
                    _ => copy_node(out, parent, node),
                }
            }
            Instruction::Element {
                name,
                namespace,
                bindings,
                body,
            } => {
                let name =
                    self.computed_name(name, namespace.as_ref(), bindings, true, focus, locals)?;
                let element = out.new_element(name);
                out.append_child(parent, element);
                self.exec(body, focus, locals, out, element)?;
            }
            Instruction::Attribute {
                name,
                namespace,
                bindings,
                body,
            } => {
                let name =
                    self.computed_name(name, namespace.as_ref(), bindings, false, focus, locals)?;
                let value = self.text_of(body, focus, locals)?;
                if out.is_element(parent) {
                    out.set_attribute(parent, name, value);
                }
            }
            Instruction::Comment(body) => {
                let text = self.text_of(body, focus, locals)?;
                let comment = out.new_comment(&text);
                out.append_child(parent, comment);
            }
            Instruction::ApplyTemplates {
                select,
                mode,
                sorts,
                params,
            } => {
                let nodes = match select {
                    Some(select) => self.nodes(select, focus, locals)?,
                    None => focus
                        .node
                        .doc
                        .children(focus.node.id)
                        .map(|c| Node::new(focus.node.doc, c))
                        .collect(),
                };
                let nodes = self.sort(nodes, sorts, locals)?;
                let params = self.with_params(params, focus, locals)?;
                self.apply(&nodes, mode.as_ref(), &params, out, parent)?;
            }
            Instruction::CallTemplate { name, params } => {
                let template = self
                    .sheet
                    .templates
                    .iter()
                    .rev()
                    .find(|t| t.name.as_ref() == Some(name))
                    .ok_or_else(|| Error::Runtime(format!("no template named {name}")))?;
                let params = self.with_params(params, focus, locals)?;
                self.invoke(template, &params, focus, out, parent)?;
            }
            Instruction::ForEach {
                select,
                sorts,
                body,
            } => {
                let nodes = self.sort(self.nodes(select, focus, locals)?, sorts, locals)?;
                let size = nodes.len();
                for (i, node) in nodes.into_iter().enumerate() {
                    let inner = Focus {
                        node,
                        position: i + 1,
                        size,
                    };
                    self.exec(body, &inner, locals, out, parent)?;
                }
            }
            Instruction::If { test, body } => {
                if self.eval(test, focus, locals)?.to_boolean() {
                    self.exec(body, focus, locals, out, parent)?;
                }
            }
            Instruction::Choose {
                branches,
                otherwise,
            } => {
                let mut chosen = otherwise;
                for (test, body) in branches {
                    if self.eval(test, focus, locals)?.to_boolean() {
                        chosen = body;
                        break;
                    }
                }
                self.exec(chosen, focus, locals, out, parent)?;
            }
            Instruction::Variable(variable) => {
                let value = self.variable_value(variable, focus, locals)?;
                locals.push((variable.name.clone(), value));
            }
            Instruction::Message { body, terminate } => {
                let text = self.text_of(body, focus, locals)?;
                if *terminate {
                    return Err(Error::Runtime(format!("xsl:message terminated: {text}")));
                }
                tracing::debug!(message = %text, "xsl:message");
            }
        }
        Ok(())
    }

    fn computed_name(
        &self,
        name: &Avt,
        namespace: Option<&Avt>,
        bindings: &Bindings,
        default_namespace: bool,
        focus: &Focus<'a>,
        locals: &Locals<'a>,
    ) -> Result<QName, Error> {
        let name = self.avt(name, focus, locals)?;
        let (prefix, local) = match name.split_once(':') {
            Some((p, l)) => (Some(p), l),
            None => (None, name.as_str()),
        };
        if let Some(namespace) = namespace {
            return Ok(QName::new(self.avt(namespace, focus, locals)?, local));
        }
        let lookup = |p: Option<&str>| {
            bindings
                .iter()
                .find(|(bp, _)| bp.as_deref() == p)
                .map(|(_, uri)| uri.clone())
        };
        let ns = match prefix {
            Some(p) => lookup(Some(p)).ok_or_else(|| {
                Error::Runtime(format!("prefix '{p}' of '{name}' is not declared"))
            })?,
            None if default_namespace => lookup(None).unwrap_or_default(),
            None => String::new(),
        };
        Ok(QName::new(ns, local))
    }
}

fn add_text(out: &mut Document, parent: NodeId, text: &str) {
    if !text.is_empty() {
        let node = out.new_text(text);
        out.append_child(parent, node);
    }
}

/// `xsl:copy-of` of one node: a deep copy (the children of a root, the attribute of an
/// attribute).
fn copy_node(out: &mut Document, parent: NodeId, node: Node<'_>) {
    match node.doc.kind(node.id) {
        NodeKind::Root => {
            for child in node.doc.children(node.id) {
                copy_node(out, parent, Node::new(node.doc, child));
            }
        }
        NodeKind::Attribute => {
            if let (Some((_, attribute)), true) =
                (node.doc.attribute_of(node.id), out.is_element(parent))
            {
                out.set_attribute(parent, attribute.name.clone(), attribute.value.clone());
            }
        }
        _ => {
            let copy = out.import(node.doc, node.id);
            out.append_child(parent, copy);
        }
    }
}
