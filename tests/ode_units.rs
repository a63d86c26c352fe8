//! What deployment units written for ODE and BPS rely on, each shown with a unit of
//! tests/data/units in its ODE form, deployed unchanged and called over SOAP.
//!
//! - OdeAliases: property aliases whose query is an absolute path from the part's element
//!   (`/tns:order/tns:id`), for correlation and for `bpel:getVariableProperty`; a one-way
//!   message that creates an instance which then faults is logged, as its caller only got 202;
//!   a message sent before the one creating its instance waits for it (`[engine]
//!   early-message-wait-ms`, on in ODE mode), as ODE kept it.
//! - OdeEmpty: a reply and an invoke of a message type without parts, whose variables are
//!   never assigned, send the empty message.
//! - OdeDynamic: a partner link's endpoint copied from the request in each form ODE accepts
//!   (`sref:service-ref` around a WS-Addressing endpoint reference, a `soap:address`, a WSDL
//!   `service`, the address as text), then invoked there over HTTP.
//! - HelloWorld with its soap:address at the root path `/`, served there.
//! - OdeHeaders: message parts bound to SOAP headers (`soap:header`) read from the request's
//!   header, correlated on, copied with ODE's `header` attribute, and written to the reply's
//!   header.
//! - OdeConversation: a header bound to a part of another message and a header no binding
//!   names, kept with the message, copied with ODE's `header` attribute onto a call to a
//!   partner (on the peer-to-peer channel and over HTTP; over AMQP in tests/amqp.rs) and from
//!   its reply onto the reply, and correlated on with a property alias's `header`.
//! - OdeSession: an asynchronous callback without a correlation set (the Eclipse BPEL
//!   Designer's template) reaches the instance that invoked by the session ODE names in its
//!   headers, from a process of this server and from a partner outside it.
//! - RestPartner: a partner bound by a WSDL HTTP binding, called over plain HTTP (GET, POST,
//!   PUT and DELETE; urlReplacement, urlEncoded, form and XML bodies; XML and text answers;
//!   ODE's `odex:header` and headers the process wrote sent, the answer's headers and
//!   `Status-Line` read with the `header` attribute); its calls present the partner link's
//!   token and fail with `partnerTimeout` past its time-out.
//! - RestLight: ODE's REST extension activities (GET, PUT with a variable's XML, DELETE
//!   answered with text, the status code of a 404) against the same partner.

mod common;

use std::sync::{Arc, Mutex};

use baton::store::{InstanceFilter, InstanceStatus};
use common::{Dirs, Server, PATIENCE};

const ORDERS: &str = "/ode/processes/OdeAliases";

fn order(id: Option<&str>, item: &str) -> String {
    let id = id
        .map(|id| format!("<o:id>{id}</o:id>"))
        .unwrap_or_default();
    format!(r#"<o:order xmlns:o="urn:baton:test:odealiases">{id}<o:item>{item}</o:item></o:order>"#)
}

fn status(id: &str) -> String {
    format!(r#"<o:status xmlns:o="urn:baton:test:odealiases"><o:id>{id}</o:id></o:status>"#)
}

/// Waits until the store holds `count` instances with `status`.
async fn await_instances(dirs: &Dirs, status: InstanceStatus, count: usize) {
    let store = dirs.store().await.unwrap();
    let filter = InstanceFilter::with_status(status);
    let what = format!("{count} instances {status}");
    common::eventually(&what, PATIENCE, || async {
        (store.list_instances(&filter).await.unwrap().len() == count).then_some(())
    })
    .await;
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absolute_alias_queries_select_from_the_part_element_as_in_ode() {
    let dirs = Dirs::new();
    dirs.add_test_unit("OdeAliases");
    let server = Server::start(&dirs).await;
    for (id, item) in [("o-1", "book"), ("o-2", "lamp")] {
        let (code, body) = server.soap(ORDERS, &order(Some(id), item)).await;
        assert_eq!(code, 202, "{body}");
    }
    await_instances(&dirs, InstanceStatus::Running, 2).await;
    for (id, item) in [("o-2", "lamp"), ("o-1", "book")] {
        let (code, body) = server.soap(ORDERS, &status(id)).await;
        assert_eq!(code, 200, "{body}");
        assert!(body.contains(&format!("{id}: {item}")), "{body}");
    }
    await_instances(&dirs, InstanceStatus::Completed, 2).await;

    // An order without an id has no value for the property: the caller got 202, the
    // instance faults, and the log says so.
    let (code, body) = server.soap(ORDERS, &order(None, "chair")).await;
    assert_eq!(code, 202, "{body}");
    await_instances(&dirs, InstanceStatus::Faulted, 1).await;
    server.await_log(&["Instance faulted", "selectionFailure"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_sent_before_its_instance_exists_waits_for_it_as_ode_kept_it() {
    let dirs = Dirs::new();
    dirs.add_test_unit("OdeAliases");
    let wait = [("BATON_ENGINE__EARLY_MESSAGE_WAIT_MS", "30000")];
    let server = Server::start_configured(&dirs, "info", false, &wait).await;
    let early = server.soap_in_background(ORDERS, &status("o-9"));
    server.await_log(&["Message waits for the instance it correlates with"]);
    let (code, body) = server.soap(ORDERS, &order(Some("o-9"), "kettle")).await;
    assert_eq!(code, 202, "{body}");
    let (code, body) = early.await.unwrap();
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("o-9: kettle"), "{body}");
    // By default (not in ODE mode) such a message is refused at once.
    let dirs = Dirs::new();
    dirs.add_test_unit("OdeAliases");
    let server = Server::start(&dirs).await;
    let (code, body) = server.soap(ORDERS, &status("o-10")).await;
    assert_eq!(code, 500, "{body}");
    assert!(body.contains("does not create instances"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_instance_whose_correlation_values_another_holds_is_refused_clearly() {
    let dirs = Dirs::new();
    dirs.add_test_unit("OdeAliases");
    let server = Server::start(&dirs).await;
    let (code, body) = server.soap(ORDERS, &order(Some("o-1"), "book")).await;
    assert_eq!(code, 202, "{body}");
    await_instances(&dirs, InstanceStatus::Running, 1).await;
    // ODE created a second instance holding the same values; here the sender is told.
    let (code, body) = server.soap(ORDERS, &order(Some("o-1"), "lamp")).await;
    assert_eq!(code, 500, "{body}");
    assert!(
        body.contains("Client") && body.contains("correlationViolation"),
        "{body}"
    );
    let (code, body) = server.soap(ORDERS, &status("o-1")).await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("o-1: book"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_without_parts_need_no_assignment() {
    let dirs = Dirs::new();
    dirs.add_test_unit("OdeEmpty");
    let server = Server::start(&dirs).await;
    let ping = r#"<e:ping xmlns:e="urn:baton:test:odeempty">hello</e:ping>"#;
    let (code, body) = server.soap("/ode/processes/OdeEmpty", ping).await;
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("Body/>") || body.contains("Body></"),
        "{body}"
    );
    assert!(!body.contains("Fault"), "{body}");
    // Both the pinged process and the one it signalled completed.
    await_instances(&dirs, InstanceStatus::Completed, 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_endpoint_in_each_form_ode_accepts_is_invoked_over_http() {
    let dirs = Dirs::new();
    dirs.add_test_unit("OdeDynamic");
    dirs.add_sample("HelloWorld");
    let server = Server::start(&dirs).await;
    let address = format!("{}/ode/processes/HelloWorld", server.address);
    let sref = r#"xmlns:sref="http://docs.oasis-open.org/wsbpel/2.0/serviceref""#;
    let forms = [
        format!(
            r#"<sref:service-ref {sref}><wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>{address}</wsa:Address></wsa:EndpointReference></sref:service-ref>"#
        ),
        format!(
            r#"<soap:address xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" location="{address}"/>"#
        ),
        format!(
            r#"<wsdl:service xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" name="h:HelloService" xmlns:h="urn:baton:samples:hello"><wsdl:port name="HelloPort" binding="h:HelloBinding"><soap:address location="{address}"/></wsdl:port></wsdl:service>"#
        ),
        address.clone(),
    ];
    for (n, form) in forms.iter().enumerate() {
        let request = format!(
            r#"<h:greetThrough xmlns:h="urn:baton:samples:hello"><h:name>form {n}</h:name><h:partner>{form}</h:partner></h:greetThrough>"#
        );
        let (code, body) = server.soap("/ode/processes/OdeDynamic", &request).await;
        assert_eq!(code, 200, "{form}: {body}");
        assert!(
            body.contains(&format!("Hello, form {n}!")),
            "{form}: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_at_the_root_path_is_served() {
    let dirs = Dirs::new();
    let at_root = |text: String| {
        text.replace(
            "http://localhost:8080/ode/processes/HelloWorld",
            "http://localhost:8080/",
        )
    };
    dirs.place_unit(
        &common::repo().join("samples/HelloWorld"),
        "HelloWorld",
        &at_root,
    );
    let server = Server::start(&dirs).await;
    let hello = r#"<h:hello xmlns:h="urn:baton:samples:hello"><h:name>root</h:name></h:hello>"#;
    let (code, body) = server.soap("/", hello).await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("Hello, root!"), "{body}");
    let (code, _) = server.get("/health").await;
    assert_eq!(code, 200, "the server's own paths stay its own");
}

/// A SOAP 1.1 envelope with `header` and `body`.
fn envelope(header: &str, body: &str) -> String {
    format!(
        r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header>{header}</s:Header><s:Body>{body}</s:Body></s:Envelope>"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parts_bound_to_soap_headers_are_read_correlated_and_written() {
    let dirs = Dirs::new();
    dirs.add_test_unit("OdeHeaders");
    let server = Server::start(&dirs).await;
    let session = |id: &str| {
        format!(r#"<o:session xmlns:o="urn:baton:test:odeheaders"><o:id>{id}</o:id></o:session>"#)
    };
    let path = "/ode/processes/OdeHeaders";
    let xml = "text/xml; charset=utf-8";
    for (id, item) in [("s-1", "book"), ("s-2", "lamp")] {
        let open = format!(
            r#"<o:open xmlns:o="urn:baton:test:odeheaders"><o:item>{item}</o:item></o:open>"#
        );
        let (code, body) = server.post(path, xml, envelope(&session(id), &open)).await;
        assert_eq!(code, 200, "{body}");
        assert!(body.contains(&format!("opened {item}")), "{body}");
        let header = body.split("Header>").nth(1).unwrap_or_default();
        assert!(
            header.contains(&format!("<o:id>{id}</o:id>")) || header.contains(&format!(">{id}<")),
            "the reply's header carries the session: {body}"
        );
    }
    let ask = r#"<o:ask xmlns:o="urn:baton:test:odeheaders">which?</o:ask>"#;
    let (code, body) = server.post(path, xml, envelope(&session("s-2"), ask)).await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("lamp for s-2"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soap_headers_no_part_of_the_message_binds_travel_with_it_and_correlate() {
    for (peer_to_peer, via) in [("true", "via=peer"), ("false", "via=http")] {
        let dirs = Dirs::new();
        common::conversation::place(&dirs, &|text| {
            text.replace(
                r#"usePeer2Peer="true""#,
                &format!(r#"usePeer2Peer="{peer_to_peer}""#),
            )
        });
        let server = Server::start_with(&dirs, "info,baton::engine::partner=debug").await;
        common::conversation::run(&server).await;
        server.await_log(&["Invoking partner", via, "operation=check"]);
    }
}

/// HelloWorld as ODE accepted it but the specification does not: `createInstance="true"`
/// for `"yes"`, an import whose namespace is not its document's, and the reply's skeleton
/// assigned before the instantiating receive.
fn lenient_hello(text: String) -> String {
    let skeleton = r#"
      <copy>
        <from><literal><tns:greeting><tns:text/></tns:greeting></literal></from>
        <to variable="response" part="payload"/>
      </copy>"#;
    let prepare = format!(
        r#"<assign name="prepare">{skeleton}</assign>
    <receive name="start""#
    );
    text.replace(r#"createInstance="yes""#, r#"createInstance="true""#)
        .replace(
            r#"<import location="HelloWorld.wsdl" namespace="urn:baton:samples:hello""#,
            r#"<import location="HelloWorld.wsdl" namespace="urn:baton:samples:hello:v1""#,
        )
        .replace(
            &format!(r#"<assign name="greet">{skeleton}"#),
            r#"<assign name="greet">"#,
        )
        .replace(r#"<receive name="start""#, &prepare)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_ode_accepted_is_refused_naming_the_ode_mode_and_runs_in_it() {
    let sample = common::repo().join("samples/HelloWorld");
    let standard = Dirs::new();
    standard.place_unit(&sample, "HelloWorld", &lenient_hello);
    let server = Server::start(&standard).await;
    server.await_log(&["HelloWorld", "refused"]);
    // The refusal's diagnostics follow its first line, each awaited: every leniency is named.
    for code in ["XML-VALUE", "SA00011", "SA00056"] {
        server.await_log(&[code]);
    }
    assert!(server
        .await_log_any(
            &[
                &[r#"compatibility = \"ode\""#],
                &[r#"compatibility = "ode""#]
            ],
            common::PATIENCE
        )
        .is_some());
    drop(server);

    let ode = Dirs::new();
    ode.place_unit(&sample, "HelloWorld", &lenient_hello);
    let settings = [("BATON_COMPILER__COMPATIBILITY", "ode")];
    let server = Server::start_configured(&ode, "info", true, &settings).await;
    server.await_log(&["Unit deployed", "unit=HelloWorld"]);
    let hello = r#"<h:hello xmlns:h="urn:baton:samples:hello"><h:name>ODE</h:name></h:hello>"#;
    let (code, body) = server.soap("/ode/processes/HelloWorld", hello).await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("Hello, ODE!"), "{body}");
    assert!(
        server.logged(&["warning: [XML-VALUE]"]) && server.logged(&["warning: [SA00056]"]),
        "the leniencies are warnings"
    );
}

fn run(text: &str) -> String {
    format!(r#"<j:run xmlns:j="urn:baton:test:odesession">{text}</j:run>"#)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callbacks_without_a_correlation_set_reach_the_instance_that_invoked() {
    let dirs = Dirs::new();
    dirs.add_test_unit("OdeSession");
    let server = Server::start(&dirs).await;
    let calls: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|job| server.soap_in_background("/ode/processes/OdeSession", &run(job)))
        .collect();
    for (job, call) in ["a", "b", "c"].iter().zip(calls) {
        let (code, body) = call.await.unwrap();
        assert_eq!(code, 200, "{body}");
        assert!(body.contains(&format!("{job}: worked on {job}")), "{body}");
    }
    await_instances(&dirs, InstanceStatus::Completed, 6).await;
}

/// A one-way partner outside the server: takes each request (202) and hands its text to the
/// test.
async fn outside_worker() -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
    use tokio::io::{AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}/worker", listener.local_addr().unwrap());
    let (sender, receiver) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let mut reader = BufReader::new(stream);
            let body = common::read_request_body(&mut reader).await;
            let answer = "HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\nconnection: close\r\n\r\n";
            reader.get_mut().write_all(answer.as_bytes()).await.unwrap();
            sender.send(body).unwrap();
        }
    });
    (address, receiver)
}

/// OdeSession deployed in `dirs` with its worker outside the server; the requests the worker
/// takes.
async fn with_outside_worker(dirs: &Dirs) -> tokio::sync::mpsc::UnboundedReceiver<String> {
    dirs.add_test_unit("OdeSession");
    let (worker, requests) = outside_worker().await;
    dirs.rewrite("OdeSession", "OdeSession.wsdl", &|text| {
        text.replace(
            "http://localhost:8080/ode/processes/OdeSessionWorker",
            &worker,
        )
    });
    dirs.rewrite("OdeSession", "deploy.xml", &|text| {
        let worker = text
            .find("  <process name=\"p:OdeSessionWorker\">")
            .unwrap();
        let end = text.find("</deploy>").unwrap();
        format!("{}{}", &text[..worker], &text[end..])
    });
    requests
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_route_survives_a_kill_between_the_call_and_its_callback() {
    let dirs = Dirs::new();
    let mut requests = with_outside_worker(&dirs).await;
    let server = Server::start(&dirs).await;
    let call = server.soap_in_background("/ode/processes/OdeSession", &run("kept"));
    let request = requests.recv().await.unwrap();
    let callback = request.split("callback").nth(1).expect("a callback");
    let session = common::element_text(callback, "session").unwrap();
    // SIGKILL once the invoke's step is committed and its call has reached the partner.
    server.kill();
    let _ = call.await;
    let server = Server::start(&dirs).await;
    let header = format!(
        r#"<s:session xmlns:s="http://www.apache.org/ode/type/session">{session}</s:session>"#
    );
    let done = r#"<j:result xmlns:j="urn:baton:test:odesession">after the kill</j:result>"#;
    let xml = "text/xml; charset=utf-8";
    let path = "/ode/processes/OdeSessionCallback";
    let (code, body) = server.post(path, xml, envelope(&header, done)).await;
    assert_eq!(code, 202, "{body}");
    await_instances(&dirs, InstanceStatus::Completed, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outside_partner_calls_back_naming_the_session_of_the_request() {
    let dirs = Dirs::new();
    let mut requests = with_outside_worker(&dirs).await;
    let server = Server::start(&dirs).await;
    // ODE's session header, ODE's predecessors' one, and the session as the reference
    // parameter of the request's wsa:ReplyTo, which a WS-Addressing partner sends back.
    let namespaces = [
        "http://www.apache.org/ode/type/session",
        "http://www.intalio.com/type/session",
        "http://www.apache.org/ode/type/session",
    ];
    for (n, namespace) in namespaces.iter().enumerate() {
        let job = format!("job {n}");
        let call = server.soap_in_background("/ode/processes/OdeSession", &run(&job));
        let request = requests.recv().await.unwrap();
        let callback = request
            .split("callback")
            .nth(1)
            .expect("the request names a callback");
        let address = common::element_text(callback, "Address").unwrap();
        let session = common::element_text(callback, "session").unwrap();
        let reply_to = request.split("ReplyTo").nth(1).expect("a wsa:ReplyTo");
        assert_eq!(
            common::element_text(reply_to, "session").as_deref(),
            Some(session.as_str()),
            "{request}"
        );
        let path = address.strip_prefix(&server.address).unwrap();
        let marked = match n {
            2 => {
                r#" xmlns:wsa="http://www.w3.org/2005/08/addressing" wsa:IsReferenceParameter="true""#
            }
            _ => "",
        };
        let header = format!(r#"<s:session xmlns:s="{namespace}"{marked}>{session}</s:session>"#);
        let done = r#"<j:result xmlns:j="urn:baton:test:odesession">done outside</j:result>"#;
        let xml = "text/xml; charset=utf-8";
        let (code, body) = server.post(path, xml, envelope(&header, done)).await;
        assert_eq!(code, 202, "{body}");
        let (code, body) = call.await.unwrap();
        assert_eq!(code, 200, "{body}");
        assert!(body.contains(&format!("{job}: done outside")), "{body}");
    }
    // A callback naming no session, or one no instance has, finds no instance.
    let done = r#"<j:result xmlns:j="urn:baton:test:odesession">late</j:result>"#;
    let path = "/ode/processes/OdeSessionCallback";
    let (code, body) = server.soap(path, done).await;
    assert_eq!(code, 500, "{body}");
    let unknown =
        r#"<s:session xmlns:s="http://www.apache.org/ode/type/session">999.1</s:session>"#;
    let xml = "text/xml; charset=utf-8";
    let (code, body) = server.post(path, xml, envelope(unknown, done)).await;
    assert_eq!(code, 500, "{body}");
}

/// A REST partner outside the server, as the RestPartner unit's WSDL HTTP binding calls it:
/// arithmetics on the path, the query, a form or an XML body; each request's method, path,
/// content type and `X-Reason`, `Ticket` and `Authorization` headers are recorded. `plus`
/// with 13 on the left fails with 500, with 7 answers only after 5 s; every answer has an
/// `X-Forgotten` header.
async fn rest_partner() -> (String, Arc<Mutex<Vec<String>>>) {
    use tokio::io::{AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}/arithmetics", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let recorded = requests.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let recorded = recorded.clone();
            tokio::spawn(async move {
                let mut reader = BufReader::new(stream);
                let (head, body) = common::read_request(&mut reader).await;
                let mut request_line = head[0].split_whitespace();
                let (method, target) = (request_line.next().unwrap(), request_line.next().unwrap());
                let header = |wanted: &str| {
                    head.iter()
                        .find_map(|line| {
                            let (name, value) = line.split_once(':')?;
                            name.eq_ignore_ascii_case(wanted)
                                .then(|| value.trim().to_owned())
                        })
                        .unwrap_or_default()
                };
                let mut line = format!("{method} {target} [{}]", header("content-type"));
                for name in ["X-Reason", "Ticket", "Authorization"] {
                    if !header(name).is_empty() {
                        line.push_str(&format!(" {name}={}", header(name)));
                    }
                }
                recorded.lock().unwrap().push(line);
                if target.contains("/plus/7:") {
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                }
                let (status, kind, answer) = arithmetic(method, target, &body);
                let response = format!(
                "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\nX-Forgotten: yes\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{answer}",
                answer.len()
            );
                // The caller may have given up already.
                let _ = reader.get_mut().write_all(response.as_bytes()).await;
            });
        }
    });
    (address, requests)
}

/// RestPartner in `dirs`, its deploy.xml edited by `deploy`, calling a [`rest_partner`];
/// the requests the partner takes.
async fn with_rest_partner(
    dirs: &Dirs,
    deploy: &dyn Fn(String) -> String,
) -> Arc<Mutex<Vec<String>>> {
    dirs.add_test_unit("RestPartner");
    let (partner, requests) = rest_partner().await;
    dirs.rewrite("RestPartner", "RestPartner.wsdl", &|text| {
        text.replace("http://localhost:7070/arithmetics", &partner)
    });
    dirs.rewrite("RestPartner", "deploy.xml", deploy);
    requests
}

/// RestPartner's request to compute with `a` and 1.
fn compute(a: i64) -> String {
    format!(r#"<c:compute xmlns:c="urn:baton:test:rest"><c:a>{a}</c:a><c:b>1</c:b></c:compute>"#)
}

/// The REST partner's answer to `method` on `target` with `body`.
fn arithmetic(method: &str, target: &str, body: &str) -> (&'static str, &'static str, String) {
    let result = |n: i64| {
        let xml = format!(r#"<result xmlns="urn:baton:test:rest">{n}</result>"#);
        ("200 OK", "text/xml", xml)
    };
    let pair = |text: &str| -> (i64, i64) {
        let value = |name: &str| {
            text.split('&')
                .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
                .and_then(|v| v.parse().ok())
                .unwrap()
        };
        (value("left"), value("right"))
    };
    let path = target.strip_prefix("/arithmetics/").unwrap_or(target);
    match (method, path.split_once('?')) {
        ("GET", Some(("minus", query))) => {
            let (left, right) = pair(query);
            result(left - right)
        }
        ("GET", None) if path.starts_with("plus/") => {
            let (left, right) = path["plus/".len()..].split_once(':').unwrap();
            let (left, right): (i64, i64) = (left.parse().unwrap(), right.parse().unwrap());
            match left {
                13 => ("500 Internal Server Error", "text/plain", "unlucky".into()),
                _ => result(left + right),
            }
        }
        ("POST", None) if path == "times" => {
            let (left, right) = pair(body);
            result(left * right)
        }
        ("PUT", None) if path == "sum" => {
            let sum = body
                .split('<')
                .filter_map(|tag| {
                    let (name, text) = tag.split_once('>')?;
                    let local = name.split_whitespace().next()?.rsplit(':').next()?;
                    (local == "n").then(|| text.trim().parse::<i64>().ok())?
                })
                .sum();
            result(sum)
        }
        ("DELETE", None) if path.starts_with("memory/") => {
            let key = path["memory/".len()..].replace("%20", " ");
            ("200 OK", "text/plain", format!("forgot {key}"))
        }
        _ => ("404 Not Found", "text/plain", String::new()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_partner_is_called_over_plain_http_as_its_http_binding_says() {
    let dirs = Dirs::new();
    let requests = with_rest_partner(&dirs, &|text| text).await;
    let server = Server::start(&dirs).await;
    let (code, body) = server
        .soap("/ode/processes/RestPartner", &compute(100))
        .await;
    assert_eq!(code, 200, "{body}");
    assert!(
        body.contains("300; forgot total 300; yes 200"),
        "the answer's header and status are read with ODE's header attribute: {body}"
    );
    let form = "application/x-www-form-urlencoded";
    assert_eq!(
        *requests.lock().unwrap(),
        [
            "GET /arithmetics/plus/100:1 []".to_owned(),
            "GET /arithmetics/minus?left=101&right=2 []".to_owned(),
            format!("POST /arithmetics/times [{form}]"),
            "PUT /arithmetics/sum [text/xml]".to_owned(),
            "DELETE /arithmetics/memory/total%20300 [] X-Reason=cleanup Ticket=T-1".to_owned(),
        ]
    );
    // An error status fails the invoke with the fault of its kind.
    let (code, body) = server
        .soap("/ode/processes/RestPartner", &compute(13))
        .await;
    assert_eq!(code, 500, "{body}");
    assert!(body.contains("partnerHttpStatus"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rest_partner_s_calls_carry_the_link_s_credentials_and_time_out() {
    let dirs = Dirs::new();
    let requests = with_rest_partner(&dirs, &|text| {
        text.replace(
            r#"<service name="tns:ArithmeticsService" port="ArithmeticsPort"/>"#,
            r#"<service name="tns:ArithmeticsService" port="ArithmeticsPort"><link xmlns="urn:baton:deploy" timeout-ms="1000" token="t-123"/></service>"#,
        )
    })
    .await;
    let server = Server::start(&dirs).await;
    let (code, body) = server
        .soap("/ode/processes/RestPartner", &compute(100))
        .await;
    assert_eq!(code, 200, "{body}");
    let recorded = requests.lock().unwrap().clone();
    assert_eq!(recorded.len(), 5, "{recorded:?}");
    assert!(
        recorded
            .iter()
            .all(|line| line.ends_with("Authorization=Bearer t-123")),
        "every call presents the link's token: {recorded:?}"
    );
    // A partner slower than the link's time-out fails the invoke with partnerTimeout.
    let (code, body) = server.soap("/ode/processes/RestPartner", &compute(7)).await;
    assert_eq!(code, 500, "{body}");
    assert!(body.contains("partnerTimeout"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ode_s_rest_extension_activities_call_their_uri_and_keep_body_and_status() {
    let dirs = Dirs::new();
    dirs.add_test_unit("RestLight");
    let (partner, requests) = rest_partner().await;
    let server = Server::start(&dirs).await;
    let run =
        format!(r#"<r:run xmlns:r="urn:baton:test:restlight"><r:base>{partner}</r:base></r:run>"#);
    let (code, body) = server.soap("/ode/processes/RestLight", &run).await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains(">5 9 forgot x 404<"), "{body}");
    assert_eq!(
        *requests.lock().unwrap(),
        [
            "GET /arithmetics/plus/2:3 []".to_owned(),
            "PUT /arithmetics/sum [application/xml]".to_owned(),
            "DELETE /arithmetics/memory/x []".to_owned(),
            "GET /arithmetics/nowhere []".to_owned(),
        ]
    );
}
