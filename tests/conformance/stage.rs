//! Staging: builds, in a temporary folder, a deployment unit Baton can read from a corpus
//! folder, and the folder's mock partners' WSDL documents beside it.
//!
//! ODE's bpel-test units import `../ProbeService/probeService.wsdl` and
//! `../FaultService/faultService.wsdl`, outside their own folder, which ODE's harness
//! supplied. A Baton unit is self-contained, so the staged unit holds the corpus folder's
//! files one level down (`unit/…`), the two mock WSDL folders beside them, and deploy.xml at
//! its root with `fileName`s pointing one level down: the imports then resolve inside the
//! unit without editing any process.
//!
//! The mock WSDLs of the corpus declare no SOAP binding and no address (ODE bound them in
//! memory), and deploy.xml names no real service for them (`<service name="ignore"/>`). The
//! staged copies therefore get an rpc/literal SOAP binding and a service whose
//! `soap:address` is the mock server's URL, and each `<invoke>` of a partner link whose
//! partner role is a mock's port type is pointed at that service. This keeps the engine's
//! ordinary address resolution in play instead of a test-only override.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Mutex;

use baton::compiler::{
    compile_for, compile_with, Compatibility, Diagnostics, Severity, UnitSource,
};
use baton::extension::Extensions;

use crate::roles::UnitDocuments;

/// The folder of the corpus files inside a staged unit.
pub(crate) const INNER: &str = "unit";

pub(crate) const PROBE_NS: &str = "http://ode/bpel/unit-test/ProbeService.wsdl";
pub(crate) const FAULT_NS: &str = "http://ode/bpel/unit-test/FaultService.wsdl";

/// A mock partner: its corpus folder and WSDL, its port type, and the service the staged
/// copy adds.
struct Mock {
    folder: &'static str,
    wsdl: &'static str,
    namespace: &'static str,
    port_type: &'static str,
    binding: &'static str,
    operation: &'static str,
    service: &'static str,
    port: &'static str,
    /// The path under the mock server's URL.
    path: &'static str,
}

const MOCKS: [Mock; 2] = [
    Mock {
        folder: "ProbeService",
        wsdl: "probeService.wsdl",
        namespace: PROBE_NS,
        port_type: "probeMessagePT",
        binding: "probeBinding",
        operation: "probe",
        service: "ProbeService",
        port: "ProbePort",
        path: "/probe",
    },
    Mock {
        folder: "FaultService",
        wsdl: "faultService.wsdl",
        namespace: FAULT_NS,
        port_type: "faultMessagePT",
        binding: "faultBinding",
        operation: "throwFault",
        service: "FaultService",
        port: "FaultPort",
        path: "/fault",
    },
];

/// Copies every file under `from` into `to`, leaving out what `skip` says.
pub(crate) fn copy_tree(
    from: &Path,
    to: &Path,
    skip: &dyn Fn(&Path) -> bool,
) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if skip(&entry.path()) {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target, skip)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Stages the corpus unit folder `unit` (whose mock WSDL folders sit in `mocks_dir`) as the
/// unit folder `to`, with the mocks served at `mock_url`. Returns the unit compiled for a
/// server running `extensions`, or the compiler's diagnostics.
pub(crate) fn stage_unit(
    unit: &Path,
    mocks_dir: &Path,
    to: &Path,
    mock_url: &str,
    extensions: &Extensions,
) -> Result<Result<baton::model::Unit, Diagnostics>, String> {
    let io = |e: std::io::Error| format!("staging {}: {e}", unit.display());
    let is_descriptor = |path: &Path| path.file_name().is_some_and(|n| n == "deploy.xml");
    copy_tree(unit, &to.join(INNER), &|path| {
        is_descriptor(path) && path.parent() == Some(unit)
    })
    .map_err(io)?;
    point_rest_activities_at_mock(&to.join(INNER), mock_url).map_err(io)?;
    for mock in &MOCKS {
        let source = mocks_dir.join(mock.folder).join(mock.wsdl);
        let text = std::fs::read_to_string(&source).map_err(io)?;
        let folder = to.join(mock.folder);
        std::fs::create_dir_all(&folder).map_err(io)?;
        std::fs::write(folder.join(mock.wsdl), bind_mock(&text, mock, mock_url)).map_err(io)?;
    }
    let descriptor = std::fs::read_to_string(unit.join("deploy.xml")).map_err(io)?;
    let descriptor = descriptor.replace("fileName=\"", &format!("fileName=\"{INNER}/"));
    let descriptor = point_invokes_at_mocks(&descriptor, &mock_links(to));
    std::fs::write(to.join("deploy.xml"), &descriptor).map_err(io)?;
    compile_dir_with(to, extensions, &label(unit))
}

/// The corpus units refused by the specification's rules that ODE accepted, deployed with
/// `[compiler] compatibility = "ode"`: the runner lists them.
static NEEDS_ODE_MODE: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// The units that needed the ODE mode so far.
pub(crate) fn needing_ode_mode() -> Vec<String> {
    let needing = NEEDS_ODE_MODE.lock().unwrap_or_else(|e| e.into_inner());
    needing.iter().cloned().collect()
}

/// How a corpus path is named in the list of units needing the ODE mode.
pub(crate) fn label(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .rev()
        .take(2)
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.into_iter().rev().collect::<Vec<_>>().join("/")
}

/// The first error among `diagnostics` (warnings do not refuse a unit).
pub(crate) fn first_error(diagnostics: &Diagnostics) -> String {
    diagnostics
        .iter()
        .find(|d| d.severity == Severity::Error)
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// Compiles the unit folder `dir` (the corpus's `label`) as the `baton` server would.
pub(crate) fn compile_dir(
    dir: &Path,
    label: &str,
) -> Result<Result<baton::model::Unit, Diagnostics>, String> {
    compile_dir_with(dir, &Extensions::none(), label)
}

/// Compiles the unit folder `dir` (the corpus's `label`) as a server running `extensions`
/// would: by the specification, or when that refuses it for something ODE accepted, in ODE
/// mode, noting that it needed it.
fn compile_dir_with(
    dir: &Path,
    extensions: &Extensions,
    label: &str,
) -> Result<Result<baton::model::Unit, Diagnostics>, String> {
    let source =
        UnitSource::from_dir(dir).map_err(|e| format!("reading {}: {e}", dir.display()))?;
    match compile_with(&source, extensions) {
        Err(diagnostics) if diagnostics.refused_for_ode_leniency() => {
            let mut needing = NEEDS_ODE_MODE.lock().unwrap_or_else(|e| e.into_inner());
            needing.insert(label.to_owned());
            Ok(compile_for(&source, extensions, None, Compatibility::Ode))
        }
        compiled => Ok(compiled),
    }
}

/// The mock WSDL with an rpc/literal SOAP binding and a service at `base_url`.
fn bind_mock(wsdl: &str, mock: &Mock, base_url: &str) -> String {
    let soap = "http://schemas.xmlsoap.org/wsdl/soap/";
    let body = format!(
        r#"<soap:body use="literal" namespace="{}"/>"#,
        mock.namespace
    );
    let binding = format!(
        r#"<wsdl:binding name="{binding}Soap" type="tns:{port_type}" xmlns:soap="{soap}">
        <soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>
        <wsdl:operation name="{operation}">
            <soap:operation soapAction="" style="rpc"/>
            <wsdl:input>{body}</wsdl:input>
            <wsdl:output>{body}</wsdl:output>
        </wsdl:operation>
    </wsdl:binding>
    <wsdl:service name="{service}Soap">
        <wsdl:port name="{port}" binding="tns:{binding}Soap">
            <soap:address location="{base_url}{path}" xmlns:soap="{soap}"/>
        </wsdl:port>
    </wsdl:service>
"#,
        binding = mock.binding,
        port_type = mock.port_type,
        operation = mock.operation,
        service = mock.service,
        port = mock.port,
        path = mock.path,
    );
    match wsdl.rfind("</wsdl:definitions>") {
        Some(end) => format!("{}{binding}{}", &wsdl[..end], &wsdl[end..]),
        None => wsdl.to_owned(),
    }
}

/// deploy.xml with the `<invoke>` of each of `links` naming its mock's staged service.
fn point_invokes_at_mocks(descriptor: &str, links: &[(String, &Mock)]) -> String {
    let mut text = descriptor.to_owned();
    for (link, mock) in links {
        let pattern = format!(
            r#"(<(?:\w+:)?invoke\s+partnerLink="{}"[^>]*>\s*<(?:\w+:)?service\s)[^>]*?(/?>)"#,
            regex::escape(link)
        );
        let service = format!(
            r#"xmlns:mock="{}" name="mock:{}Soap" port="{}""#,
            mock.namespace, mock.service, mock.port
        );
        let re = regex::Regex::new(&pattern).expect("a valid pattern");
        text = re
            .replace_all(&text, |c: &regex::Captures| {
                format!("{}{service}{}", &c[1], &c[2])
            })
            .into_owned();
    }
    text
}

/// The partner links of the staged unit's processes whose partner role is a mock's port
/// type.
fn mock_links(unit: &Path) -> Vec<(String, &'static Mock)> {
    UnitDocuments::read(unit)
        .partner_links()
        .into_iter()
        .filter_map(|link| {
            let (ns, local) = link.partner_role?;
            let mock = MOCKS
                .iter()
                .find(|m| m.namespace == ns && m.port_type == local)?;
            Some((link.link, mock))
        })
        .collect()
}

/// The HTTP server ODE's REST extension activity tests started on localhost:8085 is the
/// mock's `/restlight` (see `restlight`): the processes' URIs are pointed there. (Port 8086,
/// where one test expects nothing to listen, is left alone.)
fn point_rest_activities_at_mock(dir: &Path, mock_url: &str) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "bpel") {
            let text = std::fs::read_to_string(&path)?;
            if text.contains("http://localhost:8085") {
                let target = format!("{mock_url}{}", crate::restlight::PATH);
                std::fs::write(&path, text.replace("http://localhost:8085", &target))?;
            }
        }
    }
    Ok(())
}
