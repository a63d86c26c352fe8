//! WSO2 BPS's `bps.xml` (namespace `http://wso2.org/bps/config`, root `WSO2BPS`): its
//! datasource, dehydration, event listeners, interceptors, time-outs, outbound HTTP pool,
//! scheduled cleanups and in-memory instance lifetime carried into Baton's settings; its
//! Java, JTA, ORM, registry and cluster settings reported as not carried.

use super::datasources::Datasources;
use super::files::Input;
use super::report::Report;
use super::schedules;
use super::settings::{integer, Settings};
use super::xml_file::XmlFile;
use super::ImportError;
use crate::xml::NodeId;

/// bps.xml's namespace.
const NAMESPACE: &str = "http://wso2.org/bps/config";

/// ODE's event listener that logs every event, Baton's `log` listener.
pub(super) const DEBUG_LISTENER: &str = "org.apache.ode.bpel.common.evt.DebugBpelEventListener";

/// Why a Java event listener is not carried over.
pub(super) const JAVA_LISTENER: &str = "Java classes do not run in Baton: its listeners are \
     the built-in log, jsonl, amqp and store, and a listener of one's own is Rust code \
     registered by name by a program running Baton";

/// Why a Java interceptor is not carried over.
pub(super) const JAVA_INTERCEPTOR: &str = "Java classes do not run in Baton: an interceptor \
     is Rust code registered by name by a program running Baton, then named in [engine] \
     interceptors (the built-in header-propagation carries SOAP headers onto partner calls)";

/// Why a setting of ODE's job scheduler and thread pool is not carried over.
pub(super) const SCHEDULER: &str = "Baton's engine schedules its own work: instances run on \
     [engine] threads and step-threads, sized to the processor cores, and never wait for I/O \
     on them";

/// Why an element of bps.xml is not carried over, for those with no Baton equivalent.
fn not_carried(element: &str) -> Option<&'static str> {
    Some(match element {
        "TransactionFactory"
        | "DebugTransactions"
        | "AquireTransactionLocks"
        | "TransactionManagerTimeout" => {
            "Baton has no JTA transaction manager: each step of an instance commits in one \
             transaction of its store"
        }
        "OpenJPAConfig" | "PersistenceProvider" => {
            "Baton has no ORM: its store is written with its own SQL (dbscripts/)"
        }
        "ExtensionBundles" => {
            "Java extension bundles do not run in Baton: extension activities and assign \
             operations are Rust code registered by a program running Baton"
        }
        "SyncWithRegistry" => "Baton has no Carbon registry: it deploys the units of [deploy] dir",
        "UseDistributedLock" | "UseInstanceStateCache" | "NodeId" => {
            "Baton has no cluster mode: one server owns its store"
        }
        "ODESchedulerConfiguration" | "ODESchedulerThreadPoolSize" => SCHEDULER,
        "BpelUI" => {
            "Baton has no web console: `baton instances` and the management API list \
             instances, and cleanups delete [cleanup] batch instances per transaction"
        }
        "BpelDeploy" => "Baton has no cluster mode, so no deployment to wait for",
        _ => return None,
    })
}

/// Reads bps.xml into `settings`, its datasource from `datasources`.
pub(super) fn read(
    input: &Input,
    datasources: &Datasources,
    settings: &mut Settings,
    report: &mut Report,
) -> Result<(), ImportError> {
    let file = XmlFile::read(input)?;
    let root = file.root(Some(NAMESPACE), "WSO2BPS")?;
    for node in file.document.child_elements(root) {
        let element = file.local(node).to_owned();
        match element.as_str() {
            "DataBaseConfig" => database(&file, node, datasources, settings, report),
            "ProcessDehydration" => dehydration(&file, node, settings)?,
            "EventListeners" => {
                for listener in file.children(node, "listener") {
                    let class = file.attribute(listener, "class").unwrap_or_default();
                    if class == DEBUG_LISTENER {
                        settings.push("events", "listeners", "log");
                    } else {
                        report.add(&file.shown, &format!("listener {class}"), JAVA_LISTENER);
                    }
                }
            }
            "MexInterceptors" => {
                for interceptor in file.children(node, "interceptor") {
                    let class = file.attribute(interceptor, "class").unwrap_or_default();
                    let setting = format!("interceptor {class}");
                    report.add(&file.shown, &setting, JAVA_INTERCEPTOR);
                }
            }
            "MexTimeOut" => {
                let timeout = positive(&file, node, "MexTimeOut")?;
                settings.set("server", "reply-timeout-ms", integer(timeout));
            }
            "ExternalServiceTimeOut" => {
                let timeout = positive(&file, node, "ExternalServiceTimeOut")?;
                settings.set("engine", "invoke-timeout-ms", integer(timeout));
            }
            "MultithreadedHttpConnectionManagerConfig" => http_client(&file, node, settings)?,
            "Schedules" => {
                for schedule in file.children(node, "Schedule") {
                    schedules::read_schedule(&file, schedule, settings, report)?;
                }
            }
            "InMemoryInstanceTimeToLive" => {
                let ttl = positive(&file, node, "InMemoryInstanceTimeToLive")?;
                settings.set("engine", "in-memory-instance-ttl-ms", integer(ttl));
            }
            other => {
                let reason = not_carried(other)
                    .unwrap_or("not a setting import-config knows: check whether Baton needs it");
                report.add(&file.shown, other, reason);
            }
        }
    }
    Ok(())
}

/// The value of element `node`: its `value` attribute, else its text.
fn value(file: &XmlFile, node: NodeId) -> String {
    file.attribute(node, "value")
        .map(str::to_owned)
        .unwrap_or_else(|| file.text(node))
}

/// The value of `node`, a positive whole number.
fn positive(file: &XmlFile, node: NodeId, what: &str) -> Result<u64, ImportError> {
    let number = file.number(node, what, &value(file, node))?;
    u64::try_from(number)
        .ok()
        .filter(|&number| number > 0)
        .ok_or_else(|| {
            file.malformed(
                file.document.line(node),
                format!("{what} {number} is not positive"),
            )
        })
}

/// `<DataBaseConfig><DataSource name>`: the Carbon datasource it names, into `[store]`.
fn database(
    file: &XmlFile,
    node: NodeId,
    datasources: &Datasources,
    settings: &mut Settings,
    report: &mut Report,
) {
    let Some(source) = file.child(node, "DataSource") else {
        return;
    };
    let name = file.attribute(source, "name").unwrap_or_default();
    let setting = format!("DataSource {name}");
    if file.child(source, "JNDI").is_some() {
        report.add(
            &file.shown,
            &format!("{setting} JNDI"),
            "Baton looks no datasource up in JNDI: it reads the datasource files beside bps.xml",
        );
    }
    let Some(datasource) = datasources.get(name) else {
        let searched = match datasources.files.as_slice() {
            [] => "no datasource file was found".to_owned(),
            files => format!("none of {} defines it", files.join(", ")),
        };
        report.add(
            &file.shown,
            &setting,
            &format!("{searched}: kept Baton's embedded SQLite database; set [store] url"),
        );
        return;
    };
    datasource.carry(settings, report);
}

/// `<ProcessDehydration value maxCount><MaxAge value/>`: `[dehydration]`; a count or age
/// that is not positive keeps Baton's default, as it kept ODE's.
fn dehydration(file: &XmlFile, node: NodeId, settings: &mut Settings) -> Result<(), ImportError> {
    let enabled = match file.attribute(node, "value") {
        Some(value) => file.boolean(node, "ProcessDehydration value", value)?,
        None => false,
    };
    settings.set("dehydration", "enabled", enabled);
    if let Some(count) = file.attribute(node, "maxCount") {
        let count = file.number(node, "ProcessDehydration maxCount", count)?;
        if count > 0 {
            settings.set("dehydration", "max-count", integer(count.unsigned_abs()));
        }
    }
    if let Some(age) = file.child(node, "MaxAge") {
        let age = file.number(age, "MaxAge", &value(file, age))?;
        if age > 0 {
            settings.set("dehydration", "max-age-ms", integer(age.unsigned_abs()));
        }
    }
    Ok(())
}

/// `<MultithreadedHttpConnectionManagerConfig>`: `[http-client]`.
fn http_client(file: &XmlFile, node: NodeId, settings: &mut Settings) -> Result<(), ImportError> {
    for (element, key) in [
        ("maxConnectionsPerHost", "max-connections-per-host"),
        ("maxTotalConnections", "max-total-connections"),
    ] {
        if let Some(child) = file.child(node, element) {
            settings.set("http-client", key, integer(positive(file, child, element)?));
        }
    }
    if let Some(child) = file.child(node, "connectionKeepAlive") {
        let keep_alive = file.boolean(child, "connectionKeepAlive", &value(file, child))?;
        settings.set("http-client", "keep-alive", keep_alive);
    }
    Ok(())
}
