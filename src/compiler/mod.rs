//! The deployment compiler: turns a deployment unit (deploy.xml, WSDL 1.1 documents and
//! WS-BPEL 2.0 processes, held in a [`UnitSource`]) into the [`Unit`] the runtime executes,
//! or into [`Diagnostics`] listing every problem found.
//!
//! The steps, each in its own module:
//! 1. [`deploy`] reads deploy.xml, and [`endpoints`] the endpoint reference files it names;
//!    [`endpoint_properties`] applies ODE's `*.endpoint` property files to its `<invoke>`s.
//!    Processes and WSDL documents written in the 2004 draft of WS-BPEL 2.0 are read as
//!    the standard ([`dialect`]).
//! 2. [`wsdl`] loads every .wsdl file of the unit and what it imports, and `bpel::imports`
//!    what the processes import;
//! 3. [`bpel`] compiles each process the descriptor names, and [`stylesheets`] loads the
//!    XSLT stylesheets its `bpel:doXslTransform` calls name;
//! 4. [`default_binding`] completes provided services the WSDL does not bind with SOAP;
//! 5. [`validate`] checks the descriptor against the processes and WSDL definitions.
//!
//! Static analysis follows the WS-BPEL 2.0 specification's SAxxxxx rules where they apply
//! to what the model covers; constructs the model does not cover yet are refused with the
//! rule `UNSUPPORTED`.

mod bpel;
mod default_binding;
mod deploy;
mod diagnostics;
mod dialect;
mod endpoint_properties;
mod endpoints;
pub(crate) mod rest_light;
mod source;
mod stylesheets;
mod validate;
mod wsdl;
mod xmlutil;

use std::collections::BTreeMap;
use std::path::Path;

pub use diagnostics::{Compatibility, Diagnostic, Diagnostics, Severity};
pub use source::{SourceError, SourceLimits, UnitSource};

use crate::model::{Location, Unit};
use crate::runtime::extension::Extensions;
use deploy::{DeployFile, DEPLOY_XML};
use endpoints::EndpointFiles;
use xmlutil::XmlFile;

/// Compiles a deployment unit for a server without extension bundles; see
/// [`compile_with`].
pub fn compile(source: &UnitSource) -> Result<Unit, Diagnostics> {
    compile_with(source, &Extensions::none())
}

/// Compiles a deployment unit for a server running `extensions`, without a configuration
/// directory (deploy.xml's `conf:` endpoint references are refused); see [`compile_for`].
pub fn compile_with(source: &UnitSource, extensions: &Extensions) -> Result<Unit, Diagnostics> {
    compile_for(source, extensions, None, Compatibility::Standard)
}

/// Compiles a deployment unit for a server running `extensions` whose configuration directory
/// (where deploy.xml's `conf:` endpoint references are read) is `conf_dir`, read with
/// `compatibility`; on failure, every problem found (errors and warnings). The warnings of a
/// unit that compiles are in [`Unit::warnings`].
pub fn compile_for(
    source: &UnitSource,
    extensions: &Extensions,
    conf_dir: Option<&Path>,
    compatibility: Compatibility,
) -> Result<Unit, Diagnostics> {
    let mut diagnostics = Diagnostics::reading(compatibility);
    let endpoints = EndpointFiles {
        unit: source,
        conf_dir,
    };
    let mut deploy = read_descriptor(source, endpoints, &mut diagnostics);
    endpoint_properties::apply(&mut deploy.descriptor, source, conf_dir, &mut diagnostics);
    // The documents the processes import are read first, in import order, then the unit's
    // other WSDL documents: where two documents define one name differently, the first read
    // wins (see `wsdl`).
    let mut loader = wsdl::WsdlLoader::new(source);
    let (files, chosen) = locate_processes(source, &deploy, &mut diagnostics);
    for file in chosen.iter().flatten().filter_map(|path| files.get(path)) {
        bpel::imports::load(file, source, &mut loader, &mut diagnostics);
    }
    for path in wsdl::wsdl_files(source) {
        loader.load(&path, &mut diagnostics);
    }
    let incomplete = loader.is_incomplete();
    let mut definitions = loader.finish(&mut diagnostics);
    // A WSDL document that could not be read is the one cause: the processes' references to
    // what it defines would only repeat it.
    if incomplete && diagnostics.has_errors() {
        return Err(diagnostics);
    }
    let mut processes = Vec::new();
    let deployments = deploy.descriptor.processes.iter().zip(&deploy.sites);
    for ((deployment, sites), path) in deployments.zip(&chosen) {
        let Some(file) = path.as_ref().and_then(|path| files.get(path)) else {
            continue;
        };
        if let Some(mut compiled) = bpel::compile(file, &definitions, extensions, &mut diagnostics)
        {
            default_binding::complete(
                deployment,
                sites,
                &compiled.process,
                &mut definitions,
                &mut diagnostics,
            );
            validate::deployment(deployment, sites, &compiled, &definitions, &mut diagnostics);
            stylesheets::load(&mut compiled.process, source, &mut diagnostics);
            deployed_failure_handling(deployment, &mut compiled.process);
            processes.push(compiled.process);
        }
    }
    if processes.iter().any(|process| {
        process
            .partner_links
            .iter()
            .any(|link| link.name == rest_light::PARTNER_LINK)
    }) {
        rest_light::definitions(&mut definitions);
    }
    if diagnostics.has_errors() {
        return Err(diagnostics);
    }
    Ok(Unit {
        name: source.name.clone(),
        descriptor: deploy.descriptor,
        definitions,
        processes,
        warnings: diagnostics.warnings(),
    })
}

/// deploy.xml's `<failureHandling>` of an `<invoke>` partner link applies to the invokes of
/// that partner link that have none of their own (the process's, being more specific, wins).
fn deployed_failure_handling(
    deployment: &crate::model::ProcessDeployment,
    process: &mut crate::model::Process,
) {
    let names: Vec<String> = process
        .partner_links
        .iter()
        .map(|link| link.name.clone())
        .collect();
    for activity in &mut process.activities {
        let crate::model::ActivityKind::Invoke(invoke) = &mut activity.kind else {
            continue;
        };
        if invoke.failure_handling.is_some() {
            continue;
        }
        let name = &names[invoke.partner_link.index()];
        invoke.failure_handling = deployment
            .invokes
            .iter()
            .find(|binding| &binding.partner_link == name)
            .and_then(|binding| binding.failure_handling.clone());
    }
}

fn read_descriptor(
    source: &UnitSource,
    endpoints: EndpointFiles<'_>,
    diagnostics: &mut Diagnostics,
) -> DeployFile {
    let file = match source.file(DEPLOY_XML) {
        Some(bytes) => XmlFile::parse(DEPLOY_XML, bytes, diagnostics),
        None => {
            let at = Location {
                file: DEPLOY_XML.to_owned(),
                line: 0,
            };
            diagnostics.error(&at, "DD", "the unit has no deploy.xml");
            None
        }
    };
    match file {
        Some(file) => deploy::read(&file, endpoints, diagnostics),
        None => DeployFile {
            descriptor: Default::default(),
            sites: Vec::new(),
        },
    }
}

/// Finds the .bpel file of each process of the descriptor: its `fileName`, else the .bpel
/// file of the unit that declares a process of that name. Returns the parsed process
/// documents by path and, parallel to the descriptor's processes, the path chosen.
fn locate_processes(
    source: &UnitSource,
    deploy: &DeployFile,
    diagnostics: &mut Diagnostics,
) -> (BTreeMap<String, XmlFile>, Vec<Option<String>>) {
    let mut files = BTreeMap::new();
    let mut parse = |path: &str, diagnostics: &mut Diagnostics| {
        if !files.contains_key(path) {
            let bytes = source.file(path)?;
            if let Some(file) = dialect::parse(path, bytes, dialect::Role::Process, diagnostics) {
                files.insert(path.to_owned(), file);
            }
        }
        files
            .get(path)
            .map(|file: &XmlFile| bpel::process_name(file))
    };
    let mut searched = None;
    let mut chosen = Vec::new();
    let mut seen = BTreeMap::new();
    for (deployment, sites) in deploy.descriptor.processes.iter().zip(&deploy.sites) {
        let at = &sites.process;
        if seen.insert(&deployment.name, ()).is_some() {
            let message = format!("process {} is deployed twice", deployment.name);
            diagnostics.error(at, "DD-PROCESS", message);
            chosen.push(None);
            continue;
        }
        let path = match &deployment.file_name {
            Some(file_name) => match parse(file_name, diagnostics) {
                None => {
                    let message = format!("fileName '{file_name}' is not a file of the unit");
                    diagnostics.error(at, "DD-PROCESS", message);
                    None
                }
                Some(None) => {
                    let message = format!("{file_name} is not a WS-BPEL 2.0 executable process");
                    diagnostics.error(at, "UNSUPPORTED", message);
                    None
                }
                Some(Some(name)) if name != deployment.name => {
                    let message = format!(
                        "{file_name} declares process {name}, not {}",
                        deployment.name
                    );
                    diagnostics.error(at, "DD-PROCESS", message);
                    None
                }
                Some(_) => Some(file_name.clone()),
            },
            None => {
                let names = searched.get_or_insert_with(|| {
                    bpel_files(source)
                        .filter_map(|path| Some((parse(path, diagnostics)??, path.to_owned())))
                        .collect::<BTreeMap<_, _>>()
                });
                let found = names.get(&deployment.name).cloned();
                if found.is_none() {
                    let message = format!(
                        "no .bpel file of the unit declares process {}",
                        deployment.name
                    );
                    diagnostics.error(at, "DD-PROCESS", message);
                }
                found
            }
        };
        chosen.push(path);
    }
    (files, chosen)
}

/// The unit's files that are BPEL processes by name.
fn bpel_files(source: &UnitSource) -> impl Iterator<Item = &str> {
    source
        .files
        .keys()
        .map(String::as_str)
        .filter(|path| path.to_ascii_lowercase().ends_with(".bpel"))
}

#[cfg(test)]
mod tests;
