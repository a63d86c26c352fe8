//! samples/AsyncPair as the tests deploy it: its deploy.xml with the two invokes sent to
//! endpoint reference files, the references themselves, and the broker the AMQP cases need.

use std::io::Write;

pub(crate) const WSA_NS: &str = "http://www.w3.org/2005/08/addressing";

/// A deploy.xml of samples/AsyncPair whose two invokes go to the endpoint reference files
/// `server.epr` and `callback.epr`; with `provided`, the two services the processes offer
/// each other are offered at those references too.
pub(crate) fn deploy_xml(use_peer2peer: bool, provided: bool) -> String {
    let endpoint = |file: &str| {
        format!(
            r#"<wso2:endpoint xmlns:wso2="http://wso2.org/bps/bpel/endpoint/config" endpointReference="{file}"/>"#
        )
    };
    let provided_at = |file: &str| {
        if provided {
            endpoint(file)
        } else {
            String::new()
        }
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<deploy xmlns="http://www.apache.org/ode/schemas/dd/2007/03"
    xmlns:p="urn:baton:samples:async:process" xmlns:tns="urn:baton:samples:async">
  <process name="p:AsyncClient" fileName="AsyncClient.bpel">
    <provide partnerLink="user"><service name="tns:ClientService" port="ClientPort"/></provide>
    <provide partnerLink="server">
      <service name="tns:CallbackService" port="CallbackPort">{}</service>
    </provide>
    <invoke partnerLink="server" usePeer2Peer="{use_peer2peer}">
      <service name="tns:ServerService" port="ServerPort">{}</service>
    </invoke>
  </process>
  <process name="p:AsyncServer" fileName="AsyncServer.bpel">
    <provide partnerLink="requester">
      <service name="tns:ServerService" port="ServerPort">{}</service>
    </provide>
    <invoke partnerLink="requester" usePeer2Peer="{use_peer2peer}">
      <service name="tns:CallbackService" port="CallbackPort">{}</service>
    </invoke>
  </process>
</deploy>
"#,
        provided_at("callback.epr"),
        endpoint("server.epr"),
        provided_at("server.epr"),
        endpoint("callback.epr"),
    )
}

/// A WS-Addressing endpoint reference to `address`, with `parameters` as its reference
/// parameters.
pub(crate) fn epr(address: &str, parameters: &str) -> String {
    format!(
        r#"<wsa:EndpointReference xmlns:wsa="{WSA_NS}">
  <wsa:Address>{address}</wsa:Address>
  <wsa:ReferenceParameters>{parameters}</wsa:ReferenceParameters>
</wsa:EndpointReference>
"#
    )
}

/// An order for the AsyncPair client.
pub(crate) fn order(id: &str) -> String {
    format!(
        r#"<a:order xmlns:a="urn:baton:samples:async"><a:id>{id}</a:id><a:item>book</a:item></a:order>"#
    )
}

/// The RabbitMQ of `TEST_AMQP_URL`, or `None` (with the reason printed) when test `test`
/// cannot run here; under `CI=true` a missing broker fails the test instead.
pub(crate) fn broker_url(test: &str) -> Option<String> {
    match std::env::var("TEST_AMQP_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("TEST_AMQP_URL must name a RabbitMQ under CI")
        }
        _ => {
            let _ = writeln!(std::io::stderr(), "skipping {test}: set TEST_AMQP_URL");
            None
        }
    }
}
