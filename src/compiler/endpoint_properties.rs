//! ODE's endpoint property files: the `*.endpoint` files of a unit (and of the server's
//! configuration directory, ODE's global configuration), Java properties files that set, per
//! partner service or for every one, where it is called and how long a call may take.
//!
//! ```text
//! alias.shop=urn:example:shop
//! shop.StockService.ode.address=http://stock.example:8080/stock
//! shop.StockService.StockPort.ode.mex.timeout=5000
//! mex.timeout=20000
//! ```
//!
//! A key is `PROPERTY` (every service), `ALIAS.SERVICE.ode.PROPERTY` or
//! `ALIAS.SERVICE.PORT.ode.PROPERTY`, the alias naming the service's namespace; the most
//! specific key wins, and among files the later one: the configuration directory's (ODE's
//! global configuration) first, then the unit's, those of its root folder first, then of
//! deeper ones, each in name order; `endpoint-configuration.properties` files count as
//! `*.endpoint` files. `ode.address` sets the partner's address and `mex.timeout` the
//! time-out of its calls, in milliseconds, for the `<invoke>`s of deploy.xml that set neither
//! themselves; for a service the unit `<provide>`s, `mex.timeout` is how long its callers
//! wait for the process's reply; `http.default-headers.NAME` is an HTTP header a REST
//! partner's calls send where they do not set it. `${env.NAME}` is replaced by the
//! environment variable. Other properties (ODE's HTTP client settings) are not applied: each
//! is warned about once.

use std::collections::BTreeMap;
use std::path::Path;

use super::diagnostics::Diagnostics;
use super::source::UnitSource;
use crate::model::{DeployDescriptor, EndpointReference, Location};
use crate::xml::QName;

const RULE: &str = "DD-ENDPOINT-PROPERTIES";

/// The extension of endpoint property files.
const EXTENSION: &str = ".endpoint";

/// One property, with the file and line that set it.
#[derive(Debug, Clone)]
struct Setting {
    value: String,
    at: Location,
}

/// The properties read, by (service namespace, service, port) scope; `None` parts widen it.
#[derive(Debug, Default)]
struct Properties {
    settings: BTreeMap<(Option<QName>, Option<String>, String), Setting>,
}

impl Properties {
    /// The setting of `property` for `service` and `port`: the most specific one.
    fn get(&self, service: &QName, port: &str, property: &str) -> Option<&Setting> {
        let key = |service: Option<&QName>, port: Option<&str>| {
            (
                service.cloned(),
                port.map(str::to_owned),
                property.to_owned(),
            )
        };
        self.settings
            .get(&key(Some(service), Some(port)))
            .or_else(|| self.settings.get(&key(Some(service), None)))
            .or_else(|| self.settings.get(&key(None, None)))
    }

    /// Reads the properties file `text`, named `file`.
    fn read(&mut self, file: &str, text: &str, diagnostics: &mut Diagnostics) {
        let mut aliases: BTreeMap<String, String> = BTreeMap::new();
        let mut entries = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') || line.starts_with('!') {
                continue;
            }
            let at = Location {
                file: file.to_owned(),
                line: index as u32 + 1,
            };
            let Some((key, value)) = line.split_once(['=', ':']) else {
                diagnostics.warning(&at, RULE, format!("'{line}' is not KEY=VALUE; ignored"));
                continue;
            };
            let variable = |name: &str| std::env::var(name).ok();
            let (key, value) = (key.trim(), expand(value.trim(), &variable));
            match key.strip_prefix("alias.") {
                Some(alias) => {
                    aliases.insert(alias.to_owned(), value);
                }
                None => entries.push((key.to_owned(), value, at)),
            }
        }
        for (key, value, at) in entries {
            let scoped = match key.split_once(".ode.") {
                None => Some((None, None, key.clone())),
                Some((scope, property)) => {
                    let mut names = scope.splitn(3, '.');
                    let (alias, service, port) = (names.next(), names.next(), names.next());
                    match (alias.and_then(|a| aliases.get(a)), service) {
                        (Some(namespace), Some(service)) => Some((
                            Some(QName::new(namespace.clone(), service)),
                            port.map(str::to_owned),
                            property.to_owned(),
                        )),
                        _ => None,
                    }
                }
            };
            match scoped {
                Some(scope) => {
                    self.settings.insert(scope, Setting { value, at });
                }
                None => diagnostics.warning(
                    &at,
                    RULE,
                    format!("'{key}' names no declared alias and service; ignored"),
                ),
            }
        }
    }
}

/// `${env.NAME}` in `value` replaced by the environment variable NAME as `variable` gives it
/// (empty when unset).
fn expand(value: &str, variable: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${env.") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 6..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        out.push_str(&variable(&after[..end]).unwrap_or_default());
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Whether the file called `name` holds endpoint properties: `*.endpoint`, or ODE's
/// `endpoint-configuration.properties`.
fn is_properties_file(name: &str) -> bool {
    name.ends_with(EXTENSION) || name == CONFIGURATION_FILE
}

/// ODE's file of endpoint properties beside the `*.endpoint` files.
const CONFIGURATION_FILE: &str = "endpoint-configuration.properties";

/// The endpoint property files of `conf_dir`, then of `unit` (those of its root folder
/// first, then those of deeper folders, each in name order), as (name, text).
fn files(unit: &UnitSource, conf_dir: Option<&Path>) -> Vec<(String, String)> {
    let mut own: Vec<(String, String)> = unit
        .files
        .iter()
        .filter(|(path, _)| is_properties_file(path.rsplit('/').next().unwrap_or(path)))
        .map(|(path, bytes)| (path.clone(), String::from_utf8_lossy(bytes).into_owned()))
        .collect();
    own.sort_by_key(|(path, _)| (path.matches('/').count(), path.clone()));
    let mut conf: Vec<(String, String)> = conf_dir
        .and_then(|dir| std::fs::read_dir(dir).ok())
        .into_iter()
        .flatten()
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(entry.path()).ok()?;
            is_properties_file(&name).then(|| (format!("conf:{name}"), text))
        })
        .collect();
    conf.sort();
    conf.into_iter().chain(own).collect()
}

/// Applies the endpoint property files of `unit` and `conf_dir` to the `<invoke>`s of
/// `descriptor`.
pub(crate) fn apply(
    descriptor: &mut DeployDescriptor,
    unit: &UnitSource,
    conf_dir: Option<&Path>,
    diagnostics: &mut Diagnostics,
) {
    let mut properties = Properties::default();
    for (file, text) in files(unit, conf_dir) {
        properties.read(&file, &text, diagnostics);
    }
    if properties.settings.is_empty() {
        return;
    }
    for ((_, _, property), setting) in &properties.settings {
        let applied = matches!(property.as_str(), "address" | "mex.timeout")
            || property.starts_with(DEFAULT_HEADERS);
        if !applied {
            let message = format!("endpoint property '{property}' is not applied by Baton");
            diagnostics.warning(&setting.at, RULE, message);
        }
    }
    let provides = descriptor
        .processes
        .iter_mut()
        .flat_map(|process| process.provides.iter_mut());
    for provide in provides {
        if let Some(timeout) = properties.get(&provide.service, &provide.port, "mex.timeout") {
            provide.reply_timeout_ms = milliseconds(timeout, diagnostics);
        }
    }
    let invokes = descriptor
        .processes
        .iter_mut()
        .flat_map(|process| process.invokes.iter_mut());
    for invoke in invokes {
        let (service, port) = (&invoke.service, &invoke.port);
        if invoke.endpoint.is_none() {
            if let Some(address) = properties.get(service, port, "address") {
                invoke.endpoint = Some(EndpointReference {
                    file: address.at.file.clone(),
                    address: address.value.clone(),
                    reference_parameters: String::new(),
                });
            }
        }
        if invoke.link.timeout_ms.is_none() {
            if let Some(timeout) = properties.get(service, port, "mex.timeout") {
                invoke.link.timeout_ms = milliseconds(timeout, diagnostics);
            }
        }
        invoke.link.default_headers = properties.default_headers(service, port);
    }
}

/// The prefix of the properties naming HTTP headers of REST calls.
const DEFAULT_HEADERS: &str = "http.default-headers.";

impl Properties {
    /// The HTTP headers `http.default-headers.NAME` set for `service` and `port`, the most
    /// specific setting of each.
    fn default_headers(&self, service: &QName, port: &str) -> Vec<(String, String)> {
        let names: std::collections::BTreeSet<&str> = self
            .settings
            .keys()
            .filter_map(|(_, _, property)| property.strip_prefix(DEFAULT_HEADERS))
            .collect();
        names
            .into_iter()
            .filter_map(|name| {
                let property = format!("{DEFAULT_HEADERS}{name}");
                let setting = self.get(service, port, &property)?;
                Some((name.to_owned(), setting.value.clone()))
            })
            .collect()
    }
}

/// The time-out `setting` gives; an error where it is not a positive number.
fn milliseconds(setting: &Setting, diagnostics: &mut Diagnostics) -> Option<u64> {
    match setting.value.parse::<u64>() {
        Ok(ms) if ms > 0 => Some(ms),
        _ => {
            let message = format!(
                "mex.timeout must be a positive number of milliseconds, not '{}'",
                setting.value
            );
            diagnostics.error(&setting.at, RULE, message);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compiler::diagnostics::Compatibility;
    use crate::model::{InvokeBinding, ProcessDeployment};

    fn invoke(service: &str, port: &str) -> InvokeBinding {
        InvokeBinding {
            partner_link: "partner".into(),
            service: QName::new("urn:shop", service),
            port: port.into(),
            use_peer2peer: true,
            binding: None,
            failure_handling: None,
            endpoint: None,
            link: Default::default(),
        }
    }

    fn applied(
        files: &[(&str, &str)],
        invokes: Vec<InvokeBinding>,
    ) -> (Vec<InvokeBinding>, Diagnostics) {
        applied_with(files, None, invokes)
    }

    fn applied_with(
        files: &[(&str, &str)],
        conf_dir: Option<&Path>,
        invokes: Vec<InvokeBinding>,
    ) -> (Vec<InvokeBinding>, Diagnostics) {
        let unit = UnitSource::new(
            "u",
            files
                .iter()
                .map(|(path, text)| (path.to_string(), text.as_bytes().to_vec())),
        )
        .unwrap();
        let mut descriptor = DeployDescriptor::default();
        descriptor.processes.push(ProcessDeployment {
            name: QName::new("urn:shop", "Shop"),
            file_name: None,
            active: true,
            retired: false,
            in_memory: false,
            properties: Vec::new(),
            provides: Vec::new(),
            invokes,
            events: None,
            cleanup: Vec::new(),
            schedules: Vec::new(),
            mex_interceptors: Vec::new(),
            process_type: None,
        });
        let mut diagnostics = Diagnostics::reading(Compatibility::Standard);
        apply(&mut descriptor, &unit, conf_dir, &mut diagnostics);
        (descriptor.processes.remove(0).invokes, diagnostics)
    }

    #[test]
    fn the_most_specific_key_and_the_later_file_win() {
        let (invokes, diagnostics) = applied(
            &[
                (
                    "a.endpoint",
                    "alias.s=urn:shop\ns.Stock.ode.address=http://a/stock\nmex.timeout=9000\n",
                ),
                (
                    "b/b.endpoint",
                    "# later\nalias.t=urn:shop\nt.Stock.ode.address=http://b/stock\n\
                     t.Stock.Fast.ode.mex.timeout=100\n",
                ),
            ],
            vec![
                invoke("Stock", "Fast"),
                invoke("Stock", "Slow"),
                invoke("Other", "P"),
            ],
        );
        assert!(!diagnostics.has_errors(), "{:?}", diagnostics.warnings());
        let address = |i: usize| invokes[i].endpoint.as_ref().map(|e| e.address.as_str());
        assert_eq!(address(0), Some("http://b/stock"));
        assert_eq!(address(1), Some("http://b/stock"));
        assert_eq!(address(2), None);
        let timeouts: Vec<_> = invokes.iter().map(|i| i.link.timeout_ms).collect();
        assert_eq!(timeouts, [Some(100), Some(9000), Some(9000)]);
    }

    #[test]
    fn what_deploy_xml_sets_is_kept_and_other_properties_are_warned_about() {
        let mut own = invoke("Stock", "Fast");
        own.link.timeout_ms = Some(7);
        let (invokes, diagnostics) = applied(
            &[(
                "x.endpoint",
                "alias.s=urn:shop\ns.Stock.ode.mex.timeout=100\n\
                 s.Stock.ode.http.protocol.max-redirects=3\nunknown.Stock.ode.address=http://u\n",
            )],
            vec![own],
        );
        assert_eq!(invokes[0].link.timeout_ms, Some(7));
        let warnings = diagnostics.warnings().join("\n");
        assert!(
            warnings.contains("http.protocol.max-redirects"),
            "{warnings}"
        );
        assert!(warnings.contains("x.endpoint:4"), "{warnings}");
    }

    #[test]
    fn a_time_out_that_is_not_a_number_is_refused() {
        let (_, diagnostics) = applied(
            &[("x.endpoint", "mex.timeout=soon\n")],
            vec![invoke("S", "P")],
        );
        assert!(diagnostics.has_errors());
    }

    #[test]
    fn environment_variables_are_expanded() {
        let variable = |name: &str| (name == "STOCK_HOST").then(|| "stock.example".to_owned());
        assert_eq!(
            expand("http://${env.STOCK_HOST}:80/${env.UNSET}x${env.", &variable),
            "http://stock.example:80/x${env."
        );
    }

    #[test]
    fn the_unit_s_deeper_folders_override_the_root_which_overrides_the_configuration() {
        let conf = std::env::temp_dir().join(format!("baton-endpoint-conf-{}", std::process::id()));
        std::fs::create_dir_all(&conf).unwrap();
        std::fs::write(
            conf.join("global.endpoint"),
            "alias.s=urn:shop\ns.Stock.ode.address=http://global/stock\n",
        )
        .unwrap();
        let header = |name: &str, value: &str| {
            format!("alias.s=urn:shop\ns.Stock.ode.http.default-headers.{name}={value}\n")
        };
        let (root, sub, properties) = (
            format!(
                "{}s.Stock.ode.address=http://unit/stock\n",
                header("X-B", "root")
            ),
            header("X-B", "sub"),
            header("X-C", "properties"),
        );
        let (invokes, diagnostics) = applied_with(
            &[
                ("a/b.endpoint", &sub),
                ("z.endpoint", &root),
                ("endpoint-configuration.properties", &properties),
            ],
            Some(&conf),
            vec![invoke("Stock", "StockPort")],
        );
        std::fs::remove_dir_all(&conf).unwrap();
        assert!(!diagnostics.has_errors(), "{diagnostics}");
        let endpoint = invokes[0].endpoint.as_ref().unwrap();
        assert_eq!(endpoint.address, "http://unit/stock", "the unit's wins");
        assert_eq!(
            invokes[0].link.default_headers,
            [
                ("X-B".to_owned(), "sub".to_owned()),
                ("X-C".to_owned(), "properties".to_owned())
            ],
            "a deeper folder's file overrides the root's"
        );
    }
}
