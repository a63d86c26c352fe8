//! ODE's endpoint property files (`*.endpoint`, `endpoint-configuration.properties`). Baton
//! reads them as they are from its configuration directory (see
//! [`crate::compiler`]'s endpoint properties), applying `address`, `mex.timeout` and
//! `http.default-headers.*`; so they are copied beside `baton.toml`, a global
//! `http.connection.timeout` becomes `[http-client] connect-timeout-ms`, and every other
//! property is reported with the reason Baton does not apply it.

use std::collections::BTreeSet;

use super::files::Input;
use super::properties;
use super::report::Report;
use super::settings::{integer, Settings};
use super::ImportError;

/// The properties Baton applies from endpoint files.
fn applied(property: &str) -> bool {
    matches!(property, "address" | "mex.timeout") || property.starts_with("http.default-headers.")
}

/// Why `property` is not applied by Baton.
fn reason(property: &str) -> &'static str {
    match property {
        "http.connection.timeout" => {
            "Baton's HTTP client has one connect time-out for every partner, [http-client] \
             connect-timeout-ms, which a global http.connection.timeout sets"
        }
        "http.socket.timeout" => {
            "Baton bounds a whole call, not each read: by mex.timeout, which it applies, else \
             [http-client] request-timeout-ms"
        }
        "p2p.mex.timeout" => {
            "calls between processes of this server are bounded by the partner link's \
             mex.timeout, which Baton applies"
        }
        "security.policy.file" => "Baton does not sign or encrypt messages (WS-Security)",
        "ws-addressing.headers" => "Baton always sends WS-Addressing headers on SOAP calls",
        property if property.starts_with("http.protocol.max-redirects") => {
            "Baton's HTTP client never follows redirects: a 3xx answer fails the call, so a \
             request is never silently sent elsewhere"
        }
        property if property.starts_with("http.proxy.") => {
            "Baton has no per-partner HTTP proxy setting"
        }
        property if property.starts_with("jms.") => {
            "Baton has no JMS transport: [amqp] serves and calls partners over AMQP queues"
        }
        property if property.starts_with("http.") => {
            "Baton's HTTP client chooses the protocol, framing and encoding of calls itself"
        }
        _ => "Baton does not apply this endpoint property",
    }
}

/// Reads the endpoint file `input`: reports what Baton does not apply of it, and carries
/// a global `http.connection.timeout`.
pub(super) fn read(
    input: &Input,
    settings: &mut Settings,
    report: &mut Report,
) -> Result<(), ImportError> {
    let properties = properties::read(input)?;
    let aliases: BTreeSet<&str> = properties
        .iter()
        .filter_map(|property| property.key.strip_prefix("alias."))
        .collect();
    for property in &properties {
        if property.key.starts_with("alias.") {
            continue;
        }
        let name = match property.key.split_once(".ode.") {
            None => property.key.as_str(),
            Some((scope, name)) => {
                let alias = scope.split('.').next().unwrap_or_default();
                if !aliases.contains(alias) || !scope.contains('.') {
                    report.add(
                        &input.shown,
                        &property.key,
                        "names no alias.NAME declared in its file and a service: Baton ignores it",
                    );
                    continue;
                }
                name
            }
        };
        if applied(name) {
            continue;
        }
        if name == property.key && name == "http.connection.timeout" {
            let timeout = property.positive(input)?;
            settings.set("http-client", "connect-timeout-ms", integer(timeout));
            continue;
        }
        report.add(&input.shown, &property.key, reason(name));
    }
    Ok(())
}
